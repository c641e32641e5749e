// The service's metrics over the last hour, one point a minute (GET .../runtime/metrics,
// docs/runtime/metrics.md): requests and errors, latency p50/p95, the worker's memory; the
// totals of the hour beside them. Refreshed every 15 s.
import { useQuery } from "@tanstack/react-query";
import { ActivityIcon } from "lucide-react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { ErrorState } from "@/components/error-state";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { useWidth } from "@/components/use-width";
import { formatBytes } from "@/lib/bytes";
import i18n from "@/lib/i18n";
import { formatNumber } from "@/lib/format";
import { type Metrics, metricsQuery } from "../api";

const HEIGHT = 160;
const axis = { stroke: "var(--muted-foreground)", fontSize: 11, tickLine: false, axisLine: false } as const;
const tooltipStyle = {
  contentStyle: { background: "var(--popover)", border: "1px solid var(--border)", borderRadius: 8, fontSize: 12 },
  labelStyle: { color: "var(--popover-foreground)" },
  itemStyle: { color: "var(--popover-foreground)" },
  cursor: { fill: "var(--muted)", opacity: 0.5 },
};
const margin = { top: 8, right: 8, bottom: 0, left: 0 };

const clock = (iso: string) => new Intl.DateTimeFormat(i18n.language, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
const ms = (value: number | null) => (value === null ? "—" : `${new Intl.NumberFormat(i18n.language, { maximumFractionDigits: value < 10 ? 1 : 0 }).format(value)} ms`);

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="font-mono text-sm font-medium" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** One chart with its title; drawn once its width is known (a 0x0 chart makes recharts warn). */
function Chart({ title, empty, children }: { title: string; empty?: string; children: (width: number) => React.ReactElement }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  return (
    // flex, not grid: a grid track would size to the chart's own width, which never shrinks
    <figure className="flex min-w-0 flex-col gap-1.5">
      <figcaption className="text-xs font-medium text-muted-foreground">{title}</figcaption>
      <div ref={ref} className="w-full" style={{ height: HEIGHT }} role="img" aria-label={title}>
        {empty ? (
          <p className="flex h-full items-center justify-center rounded-lg border border-dashed text-xs text-muted-foreground">{empty}</p>
        ) : (
          width > 0 && children(width)
        )}
      </div>
    </figure>
  );
}

export function MetricsPanel({ pid }: { pid: string }) {
  const { t } = useTranslation();
  const metrics = useQuery(metricsQuery(pid));
  return (
    <Card data-testid="metrics">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <ActivityIcon className="size-4" aria-hidden="true" />
          {t("metrics.title")}
        </CardTitle>
        <CardDescription>{t("metrics.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        {metrics.isError ? (
          <ErrorState error={metrics.error} retry={() => void metrics.refetch()} />
        ) : !metrics.data ? (
          <div className="grid gap-4" data-testid="metrics-loading">
            <Skeleton className="h-10" />
            <div className="grid gap-4 md:grid-cols-3">
              <Skeleton style={{ height: HEIGHT }} />
              <Skeleton style={{ height: HEIGHT }} />
              <Skeleton style={{ height: HEIGHT }} />
            </div>
          </div>
        ) : (
          <MetricsView data={metrics.data} />
        )}
      </CardContent>
    </Card>
  );
}

function MetricsView({ data }: { data: Metrics }) {
  const { t } = useTranslation();
  const hour = data.lastHour;
  const points = data.series.map((point) => ({
    ...point,
    ok: point.requests - point.errors,
    memoryMb: point.memory === null ? null : point.memory / 1e6,
  }));
  const noRequests = hour.requests === 0 ? t("metrics.noRequests") : undefined;
  const noMemory = data.series.every((point) => point.memory === null) ? t("metrics.noMemory") : undefined;
  const xAxis = <XAxis dataKey="t" tickFormatter={clock} {...axis} minTickGap={32} />;
  const tooltip = (format: (value: number, name: string) => string) => (
    <Tooltip {...tooltipStyle} labelFormatter={(label) => clock(String(label))} formatter={(value, name) => [format(Number(value), String(name)), name]} />
  );
  return (
    <div className="grid gap-5">
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4 lg:grid-cols-7">
        <Stat label={t("metrics.requests")} value={formatNumber(hour.requests)} testId="metric-requests" />
        <Stat label={t("metrics.errors")} value={formatNumber(hour.errors)} testId="metric-errors" />
        <Stat label={t("metrics.jsErrors")} value={formatNumber(hour.jsErrors)} testId="metric-js-errors" />
        <Stat label={t("metrics.p50")} value={ms(hour.p50)} testId="metric-p50" />
        <Stat label={t("metrics.p95")} value={ms(hour.p95)} testId="metric-p95" />
        <Stat label={t("metrics.recycles")} value={formatNumber(hour.recycles)} testId="metric-recycles" />
        <Stat label={t("metrics.restarts")} value={formatNumber(hour.restarts)} testId="metric-restarts" />
      </dl>
      <div className="grid gap-5 md:grid-cols-3">
        <Chart title={t("metrics.requestsChart")} empty={noRequests}>
          {(width) => (
            <BarChart width={width} height={HEIGHT} data={points} margin={margin}>
              <CartesianGrid vertical={false} stroke="var(--border)" />
              {xAxis}
              <YAxis allowDecimals={false} {...axis} width={36} tickFormatter={formatNumber} />
              {tooltip((value) => formatNumber(value))}
              <Legend wrapperStyle={{ fontSize: 11 }} />
              <Bar dataKey="ok" name={t("metrics.ok")} stackId="requests" fill="var(--chart-2)" isAnimationActive={false} />
              <Bar dataKey="errors" name={t("metrics.errors")} stackId="requests" fill="var(--destructive)" isAnimationActive={false} />
            </BarChart>
          )}
        </Chart>
        <Chart title={t("metrics.latencyChart")} empty={noRequests}>
          {(width) => (
            <LineChart width={width} height={HEIGHT} data={points} margin={margin}>
              <CartesianGrid vertical={false} stroke="var(--border)" />
              {xAxis}
              <YAxis {...axis} width={40} tickFormatter={formatNumber} />
              {tooltip((value) => ms(value))}
              <Legend wrapperStyle={{ fontSize: 11 }} />
              <Line dataKey="p50" name="p50" stroke="var(--chart-1)" strokeWidth={2} dot={{ r: 1.5 }} isAnimationActive={false} />
              <Line dataKey="p95" name="p95" stroke="var(--chart-4)" strokeWidth={2} dot={{ r: 1.5 }} isAnimationActive={false} />
            </LineChart>
          )}
        </Chart>
        <Chart title={t("metrics.memoryChart")} empty={noMemory}>
          {(width) => (
            <AreaChart width={width} height={HEIGHT} data={points} margin={margin}>
              <CartesianGrid vertical={false} stroke="var(--border)" />
              {xAxis}
              <YAxis {...axis} width={40} domain={[0, "auto"]} tickFormatter={(value: number) => formatNumber(Math.round(value))} />
              {tooltip((value) => formatBytes(value * 1e6))}
              <Area dataKey="memoryMb" name={t("metrics.memory")} stroke="var(--chart-3)" fill="var(--chart-3)" fillOpacity={0.25} strokeWidth={2} dot={{ r: 2 }} isAnimationActive={false} />
            </AreaChart>
          )}
        </Chart>
      </div>
    </div>
  );
}
