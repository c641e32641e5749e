import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ActivityIcon, GitBranchIcon, RouteIcon, TargetIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { ColorDot } from "@/components/color-dot";
import { CopyButton } from "@/components/copy-button";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { goalsQuery, statsQuery } from "@/features/goals/api";
import { periodRange } from "@/features/goals/schema";
import { useContentUri } from "@/lib/config";
import { formatDateTime, formatNumber } from "@/lib/format";
import { pipelineQuery, runtimeQuery } from "../api";
import { useProject } from "../use-project";
import { RuntimeBadge } from "./runtime-badge";

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm font-medium">{children}</dd>
    </div>
  );
}

export function ProjectOverview() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const runtime = useQuery(runtimeQuery(project.id));
  const pipeline = useQuery(pipelineQuery(project.id));
  const goals = useQuery(goalsQuery({ kind: "project", pid: project.id }));
  const [from, to] = periodRange("7");
  const slugs = (goals.data ?? []).map((goal) => goal.slug);
  const stats = useQuery(statsQuery(slugs, from, to));
  const uri = useContentUri();
  const base = `${uri}/bot-${project.slug}`;
  const state = runtime.data;
  const active = pipeline.data?.releases.find((release) => release.active);

  return (
    <div className="mx-auto grid max-w-6xl gap-6">
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            <ColorDot color={project.color} className="size-3" />
            {project.name}
          </span>
        }
        description={<span className="font-mono">{project.slug}</span>}
        actions={
          <Button variant="outline" asChild>
            <Link to="/projects/$pid/settings" params={{ pid: project.slug }}>
              {t("nav.settings")}
            </Link>
          </Button>
        }
      />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle className="flex items-center gap-2">
              <ActivityIcon className="size-4 text-muted-foreground" aria-hidden="true" />
              {t("overview.state")}
            </CardTitle>
            <CardDescription>{t("overview.stateDescription")}</CardDescription>
          </CardHeader>
          <CardContent>
            {runtime.isPending ? (
              <Skeleton className="h-16" />
            ) : (
              <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
                <Stat label={t("overview.status")}>
                  <RuntimeBadge pid={project.id} className="text-sm text-foreground" />
                </Stat>
                <Stat label={t("overview.startedAt")}>{state?.startedAt ? formatDateTime(state.startedAt) : "—"}</Stat>
                <Stat label={t("overview.restarts")}>{formatNumber(state?.restarts ?? 0)}</Stat>
                <Stat label={t("overview.memory")}>{state?.memory ? `${formatNumber(Math.round(state.memory / 1048576))} MB` : "—"}</Stat>
              </dl>
            )}
            {state?.reason && <p className="mt-3 rounded-md bg-destructive/10 p-2 font-mono text-xs text-destructive">{state.reason}</p>}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle className="flex items-center gap-2">
              <GitBranchIcon className="size-4 text-muted-foreground" aria-hidden="true" />
              {t("overview.release")}
            </CardTitle>
            <CardDescription>{t("overview.releaseDescription")}</CardDescription>
          </CardHeader>
          <CardContent>
            {pipeline.isPending ? (
              <Skeleton className="h-16" />
            ) : (
              <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3">
                <Stat label={t("overview.activeRelease")}>
                  {active ? (
                    <span className="flex flex-wrap items-center gap-1">
                      <Badge variant="secondary">{active.version}</Badge>
                      {active.tags.map((tag) => (
                        <Badge key={tag} variant="outline">
                          {tag}
                        </Badge>
                      ))}
                    </span>
                  ) : (
                    t("overview.noRelease")
                  )}
                </Stat>
                <Stat label={t("overview.releases")}>{formatNumber(pipeline.data?.releases.length ?? 0)}</Stat>
                <Stat label={t("overview.branches")}>{formatNumber(pipeline.data?.branches.length ?? 0)}</Stat>
              </dl>
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle className="flex items-center gap-2">
              <RouteIcon className="size-4 text-muted-foreground" aria-hidden="true" />
              {t("overview.routes")}
            </CardTitle>
            <CardDescription>{t("overview.routesDescription")}</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-2">
            <div className="flex items-center gap-2 rounded-md border bg-muted/50 px-3 py-1.5">
              <code className="min-w-0 flex-1 truncate text-xs" data-testid="service-base-url">
                {base}
              </code>
              <CopyButton text={base} label={t("overview.copyUrl")} />
            </div>
            {(state?.routes ?? []).length === 0 ? (
              <p className="text-sm text-muted-foreground">{t("overview.noRoutes")}</p>
            ) : (
              <ul className="grid gap-1">
                {state!.routes.map((route) => (
                  <li key={`${route.method} ${route.path}`} className="flex items-center gap-2 text-sm">
                    <Badge variant="outline" className="w-16 font-mono">
                      {route.method.toUpperCase()}
                    </Badge>
                    <code className="min-w-0 flex-1 truncate text-xs">{base + route.path}</code>
                    <CopyButton text={base + route.path} label={t("overview.copyUrl")} />
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle className="flex items-center gap-2">
              <TargetIcon className="size-4 text-muted-foreground" aria-hidden="true" />
              {t("overview.goals")}
            </CardTitle>
            <CardDescription>{t("overview.goalsDescription")}</CardDescription>
          </CardHeader>
          <CardContent>
            {goals.isPending ? (
              <Skeleton className="h-16" />
            ) : (goals.data ?? []).length === 0 ? (
              <p className="text-sm text-muted-foreground">
                {t("overview.noGoals")}{" "}
                <Link to="/projects/$pid/goals" params={{ pid: project.slug }} className="underline underline-offset-4">
                  {t("goals.new")}
                </Link>
              </p>
            ) : (
              <ul className="grid gap-2">
                {(goals.data ?? []).map((goal) => {
                  const total = stats.data?.items.find((item) => item.id === goal.id)?.total;
                  return (
                    <li key={goal.id} className="flex items-center gap-2 text-sm">
                      <ColorDot color={goal.color} />
                      <span className="min-w-0 flex-1 truncate">{goal.name}</span>
                      <span className="font-medium tabular-nums" data-testid={`goal-total-${goal.key}`}>
                        {total === undefined ? "…" : formatNumber(total)}
                      </span>
                    </li>
                  );
                })}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
