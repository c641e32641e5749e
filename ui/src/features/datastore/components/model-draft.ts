// The model editor's draft: the model as edited, before the one Save (PATCH).
//
// Every field has a uid for the edit's lifetime, and the table and form configs name fields by it
// (system fields by their name): renaming a key keystroke by keystroke, or two keys briefly alike,
// then never confuses which column belongs to which field. Keys come back in at the edges: the
// PATCH body, the model handed to the form editor, the live table preview.
import { isApiError } from "@/lib/api";
import type { FieldType, FormConfig, Model, ModelField, ModelPatch, TableConfig } from "../api";
import { initialOptions, isSortable } from "./model-field-types";

export interface DraftField {
  uid: string;
  /** The key this field has on the server; null for a field added in this edit. */
  saved: string | null;
  field: ModelField;
  /** A document/json default as typed (kept as typed, not re-formatted while typing). */
  jsonText?: string;
  /** jsonText is not JSON: the draft is not saved until it is. */
  jsonInvalid?: boolean;
}

export interface Draft {
  name: string;
  fields: DraftField[];
  /** Field names are uids here (system fields: id, created, updated). */
  table: TableConfig;
  form: FormConfig;
}

let counter = 0;
// "~" is never in a key nor a system field's name.
const newUid = () => `~${++counter}`;
const isUid = (name: string) => name.startsWith("~");

const sortParts = (sort: string) =>
  sort
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => ({ desc: part.startsWith("-"), name: part.replace(/^[-+]/, "") }));
const sortText = (parts: { desc: boolean; name: string }[]) => parts.map((part) => `${part.desc ? "-" : ""}${part.name}`).join(",");

function mapNames(table: TableConfig, form: FormConfig, map: (name: string) => string) {
  return {
    table: {
      ...table,
      columns: table.columns.map(map),
      filterable: table.filterable.map(map),
      sortable: table.sortable.map(map),
      defaultSort: sortText(sortParts(table.defaultSort).map((part) => ({ ...part, name: map(part.name) }))),
    },
    form: {
      order: form.order.map(map),
      hidden: form.hidden.map(map),
      widgets: Object.fromEntries(Object.entries(form.widgets).map(([name, widget]) => [map(name), widget])),
    },
  };
}

/** The draft of a saved model; `uids` keeps the fields' uids of the draft that was saved (same order). */
export function draftOf(model: Model, uids: string[] = []): Draft {
  const fields = model.fields.map((field, index) => ({ uid: uids[index] ?? newUid(), saved: field.key, field }));
  const byKey = new Map(fields.map((entry) => [entry.field.key, entry.uid]));
  return { name: model.name, fields, ...mapNames(model.table, model.form, (name) => byKey.get(name) ?? name) };
}

/** uid -> the field's key now (system names stay). */
export function keyOf(draft: Draft): (name: string) => string {
  const keys = new Map(draft.fields.map((entry) => [entry.uid, entry.field.key]));
  return (name) => keys.get(name) ?? name;
}

/** key -> uid (the first field with that key); unknown names stay. */
export function uidOf(draft: Draft): (name: string) => string {
  const uids = new Map<string, string>();
  for (const entry of [...draft.fields].reverse()) uids.set(entry.field.key, entry.uid);
  return (name) => uids.get(name) ?? name;
}

/** The draft as a Model (keys everywhere): what the form editor and the previews are given. */
export function modelOf(draft: Draft, base: Model): Model {
  return { ...base, name: draft.name, fields: draft.fields.map((entry) => entry.field), ...mapNames(draft.table, draft.form, keyOf(draft)) };
}

export function formFromKeys(draft: Draft, form: FormConfig): FormConfig {
  return mapNames(draft.table, form, uidOf(draft)).form;
}

