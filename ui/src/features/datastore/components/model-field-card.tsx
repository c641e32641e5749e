// One field of the model editor: a row (drag handle, type, key, label, flags) that opens into
// the whole definition: label, description, type, required, nullable, default, options.
import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { AlertTriangleIcon, ChevronDownIcon, GripVerticalIcon, Trash2Icon } from "lucide-react";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { cn } from "@/lib/utils";
import { FIELD_TYPES, type FieldType, isMulti, type Model, type ModelField } from "../api";
import { DefaultInput } from "./model-default-input";
import type { DraftField } from "./model-draft";
import { FieldTypeIcon } from "./model-field-types";
import { FieldOptionsEditor, FlagOption } from "./model-options";

interface Props {
  entry: DraftField;
  /** The type the field has on the server (a change converts its values on save). */
  savedType: FieldType | null;
  models: Model[];
  /** This field's errors by place ("" the field, "key", "default", "type", "options.max"...). */
  errors: Record<string, string>;
  expanded: boolean;
  onExpanded: (expanded: boolean) => void;
  onChange: (change: Partial<ModelField>, extra?: Partial<DraftField>) => void;
  onType: (type: FieldType) => void;
  onRemove: () => void;
}

export function FieldCard({ entry, savedType, models, errors, expanded, onExpanded, onChange, onType, onRemove }: Props) {
  const { t } = useTranslation();
  const { field } = entry;
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: entry.uid });
  const bodyId = useId();
  const renamed = entry.saved !== null && entry.saved !== field.key;
  const retyped = savedType !== null && savedType !== field.type;
  const hasErrors = Object.keys(errors).length > 0;
  const typeLabel = t(`datastore.models.types.${field.type}`);
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      className={cn("rounded-lg border bg-card", isDragging && "relative z-10 shadow-lg", hasErrors && "border-destructive/60")}
      data-testid="field-card"
      data-key={field.key}
    >
      <div className="flex items-center gap-2 px-2 py-1.5">
        <button
          type="button"
          ref={setActivatorNodeRef}
          className="flex size-7 shrink-0 cursor-grab touch-none items-center justify-center rounded text-muted-foreground hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none active:cursor-grabbing"
          {...attributes}
          {...listeners}
          aria-label={t("datastore.models.moveField", { key: field.key })}
        >
          <GripVerticalIcon className="size-4" />
        </button>
        <span className="flex w-28 shrink-0 items-center gap-1.5 text-xs text-muted-foreground" title={typeLabel}>
          <FieldTypeIcon type={field.type} />
          <span className="truncate">{typeLabel}</span>
        </span>
        <Input
          className="h-8 w-48 font-mono text-sm"
          aria-label={t("datastore.models.key")}
          aria-invalid={Boolean(errors.key)}
          value={field.key}
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => onChange({ key: event.target.value })}
        />
        <span className="min-w-0 flex-1 truncate text-sm text-muted-foreground">{field.label}</span>
        <span className="hidden flex-wrap items-center gap-1 md:flex">
          {entry.saved === null && <Badge variant="success">{t("datastore.models.newBadge")}</Badge>}
          {renamed && <Badge variant="outline">{t("datastore.models.renamedBadge", { key: entry.saved })}</Badge>}
          {field.required && <Badge variant="secondary">{t("datastore.models.required")}</Badge>}
          {field.options.unique && <Badge variant="secondary">{t("datastore.models.unique")}</Badge>}
          {isMulti(field) && <Badge variant="secondary">{t("datastore.models.multiple", { count: field.options.maxSelect })}</Badge>}
        </span>
        <Button
          variant="ghost"
          size="icon-sm"
          aria-expanded={expanded}
          aria-controls={bodyId}
          aria-label={t(expanded ? "datastore.models.collapseField" : "datastore.models.expandField", { key: field.key })}
          onClick={() => onExpanded(!expanded)}
        >
          <ChevronDownIcon className={cn("transition-transform", expanded && "rotate-180")} />
        </Button>
        <Button variant="ghost" size="icon-sm" aria-label={t("datastore.models.removeField", { key: field.key })} onClick={onRemove}>
          <Trash2Icon />
        </Button>
      </div>
      {errors.key && (
        <p role="alert" className="px-3 pb-2 text-sm text-destructive" data-field-error>
          {t("datastore.models.key")}: {errors.key}
        </p>
      )}
      {renamed && (
        <p className="mx-3 mb-2 flex items-start gap-2 rounded-md bg-amber-500/10 px-2 py-1.5 text-xs text-amber-800 dark:text-amber-300" data-testid="rename-warning">
          <AlertTriangleIcon className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
          {t("datastore.models.renameWarning", { from: entry.saved, to: field.key })}
        </p>
      )}
      {errors[""] && (
        <p role="alert" className="px-3 pb-2 text-sm text-destructive" data-field-error>
          {errors[""]}
        </p>
      )}
      {expanded && (
        <div id={bodyId} className="grid gap-3 border-t px-3 py-3">
          <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <Field label={t("datastore.models.label")} error={errors.label}>
              {(control) => <Input {...control} value={field.label} autoComplete="off" onChange={(event) => onChange({ label: event.target.value })} />}
            </Field>
            {/* A refused type change is told in full below the row (it names a count and a record). */}
            <Field label={t("datastore.models.type")}>
              {(control) => (
                <Select value={field.type} onValueChange={(type) => onType(type as FieldType)}>
                  <SelectTrigger {...control} aria-invalid={Boolean(errors.type)} aria-describedby={errors.type ? `${bodyId}-type-error` : undefined}>
                    <SelectValue />
                  </SelectTrigger>
                  <SelectContent>
                    {FIELD_TYPES.map((type) => (
                      <SelectItem key={type} value={type}>
                        <span className="flex items-center gap-2">
                          <FieldTypeIcon type={type} />
                          {t(`datastore.models.types.${type}`)}
                        </span>
                      </SelectItem>
                    ))}
                  </SelectContent>
                </Select>
              )}
            </Field>
            <Field label={t("datastore.models.description")} error={errors.description} className="sm:col-span-2">
              {(control) => <Input {...control} value={field.description} autoComplete="off" onChange={(event) => onChange({ description: event.target.value })} />}
            </Field>
          </div>
          {errors.type && (
            <p id={`${bodyId}-type-error`} role="alert" className="flex items-start gap-2 rounded-md border border-destructive/40 bg-destructive/5 px-2 py-1.5 text-sm text-destructive" data-field-error>
              <AlertTriangleIcon className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
              {errors.type}
            </p>
          )}
          {retyped && !errors.type && (
            <p className="flex items-start gap-2 rounded-md bg-amber-500/10 px-2 py-1.5 text-xs text-amber-800 dark:text-amber-300">
              <AlertTriangleIcon className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
              {t("datastore.models.typeWarning", { from: t(`datastore.models.types.${savedType}`), to: typeLabel })}
            </p>
          )}
          <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <FlagOption label={t("datastore.models.required")} hint={t("datastore.models.requiredHint")} checked={field.required} error={errors.required} onChange={(required) => onChange({ required })} />
            <FlagOption label={t("datastore.models.nullable")} hint={t("datastore.models.nullableHint")} checked={field.nullable} error={errors.nullable} onChange={(nullable) => onChange({ nullable })} />
            <Field label={t("datastore.models.default")} error={errors.default} className="sm:col-span-2">
              {(control) => (
                <DefaultInput
                  field={field}
                  jsonText={entry.jsonText}
                  control={control}
                  onChange={(value, jsonText, invalid) => onChange({ default: value }, { jsonText, jsonInvalid: Boolean(invalid) })}
                />
              )}
            </Field>
          </div>
          <FieldOptionsEditor key={field.type} field={field} models={models} errors={errors} onChange={(options) => onChange({ options })} />
        </div>
      )}
    </li>
  );
}
