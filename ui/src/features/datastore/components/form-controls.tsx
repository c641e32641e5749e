// One control per field type and widget (the server's WIDGETS, api.ts), and the frame around it:
// the label (required marked), the description as a hint, the error under it, all tied by ids.
import { lazy, Suspense, useId } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import { cn } from "@/lib/utils";
import { isMulti, type ModelField } from "../api";
import { Picker } from "./form-picker";
import { RefPicker } from "./form-ref-picker";
import { JsonField } from "./form-json";
import { type FormValue, labelOf } from "./form-values";

const RichText = lazy(() => import("./form-rich-text"));

/** What ties a control to its label, hint and error. */
export interface ControlAria {
  id: string;
  "aria-invalid": boolean;
  "aria-describedby"?: string;
  "aria-labelledby"?: string;
  "aria-required"?: boolean;
}

/** The props of a text editor widget (rich text, JSON): its text, and how the form reaches it. */
export interface TextEditorProps {
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  aria: ControlAria;
  /** react-hook-form's ref: an error on the field focuses the editor. */
  inputRef?: React.Ref<{ focus: () => void }>;
  disabled?: boolean;
}

/** Widgets drawn as a group of controls (a fieldset with a legend instead of a label). */
export const isGroup = (field: ModelField, widget: string) =>
  field.type === "file" || (field.type === "select" && (widget === "radio" || widget === "checkboxes"));

export function FieldShell({
  field,
  group,
  error,
  children,
}: {
  field: ModelField;
  group: boolean;
  error?: string;
  children: (aria: ControlAria) => React.ReactNode;
}) {
  const { t } = useTranslation();
  const id = useId();
  const hint = field.description;
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  const aria: ControlAria = {
    id,
    "aria-invalid": Boolean(error),
    "aria-describedby": described,
    "aria-labelledby": `${id}-label`,
    ...(field.required ? { "aria-required": true } : {}),
  };
  const label = (
    <>
      {labelOf(field)}
      {field.required && (
        // A control says so with aria-required; a group of controls (fieldset) says it in words.
        <span className="text-destructive" title={t("datastore.form.requiredMark")}>
          <span aria-hidden="true">*</span>
          {group && <span className="sr-only"> ({t("datastore.form.requiredMark")})</span>}
        </span>
      )}
    </>
  );
  const foot = (
    <>
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm text-destructive" data-field-error>
          {error}
        </p>
      )}
    </>
  );
  const state = { "data-field": field.key, "data-invalid": error ? true : undefined };
  if (group) {
    return (
      <fieldset className="grid gap-2" {...state}>
        <legend id={`${id}-label`} className={cn("mb-2 flex items-center gap-1 text-sm leading-none font-medium", error && "text-destructive")}>
          {label}
        </legend>
        {children(aria)}
        {foot}
      </fieldset>
    );
  }
  return (
    <div className="grid gap-2" {...state}>
      <Label id={`${id}-label`} htmlFor={id} className={cn("gap-1", error && "text-destructive")}>
        {label}
      </Label>
      {children(aria)}
      {foot}
    </div>
  );
}

export interface ControlProps {
  pid: string;
  field: ModelField;
  widget: string;
  value: FormValue;
  onChange: (value: FormValue) => void;
  onBlur: () => void;
  aria: ControlAria;
  // react-hook-form's ref: its focus() is called for the first field with an error.
  inputRef: React.Ref<never>;
  disabled?: boolean;
}

const NONE = "\u2400none"; // Radix's Select.Item may not have "" as its value

