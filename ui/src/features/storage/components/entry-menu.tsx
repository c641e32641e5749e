// What can be done with one entry, in its row's menu.
import {
  CopyIcon,
  DownloadIcon,
  EyeIcon,
  FileEditIcon,
  FolderInputIcon,
  LinkIcon,
  MoreHorizontalIcon,
  PencilIcon,
  Trash2Icon,
} from "lucide-react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuSeparator, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { type Entry, hasThumb, isText } from "../api";

export type EntryAction = "edit" | "preview" | "download" | "link" | "rename" | "move" | "copy" | "delete";

export function EntryMenu({ entry, onAction }: { entry: Entry; onAction: (action: EntryAction, entry: Entry) => void }) {
  const { t } = useTranslation();
  const file = entry.type === "file";
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon-sm" aria-label={t("storage.actionsFor", { name: entry.name })}>
          <MoreHorizontalIcon />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        {isText(entry) && (
          <DropdownMenuItem onSelect={() => onAction("edit", entry)}>
            <FileEditIcon />
            {t("storage.edit")}
          </DropdownMenuItem>
        )}
        {hasThumb(entry) && (
          <DropdownMenuItem onSelect={() => onAction("preview", entry)}>
            <EyeIcon />
            {t("storage.preview")}
          </DropdownMenuItem>
        )}
        {file && (
          <>
            <DropdownMenuItem onSelect={() => onAction("download", entry)}>
              <DownloadIcon />
              {t("storage.download")}
            </DropdownMenuItem>
            <DropdownMenuItem onSelect={() => onAction("link", entry)}>
              <LinkIcon />
              {t("storage.directLink")}
            </DropdownMenuItem>
          </>
        )}
        {file && <DropdownMenuSeparator />}
        <DropdownMenuItem onSelect={() => onAction("rename", entry)}>
          <PencilIcon />
          {t("storage.rename")}
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={() => onAction("move", entry)}>
          <FolderInputIcon />
          {t("storage.move")}
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={() => onAction("copy", entry)}>
          <CopyIcon />
          {t("storage.copy")}
        </DropdownMenuItem>
        <DropdownMenuSeparator />
        <DropdownMenuItem variant="destructive" onSelect={() => onAction("delete", entry)}>
          <Trash2Icon />
          {t("common.delete")}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
