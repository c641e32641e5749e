// An entry's picture: a thumbnail for images the server can shrink, an icon by MIME type otherwise.
import { useQuery } from "@tanstack/react-query";
import {
  FileArchiveIcon,
  FileAudioIcon,
  FileCodeIcon,
  FileIcon,
  FileImageIcon,
  FileJsonIcon,
  FileSpreadsheetIcon,
  FileTextIcon,
  FileVideoIcon,
  FolderIcon,
  type LucideIcon,
} from "lucide-react";
import { useEffect, useState } from "react";
import { cn } from "@/lib/utils";
import { type Entry, hasThumb, thumbQuery } from "../api";

function iconOf(entry: Entry): LucideIcon {
  if (entry.type === "dir") return FolderIcon;
  const mime = entry.mime ?? "";
  if (mime.startsWith("image/")) return FileImageIcon;
  if (mime.startsWith("video/")) return FileVideoIcon;
  if (mime.startsWith("audio/")) return FileAudioIcon;
  if (mime.includes("json")) return FileJsonIcon;
  if (/zip|tar|gzip|7z|rar|compressed/.test(mime)) return FileArchiveIcon;
  if (/csv|spreadsheet|excel/.test(mime)) return FileSpreadsheetIcon;
  if (/javascript|typescript|x-python|x-sh|html|css|xml|yaml|toml/.test(mime)) return FileCodeIcon;
  if (mime.startsWith("text/") || mime.includes("pdf")) return FileTextIcon;
  return FileIcon;
}

/** An object URL for a Blob, revoked when it changes or the component goes. */
export function useObjectUrl(blob: Blob | undefined): string | undefined {
  const [href, setHref] = useState<string>();
  useEffect(() => {
    if (!blob) return setHref(undefined);
    const next = URL.createObjectURL(blob);
    setHref(next);
    return () => URL.revokeObjectURL(next);
  }, [blob]);
  return href;
}

function Thumb({ pid, entry, className }: { pid: string; entry: Entry; className?: string }) {
  const thumb = useQuery(thumbQuery(pid, entry));
  const href = useObjectUrl(thumb.data);
  if (!href) {
    const Icon = FileImageIcon;
    return <Icon className={cn("text-muted-foreground", className)} aria-hidden="true" />;
  }
  return <img src={href} alt="" className={cn("rounded object-cover", className)} data-testid="thumb" />;
}

/** `size` is the side in Tailwind units: 50x50 in the list, larger in the grid. */
export function EntryPicture({ pid, entry, large = false }: { pid: string; entry: Entry; large?: boolean }) {
  const box = large ? "size-16" : "size-[50px]";
  if (hasThumb(entry)) return <Thumb pid={pid} entry={entry} className={box} />;
  const Icon = iconOf(entry);
  return (
    <span className={cn("flex items-center justify-center", box)}>
      <Icon className={cn(large ? "size-10" : "size-6", entry.type === "dir" ? "text-primary" : "text-muted-foreground")} aria-hidden="true" />
    </span>
  );
}
