// The service's runtime (start, stop, restart; its state is projects/api runtimeQuery) and the
// current run's log: pages by offset, a download, and live lines over server-sent events.
import { type QueryClient, queryOptions } from "@tanstack/react-query";
import { projectKeys, type RuntimeState } from "@/features/projects/api";
import { api, followEvents, type Page } from "@/lib/api";

const base = (pid: string) => `/api/projects/${encodeURIComponent(pid)}/runtime`;

export const startRelease = (pid: string, release: string) => api<RuntimeState>(`${base(pid)}/start`, { method: "POST", json: { release } });
export const stopService = (pid: string) => api<RuntimeState>(`${base(pid)}/stop`, { method: "POST" });
export const restartService = (pid: string) => api<RuntimeState>(`${base(pid)}/restart`, { method: "POST" });
/** Sleep when idle on or off (null: the server's default). */
export const setSleep = (pid: string, enabled: boolean | null) => api<RuntimeState>(`${base(pid)}/sleep`, { method: "PUT", json: { enabled } });

/** A route's answer to the request tester's call (POST .../runtime/call). */
export interface CallAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  size: number;
}

export interface CallIn {
  method: string;
  path: string;
  query: string;
  body: string;
  contentType: string | null;
}

/** One route of the service called through the API: the same call as /bot-{slug}{path}, wherever
 * the services' pages are served (server.content_uri), without the page ever running here. */
export const callRoute = (pid: string, call: CallIn) => api<CallAnswer>(`${base(pid)}/call`, { method: "POST", json: call });

/** After a start, stop or restart: the state and the pipeline's running light change together. */
export async function afterRuntimeChange(queryClient: QueryClient, pid: string, state: RuntimeState) {
  queryClient.setQueryData(projectKeys.runtime(pid), state);
  await queryClient.invalidateQueries({ queryKey: projectKeys.pipeline(pid) });
}

export interface LogPage {
  lines: string[];
  nextOffset: number;
  total: number;
}

export const LOG_PAGE = 1000;

/** The log of the current run, or of a past run (`run`: its id, from runsQuery). */
const logBase = (pid: string, run?: number) => (run === undefined ? `${base(pid)}/logs` : `${base(pid)}/runs/${run}/logs`);

export const logPage = (pid: string, offset: number, limit = LOG_PAGE, run?: number) =>
  api<LogPage>(logBase(pid, run), { query: { offset, limit } });

export const logKeys = { tail: (pid: string, run?: number) => ["logs", pid, "tail", run ?? "current"] as const };

/** The last page of the log: how long it is first, then its end. */
export const logTailQuery = (pid: string, run?: number) =>
  queryOptions({
    queryKey: logKeys.tail(pid, run),
    queryFn: async () => {
      const { total } = await logPage(pid, 0, 1, run);
      const offset = Math.max(0, total - LOG_PAGE);
      const page = await logPage(pid, offset, LOG_PAGE, run);
      return { ...page, offset };
    },
    staleTime: 0,
    gcTime: 0,
  });

export const logDownload = (pid: string, run?: number) => api<Blob>(`${logBase(pid, run)}/download`, { as: "blob" });

/**
 * New log lines as they are written (the SSE stream, lib/api.ts followEvents). `onReset` when a
 * new run clears the log.
 */
export async function followLog(pid: string, signal: AbortSignal, onLines: (lines: string[]) => void, onReset: () => void) {
  await followEvents(`${base(pid)}/logs/stream`, signal, (events) => {
    const lines: string[] = [];
    for (const event of events) {
      if (event.event === "reset") {
        if (lines.length) onLines(lines.splice(0));
        onReset();
      } else {
        lines.push(event.data); // an empty line is a line too
      }
    }
    if (lines.length) onLines(lines);
  });
}

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

const LINE = /^\[([^\]]+)\] \[([A-Z]+)\] ?(.*)$/s;

/** `[2025-01-01 12:00:00.123] [INFO] message` (DESIGN.md 9) as its parts; other lines are info. */
export function parseLine(line: string): { time: string; level: Level; text: string } {
  const match = LINE.exec(line);
  if (!match) return { time: "", level: "info", text: line };
  const name = match[2]!.toLowerCase();
  const level = (name === "warning" ? "warn" : LEVELS.includes(name as Level) ? name : "info") as Level;
  return { time: match[1]!, level, text: match[3]! };
}

// -- past runs (docs/runtime/logs.md "Past runs") ------------------------------------------------

export interface Run {
  id: number;
  release: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** null while it goes on */
  exit: "stopped" | "crashed" | "replaced" | null;
  reason: string | null;
  current: boolean;
  size: number;
}

export const runsQuery = (pid: string) =>
  queryOptions({
    queryKey: ["runs", pid] as const,
    queryFn: () => api<Page<Run>>(`${base(pid)}/runs`, { query: { perPage: 100 } }),
    staleTime: 0,
  });

// -- metrics (docs/runtime/metrics.md) ------------------------------------------------------------

export interface MetricsPoint {
  t: string;
  requests: number;
  errors: number;
  /** milliseconds; null without a request that minute */
  p50: number | null;
  p95: number | null;
  /** bytes; null when nothing was sampled */
  memory: number | null;
  recycles: number;
  restarts: number;
  crashes: number;
  jsErrors: number;
}

interface Counts {
  requests: number;
  /** answers with a 5xx */
  errors: number;
  recycles: number;
  restarts: number;
  crashes: number;
  /** ERROR lines the service's JS logged (console.error, a timer that threw ...) */
  jsErrors: number;
}

export interface Metrics {
  window: number;
  step: number;
  since: string;
  memory: number;
  totals: Counts;
  lastHour: Counts & { p50: number | null; p95: number | null };
  series: MetricsPoint[];
}

export const METRICS_REFRESH_MS = 15_000;

export const metricsQuery = (pid: string) =>
  queryOptions({
    queryKey: ["metrics", pid] as const,
    queryFn: () => api<Metrics>(`${base(pid)}/metrics`),
    refetchInterval: METRICS_REFRESH_MS,
  });
