import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { CheckIcon, Loader2Icon } from "lucide-react";
import { useMemo, useRef } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ColorPicker } from "@/components/color-picker";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useMe } from "@/features/auth/api";
import { applyServerErrors } from "@/lib/form";
import { createProject, projectKeys, projectsQuery } from "../api";
import { projectSchema, type ProjectValues, suggestSlug } from "../schema";

export function CreateProjectDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const projects = useQuery(projectsQuery);
  const { data: me } = useMe();
  const slugEdited = useRef(false);
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => projectSchema(), [i18n.language]);
  const form = useForm<ProjectValues>({
    resolver: zodResolver(schema),
    mode: "onChange",
    defaultValues: { name: "", slug: "", color: null },
  });
  const slug = form.watch("slug");
  const slugError = form.formState.errors.slug?.message;
  // Live check against the projects you can see; the server's 409 covers the rest on submit.
  const taken = Boolean(slug && projects.data?.some((project) => project.slug === slug));

  const create = useMutation({
    mutationFn: createProject,
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: projectKeys.all });
      toast.success(t("projects.created", { name: project.name }));
      onOpenChange(false);
      form.reset();
      slugEdited.current = false;
      await navigate({ to: "/projects/$pid", params: { pid: project.slug } });
    },
    onError: (error) => applyServerErrors(error, form),
  });

  const close = (next: boolean) => {
    if (!next) {
      form.reset();
      slugEdited.current = false;
    }
    onOpenChange(next);
  };

  const nameField = form.register("name", {
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => {
      if (!slugEdited.current) form.setValue("slug", suggestSlug(event.target.value), { shouldValidate: true });
    },
  });
  const slugField = form.register("slug", {
    onChange: () => {
      slugEdited.current = true;
    },
  });

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("projects.new")}</DialogTitle>
          <DialogDescription>{t("projects.newDescription")}</DialogDescription>
        </DialogHeader>
        <form
          id="create-project"
          className="grid gap-4"
          noValidate
          onSubmit={form.handleSubmit((values) => {
            if (taken) {
              form.setError("slug", { type: "taken", message: t("projects.slugTaken") });
              return;
            }
            create.mutate(values);
          })}
        >
          <Field label={t("common.name")} error={form.formState.errors.name?.message}>
            {(props) => <Input {...props} autoFocus autoComplete="off" {...nameField} />}
          </Field>
          <Field
            label={t("projects.slug")}
            error={slugError ?? (taken ? t("projects.slugTaken") : undefined)}
            hint={
              slug ? (
                <span className="inline-flex items-center gap-1 text-success" data-testid="slug-available">
                  <CheckIcon className="size-3" aria-hidden="true" />
                  {/* Only root sees every project; for others the server has the last word (409). */}
                  {me?.isRoot ? t("projects.slugFree", { slug }) : t("projects.slugFreeHere", { slug })}
                </span>
              ) : (
                t("projects.slugHint")
              )
            }
          >
            {(props) => <Input {...props} autoComplete="off" spellCheck={false} className="font-mono" {...slugField} />}
          </Field>
          <Controller
            control={form.control}
            name="color"
            render={({ field }) => (
              <Field label={t("common.color")}>
                {({ id }) => <ColorPicker id={id} value={field.value} onChange={field.onChange} />}
              </Field>
            )}
          />
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => close(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="create-project" disabled={create.isPending}>
            {create.isPending && <Loader2Icon className="animate-spin" />}
            {t("projects.create")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
