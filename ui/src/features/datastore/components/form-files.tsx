// A file field in the record form (docs/datastore.md "File fields"): files go into a saved
// record at once (POST .../records/{rid}/files/{key}, multipart `file`), and a removal is a
// PATCH keeping the other names; both answer the record with its revision one up. A new
// record's chosen files wait in the form (`pending`) and go with its create, one multipart
// request (record-form.tsx).
import { DownloadIcon, FileIcon, Loader2Icon, Trash2Icon, UploadIcon, XIcon } from "lucide-react";
import { useRef, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { formatBytes } from "@/lib/bytes";
import { api, ApiError, errorOf, unauthorizedAnswer } from "@/lib/api";
import { errorMessage } from "@/lib/form";
import { session } from "@/lib/session";
import { type DataRecord, fileUrl, isMulti, type ModelField, recordPath, recordsPath, updateRecord } from "../api";
import type { ControlAria } from "./form-controls";
import { fieldMessages } from "./form-values";

/** A multipart POST answering a record, with its upload progress (0..1): an XMLHttpRequest, since fetch reports none. */
function sendForm(url: string, form: FormData, onProgress: (fraction: number) => void) {
  return new Promise<DataRecord>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    const token = session.token();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) return resolve(request.response as DataRecord);
      const error = errorOf(request.status, request.statusText, request.response);
      unauthorizedAnswer(error);
      reject(error);
    };
    request.onerror = () => reject(new ApiError(0, "network", "network"));
    request.send(form);
  });
}

/** Files uploaded into a saved record's file field. */
export function uploadRecordFiles(pid: string, model: string, rid: string, key: string, files: File[], onProgress: (fraction: number) => void) {
  const form = new FormData();
  for (const file of files) form.append("file", file, file.name);
  return sendForm(`${recordPath(pid, model, rid)}/files/${encodeURIComponent(key)}`, form, onProgress);
}

/** A new record with its chosen files, in one request (the fields as JSON in `@jsonPayload`, each
 * file in a part named by its field): checked as one write, so nothing is made when a file is refused. */
export function createRecordWithFiles(pid: string, model: string, data: Record<string, unknown>, files: Record<string, File[]>, onProgress: (fraction: number) => void) {
  const form = new FormData();
  form.append("@jsonPayload", JSON.stringify(data));
  for (const [key, chosen] of Object.entries(files)) for (const file of chosen) form.append(key, file, file.name);
  return sendForm(recordsPath(pid, model), form, onProgress);
}

/** A refusal on a file field: the field's message, which names the file ("a.txt is larger than 20 bytes"). */
export function fileProblem(error: unknown, key: string): string {
  return fieldMessages(error)[key] ?? errorMessage(error);
}

interface Props {
  pid: string;
  model: string;
  field: ModelField;
  /** The saved record; none: a new record, whose chosen files wait in `pending` until it is created. */
  record?: DataRecord;
  preview?: boolean;
  names: string[];
  aria: ControlAria;
  inputRef?: React.Ref<HTMLButtonElement>;
  /** The record as the server answered an upload or a removal. */
  onRecord: (record: DataRecord) => void;
  onError: (message: string | null) => void;
  /** A new record's chosen files, uploaded by the form right after the create. */
  pending?: File[];
  onPending?: (files: File[]) => void;
  /** The form's own upload of the pending files (0..1), null when none runs. */
  uploading?: number | null;
}

