// A field's options, by type (docs/datastore.md "Models"): the controls of the options that type
// takes and nothing else (the server refuses unknown options). Each shows the server's refusal of it.
import { PlusIcon, XIcon } from "lucide-react";
import { type ReactNode, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import type { FieldOptions, Model, ModelField } from "../api";

interface Props {
  field: ModelField;
  /** The project's models (a ref field picks one). */
  models: Model[];
  /** This field's errors, by place ("options.max", "options" ...). */
  errors: Record<string, string>;
  onChange: (options: FieldOptions) => void;
}

type NumberOption = "min" | "max" | "maxSize" | "maxSelect";

export function FieldOptionsEditor({ field, models, errors, onChange }: Props) {
  const { t } = useTranslation();
  const options = field.options;
  const set = (change: Partial<FieldOptions>) => onChange({ ...options, ...change });
  const number = (name: NumberOption, label: string, hint?: string) => (
    <Field label={label} hint={hint} error={errors[`options.${name}`]}>
      {(control) => (
        <Input
          {...control}
          type="number"
          className="font-mono"
          value={options[name] ?? ""}
          onChange={(event) => set({ [name]: event.target.value === "" ? undefined : Number(event.target.value) })}
        />
      )}
    </Field>
  );
  const flag = (name: "unique" | "cascadeDelete", label: string, hint: string) => (
    <FlagOption label={label} hint={hint} checked={Boolean(options[name])} error={errors[`options.${name}`]} onChange={(checked) => set({ [name]: checked })} />
  );
  const general = errors.options;
  let controls: ReactNode = null;
  switch (field.type) {
    case "string":
    case "email":
    case "url":
      controls = (
        <>
          {number("min", t("datastore.models.minLength"))}
          {number("max", t("datastore.models.maxLength"))}
          <Field label={t("datastore.models.pattern")} hint={t("datastore.models.patternHint")} error={errors["options.pattern"]}>
            {(control) => (
              <Input {...control} className="font-mono" spellCheck={false} autoComplete="off" value={options.pattern ?? ""} onChange={(event) => set({ pattern: event.target.value || undefined })} />
            )}
          </Field>
          {flag("unique", t("datastore.models.unique"), t("datastore.models.uniqueHint"))}
        </>
      );
      break;
    case "text":
      controls = number("max", t("datastore.models.maxLength"));
      break;
    case "number":
    case "float":
      controls = (
        <>
          {number("min", t("datastore.models.min"))}
          {number("max", t("datastore.models.max"))}
          {flag("unique", t("datastore.models.unique"), t("datastore.models.uniqueHint"))}
        </>
      );
      break;
    case "select":
      controls = (
        <>
          <ValuesEditor values={options.values ?? []} error={errors["options.values"]} onChange={(values) => set({ values })} />
          {number("maxSelect", t("datastore.models.maxSelect"), t("datastore.models.maxSelectHint"))}
        </>
      );
      break;
    case "file":
      controls = (
        <>
          {number("maxSize", t("datastore.models.maxFileSize"), t("datastore.models.bytesHint"))}
          <MimeTypes value={options.mimeTypes ?? []} error={errors["options.mimeTypes"]} onChange={(mimeTypes) => set({ mimeTypes })} />
          {number("maxSelect", t("datastore.models.maxFiles"), t("datastore.models.maxSelectHint"))}
        </>
      );
      break;
    case "ref":
      controls = (
        <>
          <Field label={t("datastore.models.refModel")} error={errors["options.model"]}>
            {(control) => (
              <Select value={options.model || undefined} onValueChange={(model) => set({ model })}>
                <SelectTrigger {...control}>
                  <SelectValue placeholder={t("datastore.models.chooseModel")} />
                </SelectTrigger>
                <SelectContent>
                  {models.map((model) => (
                    <SelectItem key={model.id} value={model.slug}>
                      {model.name} <span className="font-mono text-xs text-muted-foreground">{model.slug}</span>
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          </Field>
          {number("maxSelect", t("datastore.models.maxSelect"), t("datastore.models.maxSelectHint"))}
          {flag("cascadeDelete", t("datastore.models.cascadeDelete"), t("datastore.models.cascadeDeleteHint"))}
        </>
      );
      break;
    case "document":
    case "json":
      controls = number("maxSize", t("datastore.models.maxJsonSize"), t("datastore.models.bytesHint"));
      break;
    default:
      return general ? <p className="text-sm text-destructive">{general}</p> : null;
  }
  return (
    <fieldset className="grid gap-3">
      <legend className="mb-2 text-xs font-medium tracking-wide text-muted-foreground uppercase">{t("datastore.models.options")}</legend>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">{controls}</div>
      {general && (
        <p role="alert" className="text-sm text-destructive" data-field-error>
          {general}
        </p>
      )}
    </fieldset>
  );
}

export function FlagOption({ label, hint, checked, error, onChange }: { label: string; hint: string; checked: boolean; error?: string; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div className="grid content-start gap-2">
      <Label htmlFor={id} className={error ? "text-destructive" : undefined}>
        {label}
      </Label>
      <div className="flex h-9 items-center gap-2">
        <Switch id={id} checked={checked} onCheckedChange={onChange} aria-describedby={`${id}-hint`} aria-invalid={Boolean(error)} />
        <span id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </span>
      </div>
      {error && (
        <p role="alert" className="text-sm text-destructive" data-field-error>
          {error}
        </p>
      )}
    </div>
  );
}

/** A select field's values: chips, and an input that adds one (Enter or the button). */
function ValuesEditor({ values, error, onChange }: { values: string[]; error?: string; onChange: (values: string[]) => void }) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState("");
  const add = () => {
    const value = typed.trim();
    if (value && !values.includes(value)) onChange([...values, value]);
    setTyped("");
  };
  return (
    <Field label={t("datastore.models.values")} error={error} className="sm:col-span-2 lg:col-span-3">
      {(control) => (
        <div className="grid gap-2">
          {values.length > 0 && (
            <ul className="flex flex-wrap gap-1.5">
              {values.map((value) => (
                <li key={value} className="inline-flex items-center gap-1 rounded-md border bg-muted/50 py-0.5 pr-0.5 pl-2 font-mono text-xs">
                  {value}
                  <button
                    type="button"
                    className="rounded p-0.5 text-muted-foreground hover:bg-accent hover:text-foreground"
                    aria-label={t("datastore.models.removeValue", { value })}
                    onClick={() => onChange(values.filter((item) => item !== value))}
                  >
                    <XIcon className="size-3" />
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="flex gap-2">
            <Input
              {...control}
              value={typed}
              placeholder={t("datastore.models.addValueHint")}
              autoComplete="off"
              onChange={(event) => setTyped(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === "Enter") {
                  event.preventDefault();
                  add();
                }
              }}
            />
            <Button variant="outline" onClick={add} disabled={!typed.trim()}>
              <PlusIcon />
              {t("datastore.models.addValue")}
            </Button>
          </div>
        </div>
      )}
    </Field>
  );
}

/** MIME types as comma-separated text; the text is kept as typed, the list is what is saved. */
function MimeTypes({ value, error, onChange }: { value: string[]; error?: string; onChange: (value: string[]) => void }) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState(value.join(", "));
  return (
    <Field label={t("datastore.models.mimeTypes")} hint={t("datastore.models.mimeTypesHint")} error={error}>
      {(control) => (
        <Input
          {...control}
          className="font-mono"
          spellCheck={false}
          autoComplete="off"
          value={typed}
          placeholder="image/*, application/pdf"
          onChange={(event) => {
            setTyped(event.target.value);
            onChange(
              event.target.value
                .split(",")
                .map((part) => part.trim())
                .filter(Boolean),
            );
          }}
        />
      )}
    </Field>
  );
}
