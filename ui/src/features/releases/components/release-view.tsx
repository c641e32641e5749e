// One release, read-only in Monaco, with its facts and "run this release".
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { GitCompareIcon, Loader2Icon, PlayIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { CodeEditor } from "@/components/code-editor";
import { ErrorState } from "@/components/error-state";
import { NotFoundInline } from "@/components/not-found-inline";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { pipelineQuery } from "@/features/projects/api";
import { useProject } from "@/features/projects/use-project";
import { isApiError } from "@/lib/api";
import { formatDateTime } from "@/lib/format";
import { releaseQuery } from "../api";
import { ReleaseLight } from "./releases-page";
import { useRunRelease } from "./use-run-release";

const route = getRouteApi("/app/projects/$pid/releases/$version");

export function ReleaseView() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const { version } = route.useParams();
  const release = useQuery(releaseQuery(project.id, version));
  const pipeline = useQuery(pipelineQuery(project.id));
  const run = useRunRelease(project.id);
  if (release.isError) {
    if (isApiError(release.error) && release.error.status === 404) return <NotFoundInline title={t("releases.notFound", { version })} />;
    return <ErrorState error={release.error} retry={() => void release.refetch()} />;
  }
  const listed = pipeline.data?.releases.find((item) => item.version === version);
  return (
    <div className="flex h-[calc(100dvh-5.5rem)] min-h-[26rem] flex-col gap-3 md:h-[calc(100dvh-6.5rem)]">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <h1 className="text-2xl font-semibold tracking-tight">{t("releases.releaseTitle", { version })}</h1>
        {listed && pipeline.data && <ReleaseLight release={listed} pipeline={pipeline.data} />}
        {release.data?.tags.map((tag) => (
          <Badge key={tag} variant="secondary">
            {tag}
          </Badge>
        ))}
        {release.data && (
          <span className="text-sm text-muted-foreground">
            {t("releases.fromBranch", { branch: release.data.branch })} · {release.data.author?.name || release.data.author?.email} ·{" "}
            {formatDateTime(release.data.created)}
          </span>
        )}
        <div className="ml-auto flex gap-2">
          <Button variant="outline" asChild>
            <Link to="/projects/$pid/releases/compare" params={{ pid: project.slug }} search={{ left: `release:${version}` }}>
              <GitCompareIcon />
              {t("releases.compare")}
            </Link>
          </Button>
          <Button onClick={() => run.mutate(version)} disabled={run.isPending || !release.data}>
            {run.isPending ? <Loader2Icon className="animate-spin" /> : <PlayIcon />}
            {t("releases.run")}
          </Button>
        </div>
      </div>
      {release.data?.comment && <p className="text-sm">{release.data.comment}</p>}
      <p className="text-xs text-muted-foreground">{t("releases.readOnly")}</p>
      <div className="min-h-0 flex-1 overflow-hidden rounded-xl border bg-card">
        {release.data ? (
          <CodeEditor path={`/projects/${project.id}/releases/${version}.js`} value={release.data.code} readOnly label={t("releases.editorLabel", { version })} />
        ) : (
          <Skeleton className="h-full w-full rounded-none" />
        )}
      </div>
    </div>
  );
}