/** Saved keys renamed in this edit: {old: new}, so the server moves their values. */
export function renamesOf(draft: Draft): Record<string, string> {
  const renames: Record<string, string> = {};
  for (const entry of draft.fields) if (entry.saved !== null && entry.saved !== entry.field.key) renames[entry.saved] = entry.field.key;
  return renames;
}

const cleanOptions = (options: ModelField["options"]) =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined && value !== null && !(typeof value === "number" && Number.isNaN(value))));

/** The PATCH body: the whole model, plus `renames`. */
export function payloadOf(draft: Draft): Required<Omit<ModelPatch, "slug">> {
  const { table, form } = mapNames(draft.table, draft.form, keyOf(draft));
  return {
    name: draft.name,
    fields: draft.fields.map(({ field }) => ({ ...field, options: cleanOptions(field.options) })),
    table,
    form,
    renames: renamesOf(draft),
  };
}

// -- changes --------------------------------------------------------------------------------

export function newField(draft: Draft, type: FieldType): DraftField {
  const taken = new Set(draft.fields.map((entry) => entry.field.key));
  let n = draft.fields.length + 1;
  while (taken.has(`field${n}`)) n += 1;
  return {
    uid: newUid(),
    saved: null,
    field: { key: `field${n}`, type, required: false, nullable: true, default: null, options: initialOptions(type), label: "", description: "" },
  };
}

/** Drop names from the table and form configs (a removed field, or one whose new type does not fit). */
function without(draft: Draft, uid: string, what: { all?: boolean; sortable?: boolean; widget?: boolean }): Draft {
  const keep = (name: string) => name !== uid;
  const table = { ...draft.table };
  const form = { ...draft.form };
  if (what.all) {
    table.columns = table.columns.filter(keep);
    table.filterable = table.filterable.filter(keep);
    form.order = form.order.filter(keep);
    form.hidden = form.hidden.filter(keep);
  }
  if (what.all || what.sortable) {
    table.sortable = table.sortable.filter(keep);
    table.defaultSort = sortText(sortParts(table.defaultSort).filter((part) => part.name !== uid));
  }
  if (what.all || what.widget) form.widgets = Object.fromEntries(Object.entries(form.widgets).filter(([name]) => name !== uid));
  return { ...draft, table, form };
}

export function removeField(draft: Draft, uid: string): Draft {
  return without({ ...draft, fields: draft.fields.filter((entry) => entry.uid !== uid) }, uid, { all: true });
}

/** A select default follows maxSelect across 1: "a" <-> ["a"] (what the server converts records to, too). */
function defaultFitting(before: ModelField, change: Partial<ModelField>): Partial<ModelField> {
  if (before.type !== "select" || !change.options || change.default !== undefined) return change;
  const wasMulti = (before.options.maxSelect ?? 1) > 1;
  const isMultiNow = (change.options.maxSelect ?? 1) > 1;
  if (wasMulti === isMultiNow || before.default === null) return change;
  const value = before.default;
  return { ...change, default: isMultiNow ? [value] : Array.isArray(value) ? (value[0] ?? null) : value };
}

export function changeField(draft: Draft, uid: string, change: Partial<ModelField>, extra: Partial<DraftField> = {}): Draft {
  const before = draft.fields.find((entry) => entry.uid === uid);
  if (before) change = defaultFitting(before.field, change);
  let next: Draft = {
    ...draft,
    fields: draft.fields.map((entry) => (entry.uid === uid ? { ...entry, ...extra, field: { ...entry.field, ...change } } : entry)),
  };
  const changed = next.fields.find((entry) => entry.uid === uid);
  if (changed && (change.type !== undefined || change.options !== undefined)) {
    // A type (or maxSelect) that no longer sorts leaves the sortable list; a new type drops its widget.
    if (!isSortable(changed.field)) next = without(next, uid, { sortable: true });
    if (change.type !== undefined) next = without(next, uid, { widget: true });
  }
  return next;
}

