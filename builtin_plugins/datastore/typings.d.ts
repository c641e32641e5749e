/** Values for the `{:name}` placeholders of a filter: bound, never spliced into its text. */
type M3mDatabaseParams = { [name: string]: string | number | boolean | null };

interface M3mDatabaseFindOptions {
  /** `-created,title`: system and scalar fields. */
  sort?: string;
  /** 1 by default. */
  page?: number;
  /** 30 by default, at most datastore.max_per_page. */
  perPage?: number;
  /** Ref fields to fetch with each record: `author,tags.owner` (depth 3 at most). */
  expand?: string;
  /** Only these keys: `id,title,expand.author.name`. */
  fields?: string;
}

/** What every record has. */
interface M3mRecordBase {
  readonly id: string;
  /** ISO 8601 UTC. */
  readonly created: string;
  readonly updated: string;
  /** Grows by one on every change; give it to `update` to refuse a stale write. */
  readonly revision: number;
  /** The records of the ref fields named in `expand`. */
  expand?: { [field: string]: any };
}

/** The fields a write may set: any of the record's, none of the system ones. */
type M3mRecordInput<T> = { [K in Exclude<keyof T, keyof M3mRecordBase>]?: T[K] };

/**
 * One model's records. Every write is checked as the REST API checks it; a refusal rejects with
 * an Error carrying `status`, `code` and `fields` ({ key: { code, message } } for a 422).
 * Filters are PocketBase's grammar: `title ~ {:q} && count > {:n}`.
 */
interface M3mDatabaseModel<T> {
  insert(doc: M3mRecordInput<T>): Promise<T>;
  /** All or nothing: every document is checked before any is written (`fields` names failures
   * as `index.key`), and a write failing later takes the others out again. */
  insertMany(docs: M3mRecordInput<T>[]): Promise<T[]>;
  /** The record, or null when there is none with this id. */
  get(id: string, options?: { expand?: string; fields?: string }): Promise<T | null>;
  /** A page of the records matching the filter (all of them without one). */
  find(filter?: string, options?: M3mDatabaseFindOptions): Promise<T[]>;
  find(filter: string, params: M3mDatabaseParams, options?: M3mDatabaseFindOptions): Promise<T[]>;
  /** The first record matching, or null. */
  findOne(filter?: string, params?: M3mDatabaseParams): Promise<T | null>;
  /** Changes the fields given; with `revision`, a record changed since is refused (409). */
  update(id: string, patch: M3mRecordInput<T>, options?: { revision?: number }): Promise<T>;
  /** Deletes the record (404 when there is none); refs to it follow their cascadeDelete. */
  delete(id: string): Promise<void>;
  count(filter?: string, params?: M3mDatabaseParams): Promise<number>;
  /** Puts a file the service wrote to the project storage (`$storage`, e.g. `uploads/a.png`)
   * into the record's file field `key`: copied under a new safe name, checked as an upload
   * (maxSize, mimeTypes, maxSelect); a single-file field's old file is replaced. */
  attach(id: string, key: string, path: string): Promise<T>;
}

/** The project's models, one property per model slug (declared per project by the server). */
interface M3mDatabase {}

/** The project's data models: `$database.posts.find('title ~ {:q}', { q })`. */
declare const $database: M3mDatabase;
