// The form of a record, generated from its model: the fields in the form config's order (hidden
// ones left out), each with the control its widget names. A new record is a POST of the fields
// the user set (the others take their defaults); an edit is a PATCH of the changed fields guarded
// by the record's revision. The server judges the values: its 422 lands on each field. A new
// record's chosen files go with its create, one multipart request checked as one write: a
// refused file is a message on its field and nothing is made (a required file field can be filled).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon, RotateCcwIcon, TriangleAlertIcon } from "lucide-react";
import { useId, useState } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { api, isApiError } from "@/lib/api";
import { errorMessage } from "@/lib/form";
import { createRecord, type DataRecord, datastoreKeys, isMulti, type Model, recordPath, updateRecord } from "../api";
import { FieldControl, FieldShell, isGroup } from "./form-controls";
import { createRecordWithFiles, FileControl } from "./form-files";
import { fieldMessages, type FormValues, fromFormValue, isBlank, jsonProblem, labelOf, toFormValue, visibleFields, widgetOf } from "./form-values";

export interface RecordFormProps {
  pid: string;
  /** The model (or a draft of it, for the live preview): its fields and its form config decide the controls. */
  model: Model;
  /** The record to edit, whole (not a `fields=` subset): a PATCH guarded by its revision; none: a new record (POST). */
  record?: DataRecord;
  /** A preview of the form config: controls work, nothing is sent. */
  preview?: boolean;
  onSaved?: (record: DataRecord) => void;
  onCancel?: () => void;
}

/** The files of a new record's file fields, chosen before its create. */
type Pending = Record<string, File[]>;

export function RecordForm(props: RecordFormProps) {
  // The record as last answered by the server (uploads and removals of files move its revision).
  const [base, setBase] = useState(props.record);
  const [generation, setGeneration] = useState(0);
  const [seen, setSeen] = useState(props.record);
  if (props.record !== seen) {
    // A new record given from outside (another row, a refetch) replaces the one held.
    setSeen(props.record);
    if (props.record?.id !== base?.id || (props.record?.revision ?? 0) > (base?.revision ?? 0)) setBase(props.record);
  }
  // The form's values have one shape per field type (and multi-ness): a change of those remounts it.
  const shape = props.model.fields.map((field) => `${field.key}:${field.type}:${isMulti(field)}`).join("|");
  return (
    <RecordFormBody
      key={`${shape}/${base?.id ?? "new"}/${generation}`}
      {...props}
      base={base}
      onBase={setBase}
      onReload={(fresh) => {
        setBase(fresh);
        setGeneration((n) => n + 1);
      }}
    />
  );
}

