import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon } from "lucide-react";
import { useMemo, useRef } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ColorDot } from "@/components/color-dot";
import { ColorPicker } from "@/components/color-picker";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { projectsQuery } from "@/features/projects/api";
import { suggestSlug } from "@/features/projects/schema";
import { applyServerErrors } from "@/lib/form";
import { createGoal, type Goal, goalKeys, type GoalScope, type GoalType, updateGoal } from "../api";
import { goalSchema, type GoalValues } from "../schema";

const TYPES: GoalType[] = ["counter", "daily_counter"];

export function GoalDialog({
  scope,
  goal,
  open,
  onOpenChange,
}: {
  scope: GoalScope;
  goal: Goal | null; // null: a new goal
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const global = scope.kind === "global";
  const projects = useQuery({ ...projectsQuery, enabled: global && open });
  const slugEdited = useRef(Boolean(goal));
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => goalSchema(), [i18n.language]);
  const form = useForm<GoalValues>({
    resolver: zodResolver(schema),
    values: {
      name: goal?.name ?? "",
      slug: goal?.key ?? "",
      color: goal?.color ?? null,
      type: goal?.type ?? "counter",
      description: goal?.description ?? "",
      allowedProjects: goal?.allowedProjects ?? [],
    },
  });

  const save = useMutation({
    mutationFn: (values: GoalValues) => {
      const { allowedProjects, ...rest } = values;
      const input = global ? { ...rest, allowedProjects } : rest;
      return goal ? updateGoal(scope, goal.id, input) : createGoal(scope, input);
    },
    onSuccess: async (saved) => {
      // The list first: the statistics follow its slugs, and one that is gone must not be asked for.
      queryClient.setQueryData<Goal[]>(goalKeys.list(scope), (list) =>
        goal ? list?.map((item) => (item.id === saved.id ? saved : item)) : [...(list ?? []), saved],
      );
      await queryClient.invalidateQueries({ queryKey: goalKeys.list(scope) });
      toast.success(goal ? t("common.saved") : t("goals.created", { name: saved.name }));
      onOpenChange(false);
    },
    // The server names the key "key" in some answers and "slug" in others; both are this field.
    onError: (error) => applyServerErrors(error, form, { key: "slug" }),
  });

  const nameField = form.register("name", {
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => {
      if (!slugEdited.current) form.setValue("slug", suggestSlug(event.target.value));
    },
  });
  const slugField = form.register("slug", { onChange: () => (slugEdited.current = true) });

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) {
          form.reset();
          slugEdited.current = Boolean(goal);
        }
        onOpenChange(next);
      }}
    >
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{goal ? t("goals.edit") : t("goals.new")}</DialogTitle>
          <DialogDescription>{global ? t("goals.globalDescription") : t("goals.projectDescription")}</DialogDescription>
        </DialogHeader>
        <form id="goal-form" className="grid gap-4" noValidate onSubmit={form.handleSubmit((values) => save.mutate(values))}>
          <Field label={t("common.name")} error={form.formState.errors.name?.message}>
            {(props) => <Input {...props} autoFocus autoComplete="off" {...nameField} />}
          </Field>
          <Field label={t("goals.key")} error={form.formState.errors.slug?.message} hint={t("goals.keyHint")}>
            {(props) => <Input {...props} className="font-mono" spellCheck={false} autoComplete="off" {...slugField} />}
          </Field>
          <Controller
            control={form.control}
            name="type"
            render={({ field }) => (
              <Field label={t("goals.type")}>
                {({ id }) => (
                  <Select value={field.value} onValueChange={field.onChange}>
                    <SelectTrigger id={id}>
                      <SelectValue />
                    </SelectTrigger>
                    <SelectContent>
                      {TYPES.map((type) => (
                        <SelectItem key={type} value={type}>
                          {t(`goals.types.${type}`)}
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              </Field>
            )}
          />
          <Controller
            control={form.control}
            name="color"
            render={({ field }) => (
              <Field label={t("common.color")}>{({ id }) => <ColorPicker id={id} value={field.value} onChange={field.onChange} />}</Field>
            )}
          />
          <Field label={t("goals.descriptionLabel")} error={form.formState.errors.description?.message}>
            {(props) => <Textarea {...props} rows={2} {...form.register("description")} />}
          </Field>
          {global && (
            <Controller
              control={form.control}
              name="allowedProjects"
              render={({ field }) => (
                <fieldset className="grid gap-2">
                  <legend className="mb-2 text-sm font-medium">{t("goals.allowedProjects")}</legend>
                  <p className="text-xs text-muted-foreground">{t("goals.allowedHint")}</p>
                  <div className="grid max-h-40 gap-2 overflow-y-auto rounded-md border p-2">
                    {(projects.data ?? []).length === 0 && <p className="text-sm text-muted-foreground">{t("projects.none")}</p>}
                    {(projects.data ?? []).map((project) => (
                      <div key={project.id} className="flex items-center gap-2">
                        <Checkbox
                          id={`allowed-${project.id}`}
                          checked={field.value.includes(project.id)}
                          onCheckedChange={(on) =>
                            field.onChange(on ? [...field.value, project.id] : field.value.filter((id) => id !== project.id))
                          }
                        />
                        <Label htmlFor={`allowed-${project.id}`} className="font-normal">
                          <ColorDot color={project.color} />
                          {project.name}
                        </Label>
                      </div>
                    ))}
                  </div>
                </fieldset>
              )}
            />
          )}
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => onOpenChange(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="goal-form" disabled={save.isPending}>
            {save.isPending && <Loader2Icon className="animate-spin" />}
            {goal ? t("common.save") : t("goals.create")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
