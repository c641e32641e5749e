// What the model editor knows about each field type: its icon, the options it starts with, and
// whether a table may sort by it (the server's rule, datastore/models.py check_definition).
import {
  BracesIcon,
  CalendarClockIcon,
  CalendarIcon,
  DecimalsArrowRightIcon,
  FileBracesIcon,
  HashIcon,
  Link2Icon,
  ListChecksIcon,
  type LucideIcon,
  MailIcon,
  PaperclipIcon,
  TextIcon,
  ToggleLeftIcon,
  TypeIcon,
  WaypointsIcon,
} from "lucide-react";
import type { FieldOptions, FieldType, ModelField } from "../api";

export const FIELD_ICONS: Record<FieldType, LucideIcon> = {
  string: TypeIcon,
  text: TextIcon,
  number: HashIcon,
  float: DecimalsArrowRightIcon,
  bool: ToggleLeftIcon,
  email: MailIcon,
  url: Link2Icon,
  date: CalendarIcon,
  datetime: CalendarClockIcon,
  select: ListChecksIcon,
  ref: WaypointsIcon,
  file: PaperclipIcon,
  document: BracesIcon,
  json: FileBracesIcon,
};

export function FieldTypeIcon({ type, className }: { type: FieldType; className?: string }) {
  const Icon = FIELD_ICONS[type];
  return <Icon className={className ?? "size-4 text-muted-foreground"} aria-hidden="true" />;
}

/** The options a new field of a type starts with (the server fills in the rest). */
export function initialOptions(type: FieldType): FieldOptions {
  switch (type) {
    case "select":
      return { values: [], maxSelect: 1 };
    case "ref":
      return { model: "", maxSelect: 1, cascadeDelete: false };
    case "file":
      return { maxSelect: 1, mimeTypes: [] };
    default:
      return {};
  }
}

/** Types whose fields take no default (the server refuses one). */
export const NO_DEFAULT: ReadonlySet<FieldType> = new Set(["ref", "file"]);

const SORTABLE_TYPES: ReadonlySet<FieldType> = new Set(["string", "email", "url", "number", "float", "bool", "date", "datetime", "select", "ref"]);

/** A table sorts by single-value scalar fields only (and by id, created, updated). */
export const isSortable = (field: Pick<ModelField, "type" | "options">) =>
  SORTABLE_TYPES.has(field.type) && (field.options.maxSelect ?? 1) <= 1;
