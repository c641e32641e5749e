// Any two of branch/release side by side in Monaco's diff editor.
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { DiffEditor } from "@/components/code-editor";
import { ErrorState } from "@/components/error-state";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { branchQuery, type Source, sourceOf, sourceValue } from "@/features/code/api";
import { SourceItems } from "@/features/code/components/branch-dialogs";
import { type Pipeline, pipelineQuery } from "@/features/projects/api";
import { useProject } from "@/features/projects/use-project";
import { releaseQuery } from "../api";

const route = getRouteApi("/app/projects/$pid/releases/compare");

function useSourceCode(pid: string, source: Source | null) {
  const branch = useQuery({ ...branchQuery(pid, source && "branch" in source ? source.branch : ""), enabled: Boolean(source && "branch" in source) });
  const release = useQuery({ ...releaseQuery(pid, source && "release" in source ? source.release : ""), enabled: Boolean(source && "release" in source) });
  return source && "branch" in source ? branch : release;
}

function defaults(pipeline: Pipeline): [string | undefined, string | undefined] {
  const release = pipeline.releases[0];
  const branch = pipeline.branches.find((item) => item.name === "develop") ?? pipeline.branches[0];
  return [release ? sourceValue({ release: release.version }) : undefined, branch ? sourceValue({ branch: branch.name }) : undefined];
}

export function ComparePage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const pipeline = useQuery(pipelineQuery(project.id));
  const [leftDefault, rightDefault] = pipeline.data ? defaults(pipeline.data) : [undefined, undefined];
  const left = search.left ?? leftDefault;
  const right = search.right ?? rightDefault;
  const leftCode = useSourceCode(project.id, left ? sourceOf(left) : null);
  const rightCode = useSourceCode(project.id, right ? sourceOf(right) : null);
  const name = (value: string | undefined) => {
    if (!value) return "";
    const source = sourceOf(value);
    return "release" in source ? t("code.releaseItem", { version: source.release }) : t("code.branchItem", { name: source.branch });
  };
  const failed = [pipeline, leftCode, rightCode].find((query) => query.isError);

  const picker = (side: "left" | "right", value: string | undefined) => (
    <div className="grid gap-1.5">
      <Label htmlFor={`compare-${side}`}>{t(`releases.${side}`)}</Label>
      <Select value={value} onValueChange={(next) => void navigate({ search: (previous) => ({ ...previous, [side]: next }), replace: true })}>
        <SelectTrigger id={`compare-${side}`} className="w-60">
          <SelectValue placeholder="—" />
        </SelectTrigger>
        <SelectContent>{pipeline.data && <SourceItems pipeline={pipeline.data} />}</SelectContent>
      </Select>
    </div>
  );

  return (
    <div className="flex h-[calc(100dvh-5.5rem)] min-h-[26rem] flex-col gap-3 md:h-[calc(100dvh-6.5rem)]">
      <div className="flex flex-wrap items-end gap-4">
        <div className="mr-auto space-y-1">
          <h1 className="text-2xl font-semibold tracking-tight">{t("releases.diffTitle")}</h1>
          <p className="text-sm text-muted-foreground">{t("releases.diffText")}</p>
        </div>
        {picker("left", left)}
        {picker("right", right)}
      </div>
      <div className="min-h-0 flex-1 overflow-hidden rounded-xl border bg-card">
        {failed ? (
          <ErrorState error={failed.error} retry={() => void failed.refetch()} />
        ) : left && right && leftCode.data && rightCode.data ? (
          <DiffEditor
            left={{ path: `/projects/${project.id}/${left.replace(":", "/")}`, value: leftCode.data.code, label: name(left) }}
            right={{ path: `/projects/${project.id}/${right.replace(":", "/")}`, value: rightCode.data.code, label: name(right) }}
          />
        ) : (
          <Skeleton className="h-full w-full rounded-none" />
        )}
      </div>
    </div>
  );
}
