// The service's worker: state (with the crash reason), release, pid, uptime, restarts, memory;
// start (a chosen release), stop, restart; the routes with their full, copyable URLs.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { Loader2Icon, PlayIcon, RotateCwIcon, RouteIcon, ScrollTextIcon, SquareIcon, TriangleAlertIcon } from "lucide-react";
import { lazy, Suspense, useEffect, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { CopyButton } from "@/components/copy-button";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { pipelineQuery, type RuntimeState, runtimeQuery } from "@/features/projects/api";
import { RuntimeBadge } from "@/features/projects/components/runtime-badge";
import { useProject } from "@/features/projects/use-project";
import { useRunRelease } from "@/features/releases/components/use-run-release";
import { formatBytes } from "@/lib/bytes";
import { useContentUri } from "@/lib/config";
import { formatNumber, formatUnit } from "@/lib/format";
import { toastError } from "@/lib/form";
import { Switch } from "@/components/ui/switch";
import { afterRuntimeChange, restartService, setSleep, stopService } from "../api";
import { RequestTester } from "./request-tester";

// recharts is in the charts chunk, loaded with the panel (vite.config.ts), not with the app.
const MetricsPanel = lazy(() => import("./metrics-panel").then((module) => ({ default: module.MetricsPanel })));

/** 3 h 12 min, 45 s: how long since `since`, ticking every second. */
function Uptime({ since }: { since: string | null }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!since) return <>—</>;
  const seconds = Math.max(0, Math.floor((now - new Date(since).getTime()) / 1000));
  const parts: [number, string][] = [
    [Math.floor(seconds / 86400), "day"],
    [Math.floor((seconds % 86400) / 3600), "hour"],
    [Math.floor((seconds % 3600) / 60), "minute"],
    [seconds % 60, "second"],
  ];
  const shown = parts.filter(([value]) => value > 0).slice(0, 2);
  return (
    <span data-testid="uptime">
      {(shown.length ? shown : [parts[3]!]).map(([value, unit]) => formatUnit(value, unit!)).join(" ")}
    </span>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="font-mono text-sm font-medium">{children}</dd>
    </div>
  );
}

/** The idle time before a sleep: seconds below a minute, else minutes. */
const idleTime = (seconds: number) => (seconds < 60 ? formatUnit(seconds, "second") : formatUnit(Math.round(seconds / 60), "minute"));

