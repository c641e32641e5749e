// Uploads: one request per file (so each has its own progress and cancel), two at a time.
import { useQueryClient } from "@tanstack/react-query";
import { CheckCircle2Icon, CircleAlertIcon, XIcon } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { errorMessage } from "@/lib/form";
import { cn } from "@/lib/utils";
import { storageKeys, uploadFile } from "../api";
import { formatBytes } from "@/lib/bytes";

const AT_ONCE = 2;

export interface Upload {
  id: number;
  file: File;
  folder: string;
  progress: number; // 0..1
  state: "queued" | "uploading" | "done" | "failed" | "cancelled";
  error?: string;
  controller: AbortController;
}

let nextId = 1;

export function useUploads(pid: string) {
  const queryClient = useQueryClient();
  const [uploads, setUploads] = useState<Upload[]>([]);
  // The queue lives in a ref, so starting uploads is a plain function, not an effect (an effect
  // could start one twice).
  const queue = useRef<Upload[]>([]);
  const running = useRef(0);

  const publish = useCallback(() => setUploads([...queue.current]), []);
  const update = useCallback(
    (id: number, change: Partial<Upload>) => {
      queue.current = queue.current.map((upload) => (upload.id === id ? { ...upload, ...change } : upload));
      publish();
    },
    [publish],
  );

  const pump = useCallback(() => {
    for (const upload of queue.current) {
      if (running.current >= AT_ONCE) return;
      if (upload.state !== "queued") continue;
      running.current += 1;
      update(upload.id, { state: "uploading" });
      uploadFile(pid, upload.folder, upload.file, (progress) => update(upload.id, { progress }), upload.controller.signal)
        .then(() => {
          update(upload.id, { state: "done", progress: 1 });
          void queryClient.invalidateQueries({ queryKey: storageKeys.all(pid) });
        })
        .catch((error: unknown) => {
          if ((error as Error).name === "AbortError") update(upload.id, { state: "cancelled" });
          else update(upload.id, { state: "failed", error: errorMessage(error) });
        })
        .finally(() => {
          running.current -= 1;
          pump();
        });
    }
  }, [pid, queryClient, update]);

  const add = useCallback(
    (files: File[], folder: string) => {
      const added = files.map((file) => ({ id: nextId++, file, folder, progress: 0, state: "queued" as const, controller: new AbortController() }));
      queue.current = [...queue.current, ...added];
      publish();
      pump();
    },
    [publish, pump],
  );

  const cancel = useCallback(
    (upload: Upload) => {
      upload.controller.abort();
      if (upload.state === "queued") update(upload.id, { state: "cancelled" });
    },
    [update],
  );

  const clear = useCallback(() => {
    queue.current = queue.current.filter((upload) => upload.state === "queued" || upload.state === "uploading");
    publish();
  }, [publish]);

  // Leaving the page cancels what is still going.
  useEffect(() => () => queue.current.forEach((upload) => upload.controller.abort()), []);

  return { uploads, add, cancel, clear };
}

export function UploadPanel({ uploads, cancel, clear }: Pick<ReturnType<typeof useUploads>, "uploads" | "cancel" | "clear">) {
  const { t } = useTranslation();
  if (uploads.length === 0) return null;
  const finished = uploads.some((upload) => !["queued", "uploading"].includes(upload.state));
  return (
    <section aria-label={t("storage.uploads")} className="rounded-xl border bg-card p-3">
      <div className="mb-2 flex items-center justify-between">
        <h2 className="text-sm font-medium">{t("storage.uploads")}</h2>
        {finished && (
          <Button variant="ghost" size="sm" onClick={clear}>
            {t("storage.clearFinished")}
          </Button>
        )}
      </div>
      <ul className="grid gap-2">
        {uploads.map((upload) => (
          <li key={upload.id} className="grid grid-cols-[1fr_auto] items-center gap-x-3 gap-y-1 text-sm" data-testid="upload" data-state={upload.state}>
            <span className="truncate">
              {upload.file.name} <span className="text-xs text-muted-foreground">{formatBytes(upload.file.size)}</span>
            </span>
            <span className="flex items-center gap-1 text-xs text-muted-foreground">
              {upload.state === "done" && <CheckCircle2Icon className="size-4 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />}
              {upload.state === "failed" && <CircleAlertIcon className="size-4 text-destructive" aria-hidden="true" />}
              {t(`storage.uploadState.${upload.state}`)}
              {(upload.state === "queued" || upload.state === "uploading") && (
                <Button variant="ghost" size="icon-sm" aria-label={t("storage.cancelUpload", { name: upload.file.name })} onClick={() => cancel(upload)}>
                  <XIcon />
                </Button>
              )}
            </span>
            <div
              role="progressbar"
              aria-label={upload.file.name}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(upload.progress * 100)}
              className="col-span-2 h-1.5 overflow-hidden rounded-full bg-muted"
            >
              <div
                className={cn("h-full rounded-full bg-primary transition-[width]", upload.state === "failed" && "bg-destructive", upload.state === "cancelled" && "bg-muted-foreground")}
                style={{ width: `${Math.round(upload.progress * 100)}%` }}
              />
            </div>
            {upload.error && <p className="col-span-2 text-xs text-destructive">{upload.error}</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
