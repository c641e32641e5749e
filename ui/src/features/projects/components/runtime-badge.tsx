import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { cn } from "@/lib/utils";
import { runtimeQuery } from "../api";

const DOT = {
  running: "bg-green-500",
  starting: "bg-amber-500 animate-pulse",
  sleeping: "bg-sky-500",
  crashed: "bg-destructive",
  stopped: "bg-muted-foreground/40",
} as const;

/** Whether the project's service runs: a dot and the state's name. */
export function RuntimeBadge({ pid, className }: { pid: string; className?: string }) {
  const { t } = useTranslation();
  const { data } = useQuery(runtimeQuery(pid));
  const state = data?.state ?? "stopped";
  return (
    <span className={cn("inline-flex items-center gap-1.5 text-xs text-muted-foreground", className)} data-state={data ? state : "unknown"}>
      <span aria-hidden="true" className={cn("size-2 rounded-full", data ? DOT[state] : "bg-muted")} />
      {data ? t(`runtime.${state}`) : t("common.loading")}
    </span>
  );
}
