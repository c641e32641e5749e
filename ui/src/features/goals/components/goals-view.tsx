import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { PencilIcon, PlusIcon, TargetIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ColorDot } from "@/components/color-dot";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton } from "@/components/copy-button";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { projectsQuery } from "@/features/projects/api";
import { toastError } from "@/lib/form";
import { deleteGoal, type Goal, goalKeys, type GoalScope, goalsQuery } from "../api";
import { GoalDialog } from "./goal-dialog";
import { GoalStatsView } from "./goal-stats";

/** The goals of one scope (global or a project's): the list with CRUD, then their statistics. */
export function GoalsView({ scope, title, description, canEdit }: { scope: GoalScope; title: string; description: string; canEdit: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const goals = useQuery(goalsQuery(scope));
  const projects = useQuery({ ...projectsQuery, enabled: scope.kind === "global" });
  const [editing, setEditing] = useState<Goal | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [deleting, setDeleting] = useState<Goal | null>(null);
  const remove = useMutation({
    mutationFn: (goal: Goal) => deleteGoal(scope, goal.id),
    onSuccess: async (_, goal) => {
      queryClient.setQueryData<Goal[]>(goalKeys.list(scope), (list) => list?.filter((item) => item.id !== goal.id));
      await queryClient.invalidateQueries({ queryKey: goalKeys.list(scope) });
      toast.success(t("goals.deleted", { name: goal.name }));
    },
    onError: toastError,
  });
  const projectName = (id: string) => projects.data?.find((project) => project.id === id)?.name ?? id;
  const open = (goal: Goal | null) => {
    setEditing(goal);
    setDialogOpen(true);
  };
  const newButton = canEdit && (
    <Button onClick={() => open(null)}>
      <PlusIcon />
      {t("goals.new")}
    </Button>
  );

  return (
    <div className="mx-auto grid max-w-6xl gap-6">
      <PageHeader title={title} description={description} actions={newButton} />
      {goals.isError ? (
        <ErrorState error={goals.error} retry={() => void goals.refetch()} />
      ) : goals.isPending ? (
        <Skeleton className="h-40 rounded-xl" />
      ) : goals.data.length === 0 ? (
        <EmptyState icon={TargetIcon} title={t("goals.emptyTitle")} description={t("goals.emptyText")} action={newButton} />
      ) : (
        <>
          <div className="rounded-xl border bg-card">
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead className="pl-4">{t("common.name")}</TableHead>
                  <TableHead>{t("goals.slug")}</TableHead>
                  <TableHead>{t("goals.type")}</TableHead>
                  {scope.kind === "global" && <TableHead>{t("goals.allowedProjects")}</TableHead>}
                  {canEdit && <TableHead className="w-24 text-right pr-4">{t("common.actions")}</TableHead>}
                </TableRow>
              </TableHeader>
              <TableBody>
                {goals.data.map((goal) => (
                  <TableRow key={goal.id} data-testid={`goal-row-${goal.key}`}>
                    <TableCell className="pl-4">
                      <span className="flex items-center gap-2 font-medium">
                        <ColorDot color={goal.color} />
                        {goal.name}
                      </span>
                      {goal.description && <span className="block text-xs text-muted-foreground">{goal.description}</span>}
                    </TableCell>
                    <TableCell>
                      <span className="flex items-center gap-1">
                        <code className="text-xs">{goal.slug}</code>
                        <CopyButton text={goal.slug} label={t("goals.copySlug")} />
                      </span>
                    </TableCell>
                    <TableCell>
                      <Badge variant="secondary">{t(`goals.types.${goal.type}`)}</Badge>
                    </TableCell>
                    {scope.kind === "global" && (
                      <TableCell className="text-xs text-muted-foreground">
                        {goal.allowedProjects.length ? goal.allowedProjects.map(projectName).join(", ") : t("goals.noProjects")}
                      </TableCell>
                    )}
                    {canEdit && (
                      <TableCell className="pr-4 text-right">
                        <Button variant="ghost" size="icon-sm" aria-label={t("goals.editNamed", { name: goal.name })} onClick={() => open(goal)}>
                          <PencilIcon />
                        </Button>
                        <Button variant="ghost" size="icon-sm" aria-label={t("goals.deleteNamed", { name: goal.name })} onClick={() => setDeleting(goal)}>
                          <Trash2Icon />
                        </Button>
                      </TableCell>
                    )}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
          <GoalStatsView goals={goals.data} />
        </>
      )}
      <GoalDialog scope={scope} goal={editing} open={dialogOpen} onOpenChange={setDialogOpen} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(next) => !next && setDeleting(null)}
        title={t("goals.deleteTitle", { name: deleting?.name ?? "" })}
        description={t("goals.deleteText")}
        confirm={t("common.delete")}
        onConfirm={() => (deleting ? remove.mutateAsync(deleting) : undefined)}
      />
    </div>
  );
}
