// A field's default, with a control of its type. Empty means "no default" (null); the server
// judges whether a value fits the field (its 422 `fields.N.default` appears under this control).
import { XIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import { isMulti, type ModelField } from "../api";
import { NO_DEFAULT } from "./model-field-types";

const NONE = "none"; // the Select sentinel for "no default" (an item's value is never "")

interface Props {
  field: ModelField;
  /** A document/json default as typed while it is not valid JSON. */
  jsonText?: string;
  /** jsonText: a document/json default as typed; invalid: it is not JSON. */
  onChange: (value: unknown, jsonText?: string, invalid?: boolean) => void;
  control: { id: string; "aria-invalid": boolean; "aria-describedby"?: string };
}

const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));

/** A stored datetime (`2025-01-01T10:00:00.000Z`) as a datetime-local value (UTC), and back. */
const localOf = (value: unknown) => (typeof value === "string" ? value.slice(0, 16) : "");
const isoOf = (local: string) => (local ? `${local}:00.000Z` : null);

export function DefaultInput({ field, jsonText, onChange, control }: Props) {
  const { t } = useTranslation();
  if (NO_DEFAULT.has(field.type)) {
    return (
      <p id={control.id} className="text-sm text-muted-foreground">
        {t("datastore.models.noDefaultFor", { type: t(`datastore.models.types.${field.type}`) })}
      </p>
    );
  }
  switch (field.type) {
    case "bool":
      return (
        <div className="flex h-9 items-center gap-3">
          <Switch {...control} checked={field.default === true} onCheckedChange={(checked) => onChange(checked)} />
          <span className="text-sm text-muted-foreground" data-testid="bool-default">
            {field.default === null ? t("datastore.models.noDefault") : field.default ? t("datastore.models.true") : t("datastore.models.false")}
          </span>
          {field.default !== null && (
            <Button variant="ghost" size="icon-sm" aria-label={t("datastore.models.clearDefault")} onClick={() => onChange(null)}>
              <XIcon />
            </Button>
          )}
        </div>
      );
    case "number":
    case "float":
      return (
        <Input
          {...control}
          type="number"
          step={field.type === "number" ? 1 : "any"}
          className="font-mono"
          value={text(field.default)}
          placeholder={t("datastore.models.noDefault")}
          onChange={(event) => onChange(event.target.value === "" ? null : Number(event.target.value))}
        />
      );
    case "text":
      return <Textarea {...control} rows={2} value={text(field.default)} placeholder={t("datastore.models.noDefault")} onChange={(event) => onChange(event.target.value || null)} />;
    case "date":
      return <Input {...control} type="date" className="w-fit" value={text(field.default)} onChange={(event) => onChange(event.target.value || null)} />;
    case "datetime":
      return (
        <div className="flex items-center gap-2">
          <Input {...control} type="datetime-local" className="w-fit" value={localOf(field.default)} onChange={(event) => onChange(isoOf(event.target.value))} />
          <span className="text-xs text-muted-foreground">UTC</span>
        </div>
      );
    case "select":
      return <SelectDefault field={field} onChange={onChange} control={control} />;
    case "document":
    case "json":
      return (
        <Textarea
          {...control}
          rows={3}
          spellCheck={false}
          className="font-mono text-xs"
          value={jsonText ?? (field.default === null ? "" : JSON.stringify(field.default, null, 2))}
          placeholder='{"key": "value"}'
          onChange={(event) => {
            const typed = event.target.value;
            let value: unknown = null;
            let valid = true;
            try {
              value = typed.trim() ? JSON.parse(typed) : null;
            } catch {
              valid = false; // kept as typed: the draft does not save it until it parses
            }
            onChange(valid ? value : field.default, typed, !valid);
          }}
        />
      );
    default: // string, email, url
      return (
        <Input
          {...control}
          type={field.type === "email" ? "email" : field.type === "url" ? "url" : "text"}
          value={text(field.default)}
          placeholder={t("datastore.models.noDefault")}
          autoComplete="off"
          onChange={(event) => onChange(event.target.value || null)}
        />
      );
  }
}

function SelectDefault({ field, onChange, control }: Omit<Props, "jsonText">) {
  const { t } = useTranslation();
  const values = field.options.values ?? [];
  if (isMulti(field)) {
    const chosen = Array.isArray(field.default) ? (field.default as string[]) : [];
    if (values.length === 0) return <p className="text-sm text-muted-foreground">{t("datastore.models.valuesFirst")}</p>;
    return (
      <div role="group" aria-label={t("datastore.models.default")} className="flex flex-wrap gap-x-4 gap-y-2" id={control.id}>
        {values.map((value) => (
          <label key={value} className="flex items-center gap-2 text-sm">
            <Checkbox
              checked={chosen.includes(value)}
              onCheckedChange={(checked) => {
                const next = checked ? [...chosen, value] : chosen.filter((item) => item !== value);
                onChange(next.length ? next : null);
              }}
            />
            {value}
          </label>
        ))}
      </div>
    );
  }
  return (
    <Select value={typeof field.default === "string" && field.default ? field.default : NONE} onValueChange={(next) => onChange(next === NONE ? null : next)}>
      <SelectTrigger {...control} className="w-fit min-w-40">
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        <SelectItem value={NONE}>{t("datastore.models.noDefault")}</SelectItem>
        {values.filter(Boolean).map((value) => (
          <SelectItem key={value} value={value}>
            {value}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}