/** The control of every field type except `file` (form-files.tsx), chosen by the widget. */
export function FieldControl({ pid, field, widget, value, onChange, onBlur, aria, inputRef, disabled }: ControlProps) {
  const { t } = useTranslation();
  const text = typeof value === "string" ? value : "";
  const list = Array.isArray(value) ? value : [];
  const common = { ...aria, ref: inputRef, onBlur, disabled };
  const values = field.options.values ?? [];

  switch (field.type) {
    case "text":
      if (widget === "tiptap" || widget === "markdown")
        return (
          <Suspense fallback={<Skeleton className="h-40 rounded-md" />}>
            <RichText format={widget === "markdown" ? "markdown" : "html"} value={text} onChange={onChange} onBlur={onBlur} aria={aria} inputRef={inputRef} disabled={disabled} />
          </Suspense>
        );
      return <Textarea {...common} rows={4} value={text} onChange={(event) => onChange(event.target.value)} />;

    case "number":
    case "float": {
      if (widget === "slider") {
        const min = field.options.min ?? 0;
        const max = field.options.max ?? 100;
        const step = field.type === "number" ? 1 : (max - min) / 100 || 0.01;
        const current = text.trim() === "" || Number.isNaN(Number(text)) ? min : Number(text);
        return (
          <div className="flex items-center gap-3">
            <input
              type="range"
              {...common}
              min={min}
              max={max}
              step={step}
              value={current}
              onChange={(event) => onChange(event.target.value)}
              className="h-2 flex-1 cursor-pointer accent-primary disabled:cursor-not-allowed dark:[color-scheme:dark]"
            />
            <output htmlFor={aria.id} className="w-16 text-right font-mono text-sm tabular-nums" data-testid={`slider-value-${field.key}`}>
              {text.trim() === "" ? "—" : text}
            </output>
          </div>
        );
      }
      return (
        <Input
          {...common}
          inputMode={field.type === "number" ? "numeric" : "decimal"}
          autoComplete="off"
          className="font-mono"
          value={text}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    }

    case "bool":
      return widget === "checkbox" ? (
        <div className="flex items-center gap-2">
          <Checkbox {...common} checked={value === true} onCheckedChange={(checked) => onChange(checked === true)} />
          <span className="text-sm text-muted-foreground">{value ? t("datastore.form.yes") : t("datastore.form.no")}</span>
        </div>
      ) : (
        <div className="flex items-center gap-3">
          <Switch {...common} checked={value === true} onCheckedChange={(checked) => onChange(checked)} />
          <span className="text-sm text-muted-foreground">{value ? t("datastore.form.yes") : t("datastore.form.no")}</span>
        </div>
      );

    case "date":
      return <Input {...common} type="date" className="w-fit dark:[color-scheme:dark]" value={text} onChange={(event) => onChange(event.target.value)} />;

    case "datetime":
      return (
        <div className="grid gap-1">
          <Input {...common} type="datetime-local" step={1} className="w-fit dark:[color-scheme:dark]" value={text} onChange={(event) => onChange(event.target.value)} />
          <span className="text-xs text-muted-foreground">{t("datastore.form.timeZone", { zone: Intl.DateTimeFormat().resolvedOptions().timeZone })}</span>
        </div>
      );

    case "select": {
      const multi = isMulti(field);
      const max = field.options.maxSelect ?? 1;
      if (widget === "radio" && !multi) {
        // Native radios (one tab stop, arrows move): Radix's RadioGroup would land in the first chunk.
        const choices = field.required ? values : ["", ...values];
        return (
          <div className="grid gap-2">
            {choices.map((one, index) => (
              <div key={one || NONE} className="flex items-center gap-2">
                <input
                  type="radio"
                  id={`${aria.id}-${index}`}
                  name={aria.id}
                  value={one}
                  checked={text === one}
                  onChange={() => onChange(one)}
                  onBlur={onBlur}
                  ref={index === 0 ? inputRef : undefined}
                  aria-invalid={aria["aria-invalid"]}
                  disabled={disabled}
                  className="size-4 cursor-pointer accent-primary disabled:cursor-not-allowed dark:[color-scheme:dark]"
                />
                <Label htmlFor={`${aria.id}-${index}`} className={cn("font-normal", !one && "text-muted-foreground")}>
                  {one || t("datastore.form.none")}
                </Label>
              </div>
            ))}
          </div>
        );
      }
      if (widget === "checkboxes" || widget === "radio") {
        const chosen = multi ? list : text ? [text] : [];
        const toggle = (one: string, on: boolean) => {
          if (multi) onChange(on ? [...chosen, one] : chosen.filter((other) => other !== one));
          else onChange(on ? one : "");
        };
        return (
          <div className="grid gap-2">
            {values.map((one, index) => {
              const on = chosen.includes(one);
              return (
                <div key={one} className="flex items-center gap-2">
                  <Checkbox
                    id={`${aria.id}-${index}`}
                    ref={index === 0 ? inputRef : undefined}
                    aria-invalid={aria["aria-invalid"]}
                    checked={on}
                    disabled={disabled || (!on && multi && chosen.length >= max)}
                    onCheckedChange={(checked) => toggle(one, checked === true)}
                  />
                  <Label htmlFor={`${aria.id}-${index}`} className="font-normal">
                    {one}
                  </Label>
                </div>
              );
            })}
          </div>
        );
      }
      if (multi)
        return (
          <Picker
            aria={aria}
            inputRef={inputRef}
            multi
            value={list}
            onChange={onChange}
            onBlur={onBlur}
            items={values.map((one) => ({ value: one, label: one }))}
            max={max}
            disabled={disabled}
          />
        );
      return (
        <Select value={text || (field.required ? "" : NONE)} onValueChange={(next) => onChange(next === NONE ? "" : next)} disabled={disabled}>
          <SelectTrigger {...aria} ref={inputRef} onBlur={onBlur}>
            <SelectValue placeholder={t("datastore.form.choose")} />
          </SelectTrigger>
          <SelectContent>
            {!field.required && (
              <SelectItem value={NONE}>
                <span className="text-muted-foreground">{t("datastore.form.none")}</span>
              </SelectItem>
            )}
            {values.map((one) => (
              <SelectItem key={one} value={one}>
                {one}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      );
    }

    case "ref":
      return <RefPicker pid={pid} field={field} aria={aria} inputRef={inputRef} value={value as string | string[]} onChange={onChange} onBlur={onBlur} disabled={disabled} />;

    case "document":
    case "json": // the one widget of both, `json`: Monaco
      return <JsonField label={labelOf(field)} value={text} onChange={onChange} onBlur={onBlur} aria={aria} inputRef={inputRef} disabled={disabled} />;

    case "email":
    case "url":
      return <Input {...common} type={field.type} autoComplete="off" value={text} onChange={(event) => onChange(event.target.value)} />;

    default: {
      // string: `select` needs values to choose from, and a string field has none: an input then.
      if (widget === "select" && values.length > 0)
        return <FieldControl pid={pid} field={{ ...field, type: "select" }} widget="select" value={value} onChange={onChange} onBlur={onBlur} aria={aria} inputRef={inputRef} disabled={disabled} />;
      return <Input {...common} autoComplete="off" value={text} onChange={(event) => onChange(event.target.value)} />;
    }
  }
}