function RecordFormBody({
  pid,
  model,
  base,
  preview,
  onSaved,
  onCancel,
  onBase,
  onReload,
}: RecordFormProps & {
  base?: DataRecord;
  onBase: (record: DataRecord) => void;
  onReload: (record: DataRecord) => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const formId = useId();
  const fields = visibleFields(model);
  const [stale, setStale] = useState(false);
  const [previewChecked, setPreviewChecked] = useState(false);
  const [pending, setPending] = useState<Pending>({});
  // The create's upload of the chosen files (0..1), null when none runs.
  const [uploading, setUploading] = useState<number | null>(null);
  const form = useForm<FormValues>({
    defaultValues: Object.fromEntries(model.fields.map((field) => [field.key, toFormValue(field, base ? base[field.key] : field.default)])),
  });

  const refreshLists = () => queryClient.invalidateQueries({ queryKey: datastoreKeys.records(pid, model.slug) });

  const showErrors = (error: unknown) => {
    const messages = fieldMessages(error);
    const shown = new Set(fields.map((field) => field.key));
    const leftOver: string[] = [];
    let focused = false;
    for (const [key, message] of Object.entries(messages)) {
      if (shown.has(key)) {
        form.setError(key, { type: "server", message }, { shouldFocus: !focused });
        focused = true;
      } else {
        const field = model.fields.find((one) => one.key === key);
        leftOver.push(`${field ? labelOf(field) : key}: ${message}`);
      }
    }
    if (leftOver.length) toast.error(leftOver.join("; "));
    else if (!focused) toast.error(errorMessage(error));
  };

  const save = useMutation({
    mutationFn: async (values: FormValues) => {
      const data: Record<string, unknown> = {};
      for (const field of fields) {
        if (field.type === "file" || !form.getFieldState(field.key).isDirty) continue;
        data[field.key] = fromFormValue(field, values[field.key]!);
      }
      if (!base) {
        const files = Object.fromEntries(fields.filter((field) => field.type === "file" && pending[field.key]?.length).map((field) => [field.key, pending[field.key]!]));
        if (Object.keys(files).length === 0) return createRecord(pid, model.slug, data);
        setUploading(0);
        try {
          return await createRecordWithFiles(pid, model.slug, data, files, setUploading);
        } finally {
          setUploading(null);
        }
      }
      if (Object.keys(data).length === 0) return null; // nothing changed: no write, no new revision
      return updateRecord(pid, model.slug, base.id, data, base.revision);
    },
    onSuccess: async (saved) => {
      if (!saved) {
        toast.info(t("datastore.form.noChanges"));
        if (base) onSaved?.(base);
        return;
      }
      await refreshLists();
      toast.success(base ? t("datastore.form.saved") : t("datastore.form.created"));
      if (base) {
        onBase(saved);
        form.reset(Object.fromEntries(model.fields.map((field) => [field.key, toFormValue(field, saved[field.key])])));
      }
      onSaved?.(saved);
    },
    onError: (error) => {
      if (isApiError(error) && error.status === 409 && error.code === "stale_revision") setStale(true);
      else showErrors(error);
    },
  });

  const reload = useMutation({
    mutationFn: () => api<DataRecord>(recordPath(pid, model.slug, base!.id)),
    onSuccess: (fresh) => onReload(fresh),
    onError: (error) => toast.error(errorMessage(error)),
  });

  const submit = form.handleSubmit((values) => {
    if (preview) setPreviewChecked(true);
    else save.mutate(values);
  });

  return (
    <form id={formId} className="grid gap-5" noValidate onSubmit={(event) => void submit(event)} data-testid="record-form">
      {stale && (
        <div role="alert" className="flex flex-wrap items-start gap-3 rounded-md border border-destructive/50 bg-destructive/5 p-3 text-sm">
          <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-destructive" />
          <div className="min-w-0 flex-1 space-y-1">
            <p className="font-medium">{t("datastore.form.staleTitle")}</p>
            <p className="text-muted-foreground">{t("datastore.form.staleText")}</p>
          </div>
          <Button type="button" variant="outline" size="sm" onClick={() => reload.mutate()} disabled={reload.isPending}>
            {reload.isPending ? <Loader2Icon className="animate-spin" /> : <RotateCcwIcon />}
            {t("datastore.form.reload")}
          </Button>
        </div>
      )}
      {fields.length === 0 && <p className="text-sm text-muted-foreground">{t("datastore.form.noFields")}</p>}
      {fields.map((field) => {
        const widget = widgetOf(field, model.form);
        return (
          <Controller
            key={field.key}
            control={form.control}
            name={field.key}
            rules={{
              validate: (value) => {
                if (field.required && field.type !== "file" && isBlank(value)) return t("datastore.form.required");
                if ((field.type === "document" || field.type === "json") && typeof value === "string" && jsonProblem(value))
                  return t("datastore.form.invalidJson", { reason: jsonProblem(value) });
                return true;
              },
            }}
            render={({ field: control, fieldState }) => (
              <FieldShell field={field} group={isGroup(field, widget)} error={fieldState.error?.message}>
                {(aria) =>
                  field.type === "file" ? (
                    <FileControl
                      pid={pid}
                      model={model.slug}
                      field={field}
                      record={base}
                      preview={preview}
                      names={Array.isArray(control.value) ? control.value : []}
                      aria={aria}
                      inputRef={control.ref}
                      pending={pending[field.key]}
                      onPending={(files) => setPending((all) => ({ ...all, [field.key]: files }))}
                      uploading={pending[field.key]?.length ? uploading : null}
                      onRecord={(record) => {
                        onBase(record);
                        form.resetField(field.key, { defaultValue: toFormValue(field, record[field.key]) });
                        void refreshLists();
                      }}
                      onError={(message) => (message ? form.setError(field.key, { type: "server", message }) : form.clearErrors(field.key))}
                    />
                  ) : (
                    <FieldControl
                      pid={pid}
                      field={field}
                      widget={widget}
                      value={control.value ?? toFormValue(field, field.default)}
                      onChange={(next) => {
                        control.onChange(next);
                        if (fieldState.error?.type === "server") form.clearErrors(field.key); // it was about what was sent
                        setPreviewChecked(false);
                      }}
                      onBlur={control.onBlur}
                      aria={aria}
                      inputRef={control.ref}
                    />
                  )
                }
              </FieldShell>
            )}
          />
        );
      })}
      <div className="flex flex-wrap items-center justify-end gap-2 border-t pt-4">
        {preview && (
          <p className="mr-auto text-xs text-muted-foreground" aria-live="polite">
            {previewChecked ? t("datastore.form.previewValid") : t("datastore.form.previewNote")}
          </p>
        )}
        {onCancel && (
          <Button type="button" variant="outline" onClick={onCancel}>
            {t("common.cancel")}
          </Button>
        )}
        <Button type="submit" disabled={save.isPending}>
          {save.isPending && <Loader2Icon className="animate-spin" />}
          {base ? t("datastore.form.save") : t("datastore.form.create")}
        </Button>
      </div>
    </form>
  );
}
