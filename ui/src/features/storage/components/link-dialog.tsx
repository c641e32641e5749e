// A direct link to one file, with a chosen expiry: the server's full URL (server.uri), copyable.
import { useMutation } from "@tanstack/react-query";
import { LinkIcon, Loader2Icon } from "lucide-react";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { CopyButton } from "@/components/copy-button";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { toastError } from "@/lib/form";
import { type Entry, makeLink } from "../api";
import { EXPIRIES, type ExpiryKey } from "../schema";

export function LinkDialog({ pid, entry, onClose }: { pid: string; entry: Entry | null; onClose: () => void }) {
  return (
    <Dialog open={entry !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent>{entry && <LinkForm key={entry.path} pid={pid} entry={entry} onClose={onClose} />}</DialogContent>
    </Dialog>
  );
}

function LinkForm({ pid, entry, onClose }: { pid: string; entry: Entry; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const [expiry, setExpiry] = useState<ExpiryKey>("week");
  const link = useMutation({
    mutationFn: () => makeLink(pid, entry.path, EXPIRIES.find((choice) => choice.key === expiry)!.seconds),
    onError: toastError,
  });
  const expires = link.data
    ? new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(link.data.expires * 1000))
    : null;
  return (
    <>
      <DialogHeader>
        <DialogTitle>{t("storage.linkTitle", { name: entry.name })}</DialogTitle>
        <DialogDescription>{t("storage.linkText")}</DialogDescription>
      </DialogHeader>
      <div className="grid gap-2">
        <Label htmlFor={`${id}-expiry`}>{t("storage.expiry")}</Label>
        <div className="flex gap-2">
          <Select
            value={expiry}
            onValueChange={(next) => {
              setExpiry(next as ExpiryKey);
              link.reset();
            }}
          >
            <SelectTrigger id={`${id}-expiry`} className="w-48">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {EXPIRIES.map((choice) => (
                <SelectItem key={choice.key} value={choice.key}>
                  {t(`storage.expiries.${choice.key}`)}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <Button onClick={() => link.mutate()} disabled={link.isPending}>
            {link.isPending ? <Loader2Icon className="animate-spin" /> : <LinkIcon />}
            {link.data ? t("storage.newLink") : t("storage.makeLink")}
          </Button>
        </div>
      </div>
      {link.data && (
        <div className="grid gap-2">
          <Label htmlFor={`${id}-url`}>{t("storage.linkUrl")}</Label>
          <div className="flex items-center gap-1">
            <Input id={`${id}-url`} readOnly value={link.data.url} className="font-mono text-xs" onFocus={(event) => event.currentTarget.select()} />
            <CopyButton text={link.data.url} label={t("storage.copyLink")} />
          </div>
          <p className="text-xs text-muted-foreground" data-testid="link-expires">
            {t("storage.expiresAt", { time: expires })}
          </p>
        </div>
      )}
      <DialogFooter>
        <Button variant="outline" onClick={onClose}>
          {t("common.close")}
        </Button>
      </DialogFooter>
    </>
  );
}
