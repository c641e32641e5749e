// Import records from a .json (an array) or .csv (a header row) file: all or nothing. The server
// checks every row first; its refusal lists each bad row and key (`{row}.{key}`), shown here.
import { CheckCircle2Icon, FileUpIcon } from "lucide-react";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";
import { isApiError } from "@/lib/api";
import { errorMessage } from "@/lib/form";
import { formatNumber } from "@/lib/format";
import { importRecords, type Model, type RecordsFormat, rowProblemsOf } from "../api";

type Outcome = { kind: "done"; created: number } | { kind: "refused"; message: string; rows: ReturnType<typeof rowProblemsOf> } | null;

const formatOf = (file: File): RecordsFormat | null =>
  /\.csv$/i.test(file.name) || file.type === "text/csv" ? "csv" : /\.json$/i.test(file.name) || file.type === "application/json" ? "json" : null;

export function ImportDialog({ pid, model, open, onOpenChange, onImported }: { pid: string; model: Model; open: boolean; onOpenChange: (open: boolean) => void; onImported: (created: number) => void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const format = file ? formatOf(file) : null;

  const close = (next: boolean) => {
    if (!next) {
      setFile(null);
      setOutcome(null);
    }
    onOpenChange(next);
  };

  const submit = async () => {
    if (!file || !format) return;
    setBusy(true);
    setOutcome(null);
    try {
      const { created } = await importRecords(pid, model.slug, file, format);
      setOutcome({ kind: "done", created });
      onImported(created);
    } catch (error) {
      setOutcome({ kind: "refused", message: isApiError(error) && error.status === 422 ? t("datastore.records.importRefused") : errorMessage(error), rows: rowProblemsOf(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>{t("datastore.records.importTitle", { name: model.name })}</DialogTitle>
          <DialogDescription>{t("datastore.records.importText")}</DialogDescription>
        </DialogHeader>
        <div className="grid gap-2">
          <Label htmlFor={inputId}>{t("datastore.records.importFile")}</Label>
          <input
            id={inputId}
            type="file"
            accept=".json,.csv,application/json,text/csv"
            data-testid="import-input"
            className="text-sm file:mr-3 file:rounded-md file:border file:bg-background file:px-3 file:py-1.5 file:text-sm file:font-medium hover:file:bg-accent"
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              setOutcome(null);
            }}
          />
          {file && !format && <p className="text-sm text-destructive">{t("datastore.records.importWhichFormat")}</p>}
        </div>
        {outcome?.kind === "done" && (
          <p role="status" className="flex items-center gap-2 rounded-md border border-success/40 bg-success/10 px-3 py-2 text-sm" data-testid="import-done">
            <CheckCircle2Icon className="size-4 text-success" aria-hidden="true" />
            {t("datastore.records.imported", { count: outcome.created, formatted: formatNumber(outcome.created) })}
          </p>
        )}
        {outcome?.kind === "refused" && (
          <div role="alert" className="grid gap-2 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm" data-testid="import-report">
            <p className="font-medium text-destructive">{outcome.message}</p>
            {outcome.rows.length > 0 && (
              <ul className="grid max-h-60 gap-1 overflow-y-auto text-xs">
                {outcome.rows.map((problem) => (
                  <li key={`${problem.row}.${problem.key}`} className="flex gap-2" data-testid="import-problem">
                    <span className="shrink-0 font-medium tabular-nums">{Number.isNaN(problem.row) ? "—" : t("datastore.records.importRow", { row: problem.row + 1 })}</span>
                    <code className="shrink-0">{problem.key}</code>
                    <span className="text-muted-foreground">{problem.message}</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <DialogFooter>
          <Button variant="outline" onClick={() => close(false)}>
            {outcome?.kind === "done" ? t("common.close") : t("common.cancel")}
          </Button>
          {outcome?.kind !== "done" && (
            <Button onClick={() => void submit()} disabled={!file || !format || busy}>
              <FileUpIcon />
              {busy ? t("datastore.records.importing") : t("datastore.records.import")}
            </Button>
          )}
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
