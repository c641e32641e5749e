// One cell of the records table, drawn by the field's type: text truncated, numbers right-aligned,
// a check for bools, dates in the reader's language, select values as badges, refs by the
// referred record's name (from `expand`), files by name with a thumbnail, documents as short code.
import { useQuery } from "@tanstack/react-query";
import { CheckIcon, FileIcon, MinusIcon } from "lucide-react";
import { useEffect, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { api } from "@/lib/api";
import { formatDate, formatDateTime, formatNumber } from "@/lib/format";
import { type DataRecord, datastoreKeys, fileUrl, type Model, type ModelField } from "../api";

const TEXT_TYPES = new Set(["string", "email", "url", "text"]);
const NAME_KEYS = ["name", "title", "label", "slug", "email"];
const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

/** The field that names a record of `model` in a ref cell: name/title/... or its first text field. */
export function nameField(model: Model | undefined): string | null {
  if (!model) return null;
  const texts = model.fields.filter((field) => TEXT_TYPES.has(field.type));
  return (NAME_KEYS.map((key) => texts.find((field) => field.key === key)).find(Boolean) ?? texts[0])?.key ?? null;
}

function Empty() {
  return <span className="text-muted-foreground/70">—</span>;
}

function Truncated({ text, mono = false }: { text: string; mono?: boolean }) {
  const short = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  return (
    <span className={mono ? "block max-w-64 truncate font-mono text-xs" : "block max-w-72 truncate"} title={text.length > 40 ? text.slice(0, 500) : undefined}>
      {short}
    </span>
  );
}

function RefLabel({ id, expanded, label }: { id: string; expanded: DataRecord | undefined; label: string | null }) {
  const name = expanded && label ? expanded[label] : undefined;
  return typeof name === "string" && name ? (
    <Badge variant="outline" className="max-w-48 font-normal" title={id}>
      <span className="truncate">{name}</span>
    </Badge>
  ) : (
    <code className="text-xs text-muted-foreground">{id}</code>
  );
}

/** An image file of a record, fetched with the token as a Blob (the API takes no cookie). */
function FileThumb({ pid, model, record, field, name }: { pid: string; model: string; record: string; field: string; name: string }) {
  const blob = useQuery({
    queryKey: [...datastoreKeys.records(pid, model), "file", record, field, name],
    queryFn: ({ signal }) => api<Blob>(fileUrl(pid, model, record, field, name), { as: "blob", signal }),
    staleTime: Infinity,
  });
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!blob.data) return;
    const href = URL.createObjectURL(blob.data);
    setSrc(href);
    return () => URL.revokeObjectURL(href);
  }, [blob.data]);
  return src ? (
    <img src={src} alt="" className="size-6 shrink-0 rounded-sm border object-cover" data-testid="file-thumb" />
  ) : (
    <FileIcon className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
  );
}

/** The words of an HTML fragment (parsed inert: DOMParser runs no script and loads nothing). */
function textOfHtml(html: string): string {
  const spaced = html.replace(/<\/(p|li|h[1-6]|blockquote|pre)>/gi, "$& "); // paragraphs stay apart as words
  const text = new DOMParser().parseFromString(spaced, "text/html").body.textContent ?? "";
  return text.replace(/\s+/g, " ").trim();
}

export interface CellContext {
  pid: string;
  model: Model;
  /** Ref field key -> the name field of the model it refers to. */
  refNames: Record<string, string | null>;
  /** The words of a bool cell (translated once for the page, not once a cell). */
  yes: string;
  no: string;
}

export function SystemCell({ name, value }: { name: string; value: unknown }) {
  if (name === "id") return <code className="text-xs whitespace-nowrap">{String(value)}</code>;
  return typeof value === "string" ? <span className="text-xs whitespace-nowrap text-muted-foreground">{formatDateTime(value)}</span> : <Empty />;
}

export function FieldCell({ field, record, context }: { field: ModelField; record: DataRecord; context: CellContext }) {
  const value = record[field.key];
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) {
    return <Empty />;
  }
  switch (field.type) {
    case "bool":
      return value ? (
        <span className="inline-flex items-center text-success" title={context.yes}>
          <CheckIcon className="size-4" aria-hidden="true" />
          <span className="sr-only">{context.yes}</span>
        </span>
      ) : (
        <span className="inline-flex items-center text-muted-foreground" title={context.no}>
          <MinusIcon className="size-4" aria-hidden="true" />
          <span className="sr-only">{context.no}</span>
        </span>
      );
    case "number":
    case "float":
      return <span className="block text-right tabular-nums">{typeof value === "number" ? formatNumber(value) : String(value)}</span>;
    case "date":
      return <span className="whitespace-nowrap">{formatDate(`${String(value)}T00:00:00Z`)}</span>;
    case "datetime":
      return <span className="whitespace-nowrap">{formatDateTime(String(value))}</span>;
    case "select": {
      const values = Array.isArray(value) ? value : [value];
      return (
        <span className="flex max-w-72 gap-1 overflow-hidden">
          {values.map((item) => (
            <Badge key={String(item)} variant="secondary" className="font-normal">
              {String(item)}
            </Badge>
          ))}
        </span>
      );
    }
    case "ref": {
      const ids = (Array.isArray(value) ? value : [value]).map(String);
      const expanded = record.expand?.[field.key];
      const byId = new Map((Array.isArray(expanded) ? expanded : expanded ? [expanded] : []).map((one) => [one.id, one]));
      return (
        <span className="flex max-w-72 gap-1 overflow-hidden">
          {ids.slice(0, 3).map((id) => (
            <RefLabel key={id} id={id} expanded={byId.get(id)} label={context.refNames[field.key] ?? null} />
          ))}
          {ids.length > 3 && <span className="text-xs text-muted-foreground">+{ids.length - 3}</span>}
        </span>
      );
    }
    case "file": {
      const names = (Array.isArray(value) ? value : [value]).map(String);
      const first = names[0]!;
      return (
        <span className="flex max-w-64 items-center gap-1.5">
          {IMAGE.test(first) ? (
            <FileThumb pid={context.pid} model={context.model.slug} record={record.id} field={field.key} name={first} />
          ) : (
            <FileIcon className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
          )}
          <span className="truncate text-xs">{names.join(", ")}</span>
        </span>
      );
    }
    case "document":
    case "json":
      return <Truncated text={JSON.stringify(value)} mono />;
    case "text":
      // Rich text is stored as HTML: the cell shows its words, not its tags.
      return <Truncated text={context.model.form.widgets[field.key] === "tiptap" ? textOfHtml(String(value)) : String(value)} />;
    default:
      return <Truncated text={String(value)} />;
  }
}
