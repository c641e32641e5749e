// Every release, newest first: version, tags, comment, author, time; the running one lit.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { EyeIcon, GitCompareIcon, MoreHorizontalIcon, PackageIcon, PackagePlusIcon, PlayIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuSeparator, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { type Pipeline, pipelineQuery, type Release } from "@/features/projects/api";
import { useProject } from "@/features/projects/use-project";
import { formatDateTime } from "@/lib/format";
import { toastError } from "@/lib/form";
import { cn } from "@/lib/utils";
import { deleteRelease, pipelineKey, releaseKeys } from "../api";
import { CreateReleaseDialog } from "./create-release-dialog";
import { useRunRelease } from "./use-run-release";

/** The release's light: running (green), active but stopped (outlined), or nothing. */
export function ReleaseLight({ release, pipeline }: { release: Release; pipeline: Pipeline }) {
  const { t } = useTranslation();
  if (!release.active) return null;
  return pipeline.running ? (
    <Badge variant="success" data-testid="running-light">
      <span aria-hidden="true" className="size-1.5 rounded-full bg-current" />
      {t("releases.running")}
    </Badge>
  ) : (
    <Badge variant="outline">{t("releases.active")}</Badge>
  );
}

export function ReleasesPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const pid = project.id;
  const queryClient = useQueryClient();
  const pipeline = useQuery(pipelineQuery(pid));
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Release | null>(null);
  const run = useRunRelease(pid);
  const remove = useMutation({
    mutationFn: (version: string) => deleteRelease(pid, version),
    onSuccess: async (_, version) => {
      queryClient.removeQueries({ queryKey: releaseKeys.one(pid, version) });
      await queryClient.invalidateQueries({ queryKey: pipelineKey(pid) });
      toast.success(t("releases.deleted", { version }));
    },
    onError: toastError, // the running one: the server's reason (409)
  });

  const newButton = (
    <Button onClick={() => setCreating(true)} disabled={!pipeline.data || pipeline.data.branches.length === 0}>
      <PackagePlusIcon />
      {t("releases.new")}
    </Button>
  );

  return (
    <div className="mx-auto grid max-w-6xl gap-6">
      <PageHeader
        title={t("releases.title")}
        description={t("releases.description")}
        actions={
          <>
            <Button variant="outline" asChild>
              <Link to="/projects/$pid/releases/compare" params={{ pid: project.slug }} search={{}}>
                <GitCompareIcon />
                {t("releases.diffTitle")}
              </Link>
            </Button>
            {newButton}
          </>
        }
      />
      {pipeline.isError ? (
        <ErrorState error={pipeline.error} retry={() => void pipeline.refetch()} />
      ) : pipeline.isPending ? (
        <Skeleton className="h-48 rounded-xl" />
      ) : pipeline.data.releases.length === 0 ? (
        <EmptyState
          icon={PackageIcon}
          title={t("releases.emptyTitle")}
          description={t("releases.emptyText")}
          action={
            pipeline.data.branches.length ? (
              newButton
            ) : (
              <Button asChild>
                <Link to="/projects/$pid/code" params={{ pid: project.slug }} search={{}}>
                  {t("releases.openCode")}
                </Link>
              </Button>
            )
          }
        />
      ) : (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t("releases.version")}</TableHead>
                <TableHead>{t("releases.tags")}</TableHead>
                <TableHead>{t("releases.comment")}</TableHead>
                <TableHead>{t("releases.author")}</TableHead>
                <TableHead>{t("releases.time")}</TableHead>
                <TableHead className="w-12 pr-4">
                  <span className="sr-only">{t("common.actions")}</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {pipeline.data.releases.map((release) => (
                <TableRow key={release.version} data-testid={`release-${release.version}`} className={cn(release.active && "bg-muted/40")}>
                  <TableCell className="pl-4">
                    <span className="flex items-center gap-2">
                      <Link
                        to="/projects/$pid/releases/$version"
                        params={{ pid: project.slug, version: release.version }}
                        className="font-mono font-medium hover:underline"
                      >
                        {release.version}
                      </Link>
                      <ReleaseLight release={release} pipeline={pipeline.data} />
                    </span>
                    <span className="block text-xs text-muted-foreground">{t("releases.fromBranch", { branch: release.branch })}</span>
                  </TableCell>
                  <TableCell>
                    <span className="flex flex-wrap gap-1">
                      {release.tags.map((tag) => (
                        <Badge key={tag} variant="secondary">
                          {tag}
                        </Badge>
                      ))}
                    </span>
                  </TableCell>
                  <TableCell className="max-w-xs truncate text-sm">{release.comment}</TableCell>
                  <TableCell className="text-sm">{release.author?.name || release.author?.email || t("releases.noAuthor")}</TableCell>
                  <TableCell className="text-xs whitespace-nowrap text-muted-foreground">{formatDateTime(release.created)}</TableCell>
                  <TableCell className="pr-4 text-right">
                    <DropdownMenu>
                      <DropdownMenuTrigger asChild>
                        <Button variant="ghost" size="icon-sm" aria-label={t("releases.actionsFor", { version: release.version })}>
                          <MoreHorizontalIcon />
                        </Button>
                      </DropdownMenuTrigger>
                      <DropdownMenuContent align="end">
                        <DropdownMenuItem asChild>
                          <Link to="/projects/$pid/releases/$version" params={{ pid: project.slug, version: release.version }}>
                            <EyeIcon />
                            {t("releases.view")}
                          </Link>
                        </DropdownMenuItem>
                        <DropdownMenuItem disabled={run.isPending} onSelect={() => run.mutate(release.version)}>
                          <PlayIcon />
                          {t("releases.run")}
                        </DropdownMenuItem>
                        <DropdownMenuItem asChild>
                          <Link to="/projects/$pid/releases/compare" params={{ pid: project.slug }} search={{ left: `release:${release.version}` }}>
                            <GitCompareIcon />
                            {t("releases.compare")}
                          </Link>
                        </DropdownMenuItem>
                        <DropdownMenuSeparator />
                        <DropdownMenuItem variant="destructive" onSelect={() => setDeleting(release)}>
                          <Trash2Icon />
                          {t("common.delete")}
                        </DropdownMenuItem>
                      </DropdownMenuContent>
                    </DropdownMenu>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      {pipeline.data && <CreateReleaseDialog pid={pid} pipeline={pipeline.data} open={creating} onOpenChange={setCreating} />}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={t("releases.deleteTitle", { version: deleting?.version ?? "" })}
        description={t("releases.deleteText")}
        confirm={t("common.delete")}
        onConfirm={async () => void (deleting && (await remove.mutateAsync(deleting.version).catch(() => undefined)))}
      />
    </div>
  );
}
