// An image shown whole, fetched with the session's token (the API is not reachable by a plain <img>).
import { useQuery } from "@tanstack/react-query";
import { DownloadIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { ErrorState } from "@/components/error-state";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { type Entry, fileBlob, storageKeys } from "../api";
import { useObjectUrl } from "./file-icon";
import { formatBytes } from "@/lib/bytes";

export function PreviewDialog({ pid, entry, onClose, onDownload }: { pid: string; entry: Entry | null; onClose: () => void; onDownload: (entry: Entry) => void }) {
  return (
    <Dialog open={entry !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="sm:max-w-3xl">{entry && <Preview pid={pid} entry={entry} onDownload={onDownload} />}</DialogContent>
    </Dialog>
  );
}

function Preview({ pid, entry, onDownload }: { pid: string; entry: Entry; onDownload: (entry: Entry) => void }) {
  const { t } = useTranslation();
  const image = useQuery({
    queryKey: [...storageKeys.thumb(pid, entry), "whole"],
    queryFn: () => fileBlob(pid, entry.path),
    gcTime: 0,
  });
  const href = useObjectUrl(image.data);
  return (
    <>
      <DialogHeader>
        <DialogTitle className="truncate pr-6">{entry.name}</DialogTitle>
        <DialogDescription>
          {entry.mime} · {formatBytes(entry.size)}
        </DialogDescription>
      </DialogHeader>
      {image.isError ? (
        <ErrorState error={image.error} retry={() => void image.refetch()} />
      ) : href ? (
        <img src={href} alt={entry.name} className="mx-auto max-h-[65vh] max-w-full rounded-md object-contain" data-testid="preview-image" />
      ) : (
        <Skeleton className="h-72 w-full" />
      )}
      <DialogFooter>
        <Button variant="outline" onClick={() => onDownload(entry)}>
          <DownloadIcon />
          {t("storage.download")}
        </Button>
      </DialogFooter>
    </>
  );
}