/** A new type starts with its own options and no default; back to the saved type, the saved ones return. */
export function changeType(draft: Draft, uid: string, type: FieldType, saved?: ModelField): Draft {
  const start = saved?.type === type ? { options: saved.options, default: saved.default } : { options: initialOptions(type), default: null };
  return changeField(draft, uid, { type, ...start }, { jsonText: undefined, jsonInvalid: false });
}

export function moveField(draft: Draft, from: number, to: number): Draft {
  const fields = [...draft.fields];
  const [moved] = fields.splice(from, 1);
  if (moved) fields.splice(to, 0, moved);
  return { ...draft, fields };
}

// -- the server's refusals, on the place they name --------------------------------------------

/**
 * Errors by place: `{uid}.default`, `{uid}.key`, `{uid}.options.values`, `{uid}.type` (a type change
 * the records refuse), `{uid}` (the field as a whole), `name`, `table.columns.0`, `form.widgets.x`,
 * `fields` (the list), `general` (the rest).
 */
export type DraftErrors = Record<string, string>;

export const tabOf = (place: string): "fields" | "table" | "form" =>
  place.startsWith("table.") ? "table" : place.startsWith("form.") ? "form" : "fields";

/** Places the server's 422/409 onto the draft; `sent` is the draft that was sent (indexes are its order). */
export function draftErrors(error: unknown, sent: Draft): DraftErrors {
  if (!isApiError(error)) return { general: error instanceof Error ? error.message : String(error) };
  const errors: DraftErrors = {};
  const byKey = (key: string) => sent.fields.find((entry) => entry.field.key === key);
  const place = (where: string, message: string) => {
    errors[where] ??= message;
  };
  if (error.status === 409) {
    for (const [key, message] of Object.entries(error.fields)) {
      const entry = byKey(key);
      if (!entry) continue;
      // conversion_failed: the type (or required) change; the whole message names the count and a record.
      place(error.code === "conversion_failed" ? `${entry.uid}.type` : entry.uid, error.code === "conversion_failed" ? error.message : message);
    }
    if (Object.keys(errors).length === 0) place("general", error.message);
    return errors;
  }
  for (const [where, message] of Object.entries(error.fields)) {
    const field = /^fields\.(\d+)(?:\.(.+))?$/.exec(where);
    const rename = /^renames\.(.+)$/.exec(where);
    if (field) {
      const entry = sent.fields[Number(field[1])];
      if (!entry) {
        place("fields", message);
        continue;
      }
      // The options are checked as one value: "options.values: ..." names the option in the message.
      const option = field[2] ? null : /^(options(?:\.[A-Za-z]+)?)(?:\.\d+)?: (.*)$/s.exec(message);
      if (option) place(`${entry.uid}.${option[1]}`, option[2]!);
      else place(field[2] ? `${entry.uid}.${field[2]}` : entry.uid, message);
    } else if (rename) {
      const entry = sent.fields.find((candidate) => candidate.saved === rename[1]);
      place(entry ? `${entry.uid}.key` : "general", message);
    } else if (where === "name" || where === "fields" || where.startsWith("table.") || where.startsWith("form.")) {
      place(where, message);
    } else {
      place("general", `${where}: ${message}`);
    }
  }
  if (Object.keys(errors).length === 0) place("general", error.message);
  return errors;
}

/** The errors of one field, by what they are about ("" for the field as a whole). */
export function fieldErrors(errors: DraftErrors, uid: string): Record<string, string> {
  const mine: Record<string, string> = {};
  for (const [where, message] of Object.entries(errors)) {
    if (where === uid) mine[""] = message;
    else if (where.startsWith(`${uid}.`)) mine[where.slice(uid.length + 1)] = message;
  }
  return mine;
}

/** Drop a field's errors once it is edited: they were about what was sent. */
export function withoutFieldErrors(errors: DraftErrors, uid: string): DraftErrors {
  return Object.fromEntries(Object.entries(errors).filter(([where]) => where !== uid && !where.startsWith(`${uid}.`)));
}

export { isUid };