export function FileControl({ pid, model, field, record, preview, names, aria, inputRef, onRecord, onError, pending = [], onPending, uploading = null }: Props) {
  const { t } = useTranslation();
  const picker = useRef<HTMLInputElement>(null);
  const [own, setProgress] = useState<number | null>(null);
  const progress = own ?? uploading;
  const [removing, setRemoving] = useState<string | null>(null);
  const max = field.options.maxSelect ?? 1;
  const multi = isMulti(field);
  // A new record (not a preview): files are chosen now and sent with its create by the form.
  const choosing = !record && !preview && Boolean(onPending);
  const held = choosing ? pending.length : names.length;
  const full = multi && held >= max;
  const mimeTypes = field.options.mimeTypes ?? [];

  const failed = (error: unknown) => onError(fileProblem(error, field.key));

  const upload = async (files: File[]) => {
    if (!record || files.length === 0) return;
    onError(null);
    setProgress(0);
    try {
      onRecord(await uploadRecordFiles(pid, model, record.id, field.key, files, setProgress));
    } catch (error) {
      failed(error);
    } finally {
      setProgress(null);
      if (picker.current) picker.current.value = "";
    }
  };

  const remove = async (name: string) => {
    if (!record) return;
    onError(null);
    setRemoving(name);
    try {
      const rest = names.filter((one) => one !== name);
      onRecord(await updateRecord(pid, model, record.id, { [field.key]: multi ? rest : null }, record.revision));
    } catch (error) {
      failed(error);
    } finally {
      setRemoving(null);
    }
  };

  const download = async (name: string) => {
    if (!record) return;
    try {
      const blob = await api<Blob>(fileUrl(pid, model, record.id, field.key, name), { as: "blob" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      failed(error);
    }
  };

  const choose = (files: File[]) => {
    onError(null);
    onPending?.(multi ? [...pending, ...files].slice(0, max) : files.slice(0, 1));
    if (picker.current) picker.current.value = "";
  };

  const usable = Boolean(record) && !preview;
  return (
    <div className="grid gap-2">
      {names.length > 0 && (
        <ul className="grid gap-1 rounded-md border p-1" aria-label={t("datastore.form.currentFiles")}>
          {names.map((name) => (
            <li key={name} className="flex items-center gap-2 rounded-sm px-2 py-1 text-sm hover:bg-muted/50" data-testid="record-file">
              <FileIcon className="size-4 shrink-0 text-muted-foreground" />
              <span className="min-w-0 flex-1 truncate font-mono text-xs">{name}</span>
              <Button type="button" variant="ghost" size="icon-sm" className="size-7" aria-label={t("datastore.form.download", { name })} disabled={!usable} onClick={() => void download(name)}>
                <DownloadIcon />
              </Button>
              <Button
                type="button"
                variant="ghost"
                size="icon-sm"
                className="size-7"
                aria-label={t("datastore.form.removeFile", { name })}
                disabled={!usable || removing !== null}
                onClick={() => void remove(name)}
              >
                {removing === name ? <Loader2Icon className="animate-spin" /> : <Trash2Icon />}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {choosing && pending.length > 0 && (
        <ul className="grid gap-1 rounded-md border border-dashed p-1" aria-label={t("recordFiles.chosen")}>
          {pending.map((file, index) => (
            <li key={`${index}/${file.name}`} className="flex items-center gap-2 rounded-sm px-2 py-1 text-sm hover:bg-muted/50" data-testid="pending-file">
              <FileIcon className="size-4 shrink-0 text-muted-foreground" />
              <span className="min-w-0 flex-1 truncate font-mono text-xs">{file.name}</span>
              <span className="shrink-0 text-xs text-muted-foreground tabular-nums">{formatBytes(file.size)}</span>
              <Badge variant="secondary" className="shrink-0">
                {t("recordFiles.onSave")}
              </Badge>
              <Button
                type="button"
                variant="ghost"
                size="icon-sm"
                className="size-7"
                aria-label={t("recordFiles.unchoose", { name: file.name })}
                disabled={progress !== null}
                onClick={() => {
                  onError(null);
                  onPending?.(pending.filter((_, at) => at !== index));
                }}
              >
                <XIcon />
              </Button>
            </li>
          ))}
        </ul>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <Button
          type="button"
          variant="outline"
          size="sm"
          aria-describedby={aria["aria-describedby"]}
          aria-invalid={aria["aria-invalid"]}
          ref={inputRef}
          disabled={!(usable || choosing) || full || progress !== null}
          onClick={() => picker.current?.click()}
        >
          {progress !== null ? <Loader2Icon className="animate-spin" /> : <UploadIcon />}
          {held > 0 && !multi ? t("datastore.form.replaceFile") : t("datastore.form.upload")}
        </Button>
        <input
          ref={picker}
          type="file"
          hidden
          multiple={multi}
          accept={mimeTypes.length ? mimeTypes.join(",") : undefined}
          data-testid={`file-input-${field.key}`}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            if (choosing) choose(files);
            else void upload(files.slice(0, multi ? max - names.length : 1));
          }}
        />
        <span className="text-xs text-muted-foreground" aria-live="polite">
          {progress !== null
            ? t("datastore.form.uploading", { percent: Math.round(progress * 100) })
            : preview
              ? t("datastore.form.filesInPreview")
              : !record
                ? t("recordFiles.uploadedOnCreate")
                : names.length === 0
                  ? t("datastore.form.noFiles")
                  : t("datastore.form.filesAtOnce")}
        </span>
      </div>
    </div>
  );
}
