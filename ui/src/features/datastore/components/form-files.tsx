// A file field in the record form (docs/datastore.md "File fields"): files go into a saved
// record at once (POST .../records/{rid}/files/{key}, multipart `file`), and a removal is a
// PATCH keeping the other names; both answer the record with its revision one up.
import { DownloadIcon, FileIcon, Loader2Icon, Trash2Icon, UploadIcon } from "lucide-react";
import { useRef, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { api, ApiError, errorOf, unauthorizedAnswer } from "@/lib/api";
import { errorMessage } from "@/lib/form";
import { session } from "@/lib/session";
import { type DataRecord, fileUrl, isMulti, type ModelField, recordPath, updateRecord } from "../api";
import type { ControlAria } from "./form-controls";
import { fieldMessages } from "./form-values";

/** Files uploaded into a record's file field, with their progress (0..1); an XMLHttpRequest, since fetch reports none. */
export function uploadRecordFiles(pid: string, model: string, rid: string, key: string, files: File[], onProgress: (fraction: number) => void) {
  return new Promise<DataRecord>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `${recordPath(pid, model, rid)}/files/${encodeURIComponent(key)}`);
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
    const form = new FormData();
    for (const file of files) form.append("file", file, file.name);
    request.send(form);
  });
}

interface Props {
  pid: string;
  model: string;
  field: ModelField;
  /** The saved record; none: a new record, which takes files after its first save. */
  record?: DataRecord;
  preview?: boolean;
  names: string[];
  aria: ControlAria;
  inputRef?: React.Ref<HTMLButtonElement>;
  /** The record as the server answered an upload or a removal. */
  onRecord: (record: DataRecord) => void;
  onError: (message: string | null) => void;
}

export function FileControl({ pid, model, field, record, preview, names, aria, inputRef, onRecord, onError }: Props) {
  const { t } = useTranslation();
  const picker = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const max = field.options.maxSelect ?? 1;
  const multi = isMulti(field);
  const full = multi && names.length >= max;
  const mimeTypes = field.options.mimeTypes ?? [];

  const failed = (error: unknown) => onError(fieldMessages(error)[field.key] ?? errorMessage(error));

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
      <div className="flex flex-wrap items-center gap-3">
        <Button
          type="button"
          variant="outline"
          size="sm"
          aria-describedby={aria["aria-describedby"]}
          aria-invalid={aria["aria-invalid"]}
          ref={inputRef}           disabled={!usable || full || progress !== null}
          onClick={() => picker.current?.click()}
        >
          {progress !== null ? <Loader2Icon className="animate-spin" /> : <UploadIcon />}
          {names.length > 0 && !multi ? t("datastore.form.replaceFile") : t("datastore.form.upload")}
        </Button>
        <input
          ref={picker}
          type="file"
          hidden
          multiple={multi}
          accept={mimeTypes.length ? mimeTypes.join(",") : undefined}
          data-testid={`file-input-${field.key}`}
          onChange={(event) => void upload([...(event.target.files ?? [])].slice(0, multi ? max - names.length : 1))}
        />
        <span className="text-xs text-muted-foreground" aria-live="polite">
          {progress !== null
            ? t("datastore.form.uploading", { percent: Math.round(progress * 100) })
            : preview
              ? t("datastore.form.filesInPreview")
              : !record
                ? t("datastore.form.filesAfterSave")
                : names.length === 0
                  ? t("datastore.form.noFiles")
                  : t("datastore.form.filesAtOnce")}
        </span>
      </div>
    </div>
  );
}
