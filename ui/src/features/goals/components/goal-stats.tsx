import { useQuery } from "@tanstack/react-query";
import { BarChart3Icon, LineChartIcon, RefreshCwIcon } from "lucide-react";
import { ToggleGroup } from "radix-ui";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ColorDot } from "@/components/color-dot";
import { ErrorState } from "@/components/error-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { formatNumber } from "@/lib/format";
import { type Goal, type GoalStats, statsQuery } from "../api";
import { periodRange } from "../schema";
import { CompareChart, DailyChart } from "./goal-chart";
import { PeriodPicker, type PeriodValue } from "./period-picker";

export function GoalStatsView({ goals }: { goals: Goal[] }) {
  const { t } = useTranslation();
  const [week] = useState(() => periodRange("7"));
  const [period, setPeriod] = useState<PeriodValue>({ period: "30", from: week[0], to: week[1] });
  const [kind, setKind] = useState<"bar" | "line">("bar");
  const [compared, setCompared] = useState<string[]>([]);
  const [from, to] = period.period === "custom" ? [period.from, period.to] : periodRange(period.period);
  const slugs = goals.map((goal) => goal.slug);
  const stats = useQuery({ ...statsQuery(slugs, from, to), refetchInterval: 30_000 });
  // Names, colours and types come from the goal list (fresh after an edit); the numbers from the stats.
  const items: GoalStats[] = goals.flatMap((goal) => {
    const numbers = stats.data?.items.find((item) => item.id === goal.id);
    return numbers ? [{ ...numbers, ...goal }] : [];
  });
  const daily = items.filter((item) => item.type === "daily_counter");
  const comparing = daily.filter((item) => compared.includes(item.slug));

  return (
    <section className="grid gap-4" aria-labelledby="stats-heading">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="stats-heading" className="mr-auto text-lg font-semibold">
          {t("stats.title")}
        </h2>
        <PeriodPicker value={period} onChange={setPeriod} />
        <ToggleGroup.Root
          type="single"
          value={kind}
          onValueChange={(next) => next && setKind(next as "bar" | "line")}
          aria-label={t("stats.chartKind")}
          className="flex rounded-md border p-0.5"
        >
          {(["bar", "line"] as const).map((name) => (
            <ToggleGroup.Item
              key={name}
              value={name}
              aria-label={t(`stats.${name}`)}
              title={t(`stats.${name}`)}
              className="rounded-sm p-1.5 text-muted-foreground outline-none hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring data-[state=on]:bg-accent data-[state=on]:text-foreground"
            >
              {name === "bar" ? <BarChart3Icon className="size-4" /> : <LineChartIcon className="size-4" />}
            </ToggleGroup.Item>
          ))}
        </ToggleGroup.Root>
        <Button variant="outline" size="icon-sm" aria-label={t("common.refresh")} title={t("common.refresh")} onClick={() => void stats.refetch()}>
          <RefreshCwIcon className={stats.isFetching ? "animate-spin" : undefined} />
        </Button>
      </div>
      {stats.isError ? (
        <ErrorState error={stats.error} retry={() => void stats.refetch()} />
      ) : stats.isPending ? (
        <div className="grid gap-4 md:grid-cols-2">
          <Skeleton className="h-64 rounded-xl" />
          <Skeleton className="h-64 rounded-xl" />
        </div>
      ) : (
        <>
          <div className="grid gap-4 md:grid-cols-2">
            {items.map((item) => (
              <Card key={item.id} data-testid={`stats-${item.key}`} className="gap-3">
                <CardHeader>
                  <CardTitle className="flex items-center gap-2 text-base">
                    <ColorDot color={item.color} />
                    <span className="truncate">{item.name}</span>
                    <Badge variant="outline" className="ml-auto font-normal">
                      {t(`goals.types.${item.type}`)}
                    </Badge>
                  </CardTitle>
                  <CardDescription>
                    {item.type === "daily_counter" ? t("stats.totalPeriod") : t("stats.totalAll")}:{" "}
                    <span className="text-2xl font-semibold text-foreground tabular-nums" data-testid="goal-total">
                      {formatNumber(item.total)}
                    </span>
                  </CardDescription>
                </CardHeader>
                {item.type === "daily_counter" && (
                  <CardContent>
                    <DailyChart goal={item} kind={kind} />
                    <div className="mt-2 flex items-center gap-2">
                      <Checkbox
                        id={`compare-${item.id}`}
                        checked={compared.includes(item.slug)}
                        onCheckedChange={(on) =>
                          setCompared(on ? [...compared, item.slug] : compared.filter((slug) => slug !== item.slug))
                        }
                      />
                      <Label htmlFor={`compare-${item.id}`} className="text-xs font-normal text-muted-foreground">
                        {t("stats.compare")}
                      </Label>
                    </div>
                  </CardContent>
                )}
              </Card>
            ))}
          </div>
          {comparing.length >= 2 && (
            <Card>
              <CardHeader>
                <CardTitle>{t("stats.compared")}</CardTitle>
                <CardDescription>{comparing.map((item) => item.name).join(" · ")}</CardDescription>
              </CardHeader>
              <CardContent>
                <CompareChart goals={comparing} />
              </CardContent>
            </Card>
          )}
        </>
      )}
    </section>
  );
}
