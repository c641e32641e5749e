/** A file or folder of the project's storage. */
interface StorageEntry {
  /** The last part of the path. */
  name: string;
  /** The path from the storage root, e.g. `reports/2025/jan.csv`. */
  path: string;
  type: 'file' | 'dir';
  /** Bytes (0 for a folder). */
  size: number;
  /** The MIME type, from the name (checked against the content for images); null for a folder. */
  mime: string | null;
  /** Last change, ISO 8601 UTC. */
  modified: string;
}

/**
 * The project's file storage, shared with the file manager of the admin UI. Paths are relative
 * to the storage root (`docs/a.txt`); `..`, absolute paths and control characters are refused.
 * Every call returns a Promise; a refusal rejects with an Error carrying `code`, `status` and
 * `fields` (e.g. `not_found` / 404, `storage_full` / 507).
 */
declare const $storage: {
  /** The file as UTF-8 text (rejects when it is not text: use readBytes). At most files.max_read bytes. */
  read(path: string): Promise<string>;
  /** The file's bytes. At most files.max_read bytes (64 MB by default). */
  readBytes(path: string): Promise<Uint8Array>;
  /** Create or replace the file whole (atomically), making its folders. A string is written as UTF-8. */
  write(path: string, data: string | Uint8Array): Promise<StorageEntry>;
  /** Add to the end of the file (made if missing). */
  append(path: string, data: string | Uint8Array): Promise<StorageEntry>;
  /** The folder's entries (the root for ''): folders first, then files; a page of at most files.max_page. */
  list(dir?: string, options?: { page?: number; perPage?: number; sort?: 'name' | '-name' | 'size' | '-size' | 'modified' | '-modified'; search?: string }): Promise<StorageEntry[]>;
  /** One entry; rejects with `not_found` when there is nothing at the path. */
  stat(path: string): Promise<StorageEntry>;
  /** Whether a file or folder is at the path. */
  exists(path: string): Promise<boolean>;
  /** Make the folder and its parents (an existing folder is fine). */
  mkdir(path: string): Promise<StorageEntry>;
  /** Rename or move a file or folder; `to` must not exist. */
  move(from: string, to: string): Promise<StorageEntry>;
  /** Copy a file or a folder with its contents; `to` must not exist. */
  copy(from: string, to: string): Promise<StorageEntry>;
  /** Delete a file, or a folder with everything in it. */
  delete(path: string): Promise<void>;
  /** A direct link to the file that needs no login, until it expires (seconds, or '30m', '7d'; default 7 days). */
  url(path: string, options?: { expiresIn?: number | string }): Promise<string>;
};
