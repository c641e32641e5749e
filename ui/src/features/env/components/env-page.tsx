import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRoundIcon, PencilIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useProject } from "@/features/projects/use-project";
import { toastError } from "@/lib/form";
import { deleteVar, envKeys, envQuery, type EnvVar } from "../api";
import { preview } from "../schema";
import { EnvDialog } from "./env-dialog";

export function EnvPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const queryClient = useQueryClient();
  const variables = useQuery(envQuery(project.id));
  const [editing, setEditing] = useState<EnvVar | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [deleting, setDeleting] = useState<EnvVar | null>(null);
  const remove = useMutation({
    mutationFn: (variable: EnvVar) => deleteVar(project.id, variable.key),
    onSuccess: async (_, variable) => {
      await queryClient.invalidateQueries({ queryKey: envKeys.list(project.id) });
      toast.success(t("env.deleted", { key: variable.key }));
    },
    onError: toastError,
  });
  const open = (variable: EnvVar | null) => {
    setEditing(variable);
    setDialogOpen(true);
  };
  const addButton = (
    <Button onClick={() => open(null)}>
      <PlusIcon />
      {t("env.new")}
    </Button>
  );

  return (
    <div className="mx-auto grid max-w-5xl gap-6">
      <PageHeader title={t("env.title")} description={t("env.description")} actions={addButton} />
      {variables.isError ? (
        <ErrorState error={variables.error} retry={() => void variables.refetch()} />
      ) : variables.isPending ? (
        <Skeleton className="h-40 rounded-xl" />
      ) : variables.data.length === 0 ? (
        <EmptyState icon={KeyRoundIcon} title={t("env.emptyTitle")} description={t("env.emptyText")} action={addButton} />
      ) : (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t("env.key")}</TableHead>
                <TableHead>{t("env.type")}</TableHead>
                <TableHead>{t("env.value")}</TableHead>
                <TableHead className="w-24 pr-4 text-right">{t("common.actions")}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {variables.data.map((variable) => (
                <TableRow key={variable.key} data-testid={`env-row-${variable.key}`}>
                  <TableCell className="pl-4 font-mono text-xs font-medium">{variable.key}</TableCell>
                  <TableCell>
                    <Badge variant="secondary">{t(`env.types.${variable.type}`)}</Badge>
                  </TableCell>
                  <TableCell className="max-w-md">
                    <code className="block truncate text-xs text-muted-foreground" data-testid="env-value">
                      {preview(variable)}
                    </code>
                  </TableCell>
                  <TableCell className="pr-4 text-right">
                    <Button variant="ghost" size="icon-sm" aria-label={t("env.editNamed", { key: variable.key })} onClick={() => open(variable)}>
                      <PencilIcon />
                    </Button>
                    <Button variant="ghost" size="icon-sm" aria-label={t("env.deleteNamed", { key: variable.key })} onClick={() => setDeleting(variable)}>
                      <Trash2Icon />
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <EnvDialog pid={project.id} variable={editing} open={dialogOpen} onOpenChange={setDialogOpen} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(next) => !next && setDeleting(null)}
        title={t("env.deleteTitle", { key: deleting?.key ?? "" })}
        description={t("env.deleteText")}
        confirm={t("common.delete")}
        onConfirm={() => (deleting ? remove.mutateAsync(deleting) : undefined)}
      />
    </div>
  );
}
