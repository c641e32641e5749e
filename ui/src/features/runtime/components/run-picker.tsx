// Which run's log the Logs page shows: the current one (live) or one of the last runs the server
// keeps (runtime.log_runs), with how that run ended.
import { HistoryIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { formatBytes } from "@/lib/bytes";
import { formatDateTime } from "@/lib/format";
import type { Run } from "../api";

const CURRENT = "current";

export function RunPicker({ runs, run, onChange, onOpen }: { runs?: Run[]; run?: number; onChange: (run?: number) => void; onOpen: () => void }) {
  const { t } = useTranslation();
  const current = runs?.find((item) => item.current);
  const past = runs?.filter((item) => !item.current) ?? [];
  const release = (item: Run) => item.release ?? t("runs.noRelease");
  return (
    <Select
      value={run === undefined ? CURRENT : String(run)}
      onValueChange={(value) => onChange(value === CURRENT ? undefined : Number(value))}
      onOpenChange={(open) => open && onOpen()}
    >
      <SelectTrigger className="w-auto min-w-64 max-w-full [&>span]:flex-1 [&>span]:truncate [&>span]:text-left" aria-label={t("runs.label")} data-testid="run-picker">
        <HistoryIcon className="size-4 text-muted-foreground" aria-hidden="true" />
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        <SelectItem value={CURRENT}>
          {current ? t("runs.current", { id: current.id, release: release(current) }) : t("runs.backToCurrent")}
        </SelectItem>
        {past.map((item) => (
          <SelectItem key={item.id} value={String(item.id)} data-testid="run-option">
            {t("runs.past", { id: item.id, release: release(item), started: item.startedAt ? formatDateTime(item.startedAt) : "—" })}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

/** A past run: its release, start and end, how it ended (with the crash reason), its size. */
export function RunSummary({ run, onBack }: { run?: Run; onBack: () => void }) {
  const { t } = useTranslation();
  if (!run) return null;
  const exit = run.exit ?? "going";
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-lg border bg-muted/40 px-3 py-2 text-sm" data-testid="run-summary">
      <Badge variant={exit === "crashed" ? "destructive" : "outline"}>{t(`runs.exit.${exit}`)}</Badge>
      <span className="font-mono">{run.release ?? t("runs.noRelease")}</span>
      <span className="text-muted-foreground">
        {run.startedAt && t("runs.started", { time: formatDateTime(run.startedAt) })}
        {run.endedAt && `, ${t("runs.ended", { time: formatDateTime(run.endedAt) })}`}
        {` · ${formatBytes(run.size)}`}
      </span>
      {run.reason && <code className="min-w-0 truncate text-xs text-destructive">{run.reason}</code>}
      <span className="text-muted-foreground">{t("runs.pastRun")}</span>
      <Button variant="ghost" size="sm" className="ml-auto" onClick={onBack}>
        {t("runs.backToCurrent")}
      </Button>
    </div>
  );
}
