// A text file edited in place: Save or Ctrl+S writes it whole (PUT .../content, atomic on the
// server); closing with unsaved changes asks first.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon, SaveIcon } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorState } from "@/components/error-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { Textarea } from "@/components/ui/textarea";
import { toastError } from "@/lib/form";
import { type Entry, saveText, storageKeys, textQuery } from "../api";

export function TextEditorDialog({ pid, entry, onClose }: { pid: string; entry: Entry | null; onClose: () => void }) {
  // A ref, not state: the editor's latest text decides, even before the dialog renders again.
  const dirty = useRef(false);
  const [asking, setAsking] = useState(false);
  const { t } = useTranslation();
  const close = () => {
    dirty.current = false;
    onClose();
  };
  return (
    <>
      <Dialog open={entry !== null} onOpenChange={(open) => !open && (dirty.current ? setAsking(true) : close())}>
        <DialogContent className="sm:max-w-4xl">{entry && <Editor key={entry.path} pid={pid} entry={entry} dirtyRef={dirty} />}</DialogContent>
      </Dialog>
      <ConfirmDialog
        open={asking}
        onOpenChange={setAsking}
        title={t("storage.discardTitle")}
        description={t("storage.discardText")}
        confirm={t("storage.discard")}
        onConfirm={close}
      />
    </>
  );
}

function Editor({ pid, entry, dirtyRef }: { pid: string; entry: Entry; dirtyRef: React.RefObject<boolean> }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const stored = useQuery(textQuery(pid, entry.path));
  const [text, setText] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (stored.data !== undefined && saved === null) {
      setText(stored.data);
      setSaved(stored.data);
    }
  }, [stored.data, saved]);
  const dirty = text !== null && text !== saved;
  dirtyRef.current = dirty;

  const save = useMutation({
    mutationFn: (value: string) => saveText(pid, entry.path, value),
    onSuccess: async (_, value) => {
      setSaved(value);
      toast.success(t("storage.savedFile", { name: entry.name }));
      await queryClient.invalidateQueries({ queryKey: storageKeys.all(pid) });
    },
    onError: toastError,
  });
  const submit = () => text !== null && !save.isPending && save.mutate(text);

  return (
    <>
      <DialogHeader>
        <DialogTitle className="flex items-center gap-2 pr-6">
          <span className="truncate font-mono text-base">{entry.path}</span>
          {dirty && <Badge variant="secondary">{t("storage.unsaved")}</Badge>}
        </DialogTitle>
        <DialogDescription>{t("storage.editorText")}</DialogDescription>
      </DialogHeader>
      {stored.isError ? (
        <ErrorState error={stored.error} retry={() => void stored.refetch()} />
      ) : text === null ? (
        <Skeleton className="h-[50vh] w-full" />
      ) : (
        <Textarea
          aria-label={t("storage.fileContents", { name: entry.name })}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
              event.preventDefault();
              submit();
            }
          }}
          spellCheck={false}
          autoFocus
          className="h-[55vh] resize-none font-mono text-xs leading-relaxed"
        />
      )}
      <DialogFooter>
        <Button onClick={submit} disabled={!dirty || save.isPending}>
          {save.isPending ? <Loader2Icon className="animate-spin" /> : <SaveIcon />}
          {t("common.save")}
        </Button>
      </DialogFooter>
    </>
  );
}
