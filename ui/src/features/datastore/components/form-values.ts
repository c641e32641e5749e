// What the record form keeps for each field type and what it sends: the form holds text for
// numbers, dates and JSON (what the user typed), the server judges the values (its 422 lands on
// the field). Only blanks of required fields and JSON syntax are checked here: no round trip needed.
import { isApiError } from "@/lib/api";
import { type FormConfig, isMulti, type Model, type ModelField, WIDGETS } from "../api";

/** A field's value in the form: text, a flag, or a list (multi select/ref, file names). */
export type FormValue = string | boolean | string[];
export type FormValues = Record<string, FormValue>;

/** The widget a field gets: the configured one when its type has it, else the type's default (the first). */
export function widgetOf(field: ModelField, form: FormConfig | undefined): string {
  const chosen = form?.widgets?.[field.key];
  const allowed = WIDGETS[field.type];
  return chosen && allowed.includes(chosen) ? chosen : allowed[0]!;
}

/**
 * Every field in the form's order: `form.order` first (names that are fields), then the rest as
 * defined. A draft's field without a key yet, or with a key twice, is left out until it is fixed.
 */
export function orderedFields(fields: ModelField[], form: FormConfig | undefined): ModelField[] {
  const byKey = new Map<string, ModelField>();
  for (const field of fields) if (field.key && !byKey.has(field.key)) byKey.set(field.key, field);
  fields = [...byKey.values()];
  const first = (form?.order ?? []).filter((key, index, all) => byKey.has(key) && all.indexOf(key) === index);
  const seen = new Set(first);
  return [...first.map((key) => byKey.get(key)!), ...fields.filter((field) => !seen.has(field.key))];
}

/** The fields the form shows: ordered, without `form.hidden`. */
export function visibleFields(model: Pick<Model, "fields" | "form">): ModelField[] {
  const hidden = new Set(model.form?.hidden ?? []);
  return orderedFields(model.fields, model.form).filter((field) => !hidden.has(field.key));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A stored datetime (ISO, UTC) as a `datetime-local` value in the browser's time zone. */
export function isoToLocal(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const day = `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const seconds = date.getSeconds() ? `:${pad(date.getSeconds())}` : "";
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}${seconds}`;
}

/** A `datetime-local` value (the browser's time zone) as ISO UTC; text that is no time goes as it is (the server refuses it). */
export function localToIso(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === null || value === undefined || value === "" ? [] : [String(value)]);

/** A stored value (or a field's default, for a new record) as the form holds it. */
export function toFormValue(field: ModelField, value: unknown): FormValue {
  switch (field.type) {
    case "bool":
      return Boolean(value);
    case "datetime":
      return typeof value === "string" && value ? isoToLocal(value) : "";
    case "select":
    case "ref":
      return isMulti(field) ? asList(value) : value === null || value === undefined ? "" : String(value);
    case "file":
      return asList(value);
    case "document":
    case "json":
      return value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
    default:
      return value === null || value === undefined ? "" : String(value);
  }
}

/** What is sent for a form value. JSON is parsed (its syntax was checked before); blanks become null where "" is no value. */
export function fromFormValue(field: ModelField, value: FormValue): unknown {
  const text = typeof value === "string" ? value : "";
  switch (field.type) {
    case "bool":
      return Boolean(value);
    case "number":
    case "float": {
      if (!text.trim()) return null;
      const number = Number(text.trim());
      return Number.isFinite(number) ? number : text; // not a number: the server says so, on the field
    }
    case "date":
      return text || null;
    case "datetime":
      return text ? localToIso(text) : null;
    case "select":
    case "ref":
    case "file":
      return Array.isArray(value) ? value : text || null;
    case "document":
    case "json":
      return text.trim() ? JSON.parse(text) : null;
    default:
      return text;
  }
}

/** Blank as `required` means it: null, "" or [] (0 and false are values). */
export const isBlank = (value: FormValue | undefined) =>
  value === undefined || (typeof value === "string" && value.trim() === "") || (Array.isArray(value) && value.length === 0);

/** The JSON syntax error of a document's text, or null. */
export function jsonProblem(text: string): string | null {
  if (!text.trim()) return null;
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The server's field errors as {key: message}. The data store sends `{key: {code, message}}`
 * (docs/datastore.md), other endpoints a string per field; lib/form.ts takes strings only.
 */
export function fieldMessages(error: unknown): Record<string, string> {
  if (!isApiError(error)) return {};
  const messages: Record<string, string> = {};
  for (const [key, reason] of Object.entries(error.fields as Record<string, unknown>)) {
    if (typeof reason === "string") messages[key] = reason;
    else if (reason && typeof reason === "object") {
      const { message, code } = reason as { message?: unknown; code?: unknown };
      messages[key] = typeof message === "string" ? message : String(code ?? "invalid");
    }
  }
  return messages;
}

/** The label a field is shown with. */
export const labelOf = (field: Pick<ModelField, "key" | "label">) => field.label || field.key;

/** A filter value in double quotes (the filter grammar's escapes). */
export const quoted = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** Every widget name of WIDGETS (api.ts); their labels are `datastore.form.widgets.*`. */
export type Widget = "input" | "select" | "textarea" | "tiptap" | "markdown" | "slider" | "switch" | "checkbox" | "json" | "search" | "picker" | "radio" | "checkboxes" | "upload";
