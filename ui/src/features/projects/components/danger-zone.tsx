import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { toastError } from "@/lib/form";
import { deleteProject, type Project, projectKeys } from "../api";

export function DangerZone({ project }: { project: Project }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => deleteProject(project.id),
    onSuccess: async () => {
      // Out of the list before the grid shows it again: a card would ask for the gone project's state.
      queryClient.setQueryData<Project[]>(projectKeys.list(), (list) => list?.filter((item) => item.id !== project.id));
      await navigate({ to: "/projects" });
      for (const pid of [project.id, project.slug]) {
        for (const key of [projectKeys.one(pid), projectKeys.runtime(pid), projectKeys.pipeline(pid)]) {
          queryClient.removeQueries({ queryKey: key });
        }
      }
      await queryClient.invalidateQueries({ queryKey: projectKeys.list() });
      toast.success(t("danger.deleted", { name: project.name }));
    },
    onError: toastError,
  });
  return (
    <Card className="border-destructive/40">
      <CardHeader>
        <CardTitle className="text-destructive">{t("danger.title")}</CardTitle>
        <CardDescription>{t("danger.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <Button variant="destructive" onClick={() => setConfirming(true)}>
          <Trash2Icon />
          {t("danger.delete")}
        </Button>
      </CardContent>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={t("danger.confirmTitle", { name: project.name })}
        description={t("danger.confirmText")}
        confirm={t("danger.delete")}
        typeToConfirm={project.slug}
        onConfirm={() => remove.mutateAsync()}
      />
    </Card>
  );
}
