// The data store's REST calls (API.md "Data store"): models, records, their live events.
import { queryOptions } from "@tanstack/react-query";
import { api, type Page } from "@/lib/api";

export const FIELD_TYPES = [
  "string", "text", "number", "float", "bool", "email", "url", "date", "datetime", "select", "ref", "file", "document", "json",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** The widgets a field type may take in the form (the server's datastore/models.py WIDGETS; the first is the default). */
export const WIDGETS: Record<FieldType, readonly string[]> = {
  string: ["input", "select"], text: ["textarea", "tiptap", "markdown"], number: ["input", "slider"],
  float: ["input", "slider"], bool: ["switch", "checkbox"], document: ["json"], json: ["json"],
  ref: ["select", "search"], date: ["picker"], datetime: ["picker"], email: ["input"], url: ["input"],
  select: ["select", "radio", "checkboxes"], file: ["upload"],
};

/** The system fields every record has. */
export const SYSTEM_FIELDS = ["id", "created", "updated"] as const;

export interface FieldOptions {
  min?: number;
  max?: number;
  pattern?: string;
  unique?: boolean;
  maxSize?: number;
  values?: string[];
  maxSelect?: number;
  mimeTypes?: string[];
  model?: string;
  cascadeDelete?: boolean;
}

export interface ModelField {
  key: string;
  type: FieldType;
  required: boolean;
  nullable: boolean;
  default: unknown;
  options: FieldOptions;
  label: string;
  description: string;
}

export interface TableConfig {
  columns: string[];
  filterable: string[];
  sortable: string[];
  defaultSort: string;
  pageSize: number;
}

export interface FormConfig {
  order: string[];
  hidden: string[];
  widgets: Record<string, string>;
}

export interface Model {
  id: string;
  name: string;
  slug: string;
  fields: ModelField[];
  table: TableConfig;
  form: FormConfig;
  created: string;
  updated: string;
}

export type ModelInput = Pick<Model, "name" | "slug" | "fields" | "table" | "form">;
export type ModelPatch = Partial<ModelInput> & { renames?: Record<string, string> };

/** A record: the system fields, its revision (the ETag) and every field of its model. */
export interface DataRecord {
  id: string;
  created: string;
  updated: string;
  revision: number;
  expand?: Record<string, DataRecord | DataRecord[]>;
  [key: string]: unknown;
}

export interface RecordsQuery {
  filter?: string;
  sort?: string;
  page?: number;
  perPage?: number;
  expand?: string;
  fields?: string;
  skipTotal?: boolean;
}

/** What a live event of the records stream carries. */
export interface RecordEvent {
  action: "create" | "update" | "delete";
  record: DataRecord;
}

/** A field is multi-valued when its maxSelect is above one (select, ref, file). */
export const isMulti = (field: ModelField) => (field.options.maxSelect ?? 1) > 1;

const enc = encodeURIComponent;
export const modelsPath = (pid: string) => `/api/projects/${enc(pid)}/models`;
export const modelPath = (pid: string, model: string) => `${modelsPath(pid)}/${enc(model)}`;
export const recordsPath = (pid: string, model: string) => `${modelPath(pid, model)}/records`;
export const recordPath = (pid: string, model: string, rid: string) => `${recordsPath(pid, model)}/${enc(rid)}`;
export const fileUrl = (pid: string, model: string, rid: string, key: string, name: string) =>
  `${recordPath(pid, model, rid)}/files/${enc(key)}/${enc(name)}`;

export const datastoreKeys = {
  models: (pid: string) => ["models", pid] as const,
  model: (pid: string, model: string) => ["models", pid, model] as const,
  records: (pid: string, model: string) => ["records", pid, model] as const,
  recordList: (pid: string, model: string, query: RecordsQuery) => ["records", pid, model, "list", query] as const,
  record: (pid: string, model: string, rid: string) => ["records", pid, model, "one", rid] as const,
};

export const modelsQuery = (pid: string) =>
  queryOptions({ queryKey: datastoreKeys.models(pid), queryFn: () => api<Model[]>(modelsPath(pid)) });

export const modelQuery = (pid: string, model: string) =>
  queryOptions({ queryKey: datastoreKeys.model(pid, model), queryFn: () => api<Model>(modelPath(pid, model)) });

export const recordsQuery = (pid: string, model: string, query: RecordsQuery) =>
  queryOptions({
    queryKey: datastoreKeys.recordList(pid, model, query),
    queryFn: ({ signal }) =>
      api<Page<DataRecord>>(recordsPath(pid, model), { query: { ...query, skipTotal: query.skipTotal ? 1 : undefined }, signal }),
    placeholderData: (previous) => previous,
  });

export const recordQuery = (pid: string, model: string, rid: string) =>
  queryOptions({ queryKey: datastoreKeys.record(pid, model, rid), queryFn: () => api<DataRecord>(recordPath(pid, model, rid)) });

export const createModel = (pid: string, model: ModelInput) => api<Model>(modelsPath(pid), { method: "POST", json: model });
export const updateModel = (pid: string, model: string, patch: ModelPatch) =>
  api<Model>(modelPath(pid, model), { method: "PATCH", json: patch });
export const deleteModel = (pid: string, model: string) => api<void>(modelPath(pid, model), { method: "DELETE" });

export const createRecord = (pid: string, model: string, data: Record<string, unknown>) =>
  api<DataRecord>(recordsPath(pid, model), { method: "POST", json: data });
/** A PATCH guarded by the revision the form read: a record changed meanwhile is a 409 `stale_revision`. */
export const updateRecord = (pid: string, model: string, rid: string, data: Record<string, unknown>, revision?: number) =>
  api<DataRecord>(recordPath(pid, model, rid), { method: "PATCH", json: revision === undefined ? data : { ...data, revision } });
export const deleteRecord = (pid: string, model: string, rid: string) => api<void>(recordPath(pid, model, rid), { method: "DELETE" });

export type BatchRequest =
  | { action: "create"; data: Record<string, unknown> }
  | { action: "update"; id: string; data: Record<string, unknown>; revision?: number }
  | { action: "delete"; id: string };
export const batchRecords = (pid: string, model: string, requests: BatchRequest[]) =>
  api<{ results: (DataRecord | null)[] }>(`${recordsPath(pid, model)}/batch`, { method: "POST", json: { requests } });

// -- the records page (records-page.tsx): filter errors, live events, export and import --------
// (imports of this section kept here, so that the other sections merge without touching the top)
import { ApiError, followEvents } from "@/lib/api";

/** Where the server says a filter or sort is wrong: `filter: ... (at character 9)` (datastore/filter.py). */
export interface QueryProblem {
  param: "filter" | "sort";
  message: string;
  /** 0-based index into the text, when the server named one. */
  position: number | null;
}

const AT_CHARACTER = / \(at character (\d+)\)$/;

/** The place of a 400 `invalid_filter` / `invalid_sort` answer; null for any other error. */
export function queryProblemOf(error: unknown): QueryProblem | null {
  if (!(error instanceof ApiError) || error.status !== 400) return null;
  const param = error.code === "invalid_filter" ? "filter" : error.code === "invalid_sort" ? "sort" : null;
  if (!param) return null;
  const text = error.message.replace(/^(filter|sort): /, "");
  const at = AT_CHARACTER.exec(text);
  return { param, message: at ? text.slice(0, at.index) : text, position: at ? Number(at[1]) - 1 : null };
}

/** One event of `GET .../records/events`; `overflow` means the listener fell behind: reload. */
export type RecordStreamEvent = RecordEvent | { action: "overflow"; record: null };

/**
 * The model's live record events (server-sent, lib/api.ts followEvents), until `signal` aborts
 * or the server ends the stream.
 */
export async function followRecords(pid: string, model: string, signal: AbortSignal, onEvent: (event: RecordStreamEvent) => void) {
  await followEvents(`${recordsPath(pid, model)}/events`, signal, (events) => {
    for (const event of events) if (event.data) onEvent(JSON.parse(event.data) as RecordStreamEvent);
  });
}

export type RecordsFormat = "json" | "csv";

/** Every record of the model as a file (with the token, so as a Blob; the server names it `{slug}.{format}`). */
export const exportRecords = (pid: string, model: string, format: RecordsFormat) =>
  api<Blob>(`${recordsPath(pid, model)}/export`, { query: { format }, as: "blob" });

/** A JSON array or a CSV with a header row; all or nothing: a refused row is a 422 naming `{row}.{key}`. */
export const importRecords = (pid: string, model: string, file: Blob, format: RecordsFormat) =>
  api<{ created: number }>(`${recordsPath(pid, model)}/import`, { method: "POST", body: file, query: { format } });

/** A 422 of an import or a batch as rows: `{"3.title": {code, message}}` -> [{row: 3, key: "title", message}]. */
export function rowProblemsOf(error: unknown): { row: number; key: string; message: string }[] {
  if (!(error instanceof ApiError) || error.status !== 422) return [];
  return Object.entries(error.fields as Record<string, unknown>)
    .map(([place, reason]) => {
      const dot = place.indexOf(".");
      const message = typeof reason === "string" ? reason : String((reason as { message?: unknown })?.message ?? reason);
      return { row: dot > 0 ? Number(place.slice(0, dot)) : Number.NaN, key: dot > 0 ? place.slice(dot + 1) : place, message };
    })
    .sort((a, b) => a.row - b.row || a.key.localeCompare(b.key));
}