export function RuntimePage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const pid = project.id;
  const queryClient = useQueryClient();
  const runtime = useQuery({ ...runtimeQuery(pid), refetchInterval: (query) => (query.state.data?.state === "starting" ? 1000 : 5000) });
  const pipeline = useQuery(pipelineQuery(pid));
  const uri = useContentUri();
  const releases = pipeline.data?.releases ?? [];
  const [chosen, setChosen] = useState<string>();
  const release = chosen ?? runtime.data?.release ?? releases[0]?.version;
  const start = useRunRelease(pid);
  const change = (action: "stop" | "restart") =>
    ({
      mutationFn: () => (action === "stop" ? stopService(pid) : restartService(pid)),
      onSuccess: async (state: RuntimeState) => {
        await afterRuntimeChange(queryClient, pid, state);
        if (state.state === "crashed") toast.error(t("service.crashedToast", { reason: state.reason ?? "" }));
        else toast.success(t(action === "stop" ? "service.stoppedToast" : "service.restartedToast"));
      },
      onError: toastError,
    }) as const;
  const sleep = useMutation({
    mutationFn: (enabled: boolean) => setSleep(pid, enabled),
    onSuccess: async (next: RuntimeState) => {
      await afterRuntimeChange(queryClient, pid, next);
      toast.success(t(next.sleep.enabled ? "service.sleepOnToast" : "service.sleepOffToast"));
    },
    onError: toastError,
  });
  const stop = useMutation(change("stop"));
  const restart = useMutation(change("restart"));
  const busy = start.isPending || stop.isPending || restart.isPending;
  const state = runtime.data;
  const base = `${uri}/bot-${project.slug}`;

  return (
    <div className="mx-auto grid max-w-5xl gap-6">
      <PageHeader
        title={t("service.title")}
        description={t("service.description")}
        actions={
          <Button variant="outline" asChild>
            <Link to="/projects/$pid/logs" params={{ pid: project.slug }}>
              <ScrollTextIcon />
              {t("logs.title")}
            </Link>
          </Button>
        }
      />
      {runtime.isError ? (
        <ErrorState error={runtime.error} retry={() => void runtime.refetch()} />
      ) : !state ? (
        <Skeleton className="h-48 rounded-xl" />
      ) : (
        <>
          <Card>
            <CardHeader>
              <CardTitle className="flex items-center gap-3">
                {t("service.state")}
                <RuntimeBadge pid={pid} className="text-sm" />
              </CardTitle>
            </CardHeader>
            <CardContent className="grid gap-5">
              {state.state === "crashed" && state.reason && (
                <div role="alert" className="flex gap-2 rounded-lg border border-destructive/30 bg-destructive/5 p-3 text-sm">
                  <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-destructive" aria-hidden="true" />
                  <pre className="overflow-x-auto font-mono text-xs whitespace-pre-wrap" data-testid="crash-reason">
                    {state.reason}
                  </pre>
                </div>
              )}
              {state.state === "running" && state.cpu?.throttled && (
                <div role="status" className="flex gap-2 rounded-lg bg-amber-500/10 p-3 text-sm text-amber-800 dark:text-amber-300">
                  <TriangleAlertIcon className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
                  <p data-testid="cpu-throttled">{t("service.cpuThrottled", { reason: state.cpu.reason ?? "" })}</p>
                </div>
              )}
              <dl className="grid grid-cols-2 gap-4 sm:grid-cols-5">
                <Fact label={t("service.release")}>{state.release ?? t("service.none")}</Fact>
                <Fact label={t("service.pid")}>{state.pid ?? t("service.none")}</Fact>
                <Fact label={t("service.uptime")}>{state.state === "running" ? <Uptime since={state.startedAt} /> : t("service.none")}</Fact>
                <Fact label={t("service.restarts")}>{formatNumber(state.restarts)}</Fact>
                <Fact label={t("service.memory")}>{state.memory ? formatBytes(state.memory) : t("service.none")}</Fact>
              </dl>
              <div className="flex items-start gap-3">
                <Switch
                  id="sleep-when-idle"
                  checked={state.sleep?.enabled ?? false}
                  onCheckedChange={(enabled) => sleep.mutate(enabled)}
                  disabled={sleep.isPending}
                  aria-describedby="sleep-when-idle-text"
                />
                <div className="grid gap-1">
                  <Label htmlFor="sleep-when-idle">{t("service.sleep")}</Label>
                  <p id="sleep-when-idle-text" className="text-sm text-muted-foreground">
                    {t("service.sleepText", { time: idleTime(state.sleep?.after ?? 900) })}
                    {state.sleep?.enabled && state.sleep.awake && state.state === "running" && (
                      <span className="block" data-testid="sleep-awake">{t("service.sleepAwake", { reason: state.sleep.awake })}</span>
                    )}
                  </p>
                </div>
              </div>
              {releases.length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("service.noRelease")}</p>
              ) : (
                <div className="flex flex-wrap items-end gap-2">
                  <div className="grid gap-1.5">
                    <Label htmlFor="start-release">{t("service.startRelease")}</Label>
                    <Select value={release} onValueChange={setChosen}>
                      <SelectTrigger id="start-release" className="w-40 font-mono">
                        <SelectValue />
                      </SelectTrigger>
                      <SelectContent>
                        {releases.map((item) => (
                          <SelectItem key={item.version} value={item.version} className="font-mono">
                            {item.version}
                          </SelectItem>
                        ))}
                      </SelectContent>
                    </Select>
                  </div>
                  <Button onClick={() => release && start.mutate(release)} disabled={busy || !release}>
                    {start.isPending ? <Loader2Icon className="animate-spin" /> : <PlayIcon />}
                    {t("service.start")}
                  </Button>
                  <Button variant="outline" onClick={() => restart.mutate()} disabled={busy || state.state === "stopped"}>
                    {restart.isPending ? <Loader2Icon className="animate-spin" /> : <RotateCwIcon />}
                    {t("service.restart")}
                  </Button>
                  <Button variant="outline" onClick={() => stop.mutate()} disabled={busy || state.state === "stopped"}>
                    {stop.isPending ? <Loader2Icon className="animate-spin" /> : <SquareIcon />}
                    {t("service.stop")}
                  </Button>
                </div>
              )}
            </CardContent>
          </Card>
          <Suspense fallback={<Skeleton className="h-72 rounded-xl" />}>
            <MetricsPanel pid={pid} />
          </Suspense>
          <Card>
            <CardHeader>
              <CardTitle className="flex items-center gap-2">
                <RouteIcon className="size-4" aria-hidden="true" />
                {t("service.routes")}
              </CardTitle>
              <CardDescription>{t("service.routesText")}</CardDescription>
            </CardHeader>
            <CardContent>
              {state.routes.length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("service.noRoutes")}</p>
              ) : (
                <ul className="grid gap-1.5">
                  {state.routes.map((route) => {
                    const full = `${base}${route.path}`;
                    return (
                      <li key={`${route.method} ${route.path}`} className="flex items-center gap-2 text-sm" data-testid="route">
                        <Badge variant="outline" className="w-16 justify-center font-mono">
                          {route.method}
                        </Badge>
                        <code className="min-w-0 flex-1 truncate text-xs" data-testid="route-url">
                          {full}
                        </code>
                        <CopyButton text={full} label={t("service.copyUrl", { url: full })} />
                      </li>
                    );
                  })}
                </ul>
              )}
            </CardContent>
          </Card>
          {state.state === "running" && <RequestTester pid={pid} routes={state.routes} />}
        </>
      )}
    </div>
  );
}
