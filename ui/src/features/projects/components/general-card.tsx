import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { Loader2Icon } from "lucide-react";
import { useMemo } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ColorPicker } from "@/components/color-picker";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { applyServerErrors } from "@/lib/form";
import { type Project, projectKeys, updateProject } from "../api";
import { projectSchema, type ProjectValues } from "../schema";

export function GeneralCard({ project }: { project: Project }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => projectSchema(), [i18n.language]);
  const form = useForm<ProjectValues>({
    resolver: zodResolver(schema),
    values: { name: project.name, slug: project.slug, color: project.color },
  });
  const save = useMutation({
    mutationFn: (values: ProjectValues) => updateProject(project.id, values),
    onSuccess: async (saved) => {
      queryClient.setQueryData(projectKeys.one(saved.slug), saved);
      await queryClient.invalidateQueries({ queryKey: projectKeys.all });
      toast.success(t("common.saved"));
      if (saved.slug !== project.slug) {
        await navigate({ to: "/projects/$pid/settings", params: { pid: saved.slug }, replace: true });
      }
    },
    onError: (error) => applyServerErrors(error, form),
  });

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("settings.general")}</CardTitle>
        <CardDescription>{t("settings.generalDescription")}</CardDescription>
      </CardHeader>
      <form onSubmit={form.handleSubmit((values) => save.mutate(values))} noValidate className="grid gap-5">
        <CardContent className="grid gap-4">
          <Field label={t("common.name")} error={form.formState.errors.name?.message}>
            {(props) => <Input {...props} {...form.register("name")} />}
          </Field>
          <Field label={t("projects.slug")} error={form.formState.errors.slug?.message} hint={t("settings.slugHint")}>
            {(props) => <Input {...props} className="font-mono" spellCheck={false} {...form.register("slug")} />}
          </Field>
          <Controller
            control={form.control}
            name="color"
            render={({ field }) => (
              <Field label={t("common.color")}>{({ id }) => <ColorPicker id={id} value={field.value} onChange={field.onChange} />}</Field>
            )}
          />
        </CardContent>
        <CardFooter className="justify-end border-t pt-4">
          <Button type="submit" disabled={save.isPending || !form.formState.isDirty}>
            {save.isPending && <Loader2Icon className="animate-spin" />}
            {t("common.save")}
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
