import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon } from "lucide-react";
import { useMemo } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ColorDot } from "@/components/color-dot";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Switch } from "@/components/ui/switch";
import type { User } from "@/features/auth/api";
import { projectsQuery } from "@/features/projects/api";
import { applyServerErrors } from "@/lib/form";
import { createUser, updateUser, userKeys } from "../api";
import { userSchema, type UserValues } from "../schema";

export function UserDialog({
  user,
  open,
  onOpenChange,
  self,
}: {
  user: User | null; // null: a new admin
  open: boolean;
  onOpenChange: (open: boolean) => void;
  self: boolean; // editing yourself: the server does not let you change your own permissions
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const projects = useQuery({ ...projectsQuery, enabled: open });
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => userSchema(user === null), [i18n.language, user]);
  const form = useForm<UserValues>({
    resolver: zodResolver(schema),
    values: {
      email: user?.email ?? "",
      name: user?.name ?? "",
      password: "",
      createProjects: user?.permissions.createProjects ?? false,
      manageUsers: user?.permissions.manageUsers ?? false,
      projects: user?.permissions.projects ?? [],
    },
  });
  const lockPermissions = self || Boolean(user?.isRoot);

  const save = useMutation({
    mutationFn: ({ email, name, password, createProjects, manageUsers, projects }: UserValues) => {
      const permissions = { createProjects, manageUsers, projects };
      if (!user) return createUser({ email, name, password, permissions });
      return updateUser(user.id, {
        email,
        name,
        ...(password ? { password } : {}),
        ...(lockPermissions ? {} : { permissions }),
      });
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.all });
      await queryClient.invalidateQueries({ queryKey: ["me"] });
      toast.success(user ? t("common.saved") : t("admins.created", { email: saved.email }));
      onOpenChange(false);
    },
    onError: (error) =>
      applyServerErrors(error, form, {
        "permissions.createProjects": "createProjects",
        "permissions.manageUsers": "manageUsers",
        "permissions.projects": "projects",
      }),
  });

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) form.reset();
        onOpenChange(next);
      }}
    >
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>{user ? t("admins.edit", { email: user.email }) : t("admins.new")}</DialogTitle>
          <DialogDescription>{user ? t("admins.editDescription") : t("admins.newDescription")}</DialogDescription>
        </DialogHeader>
        <form id="user-form" className="grid gap-4" noValidate onSubmit={form.handleSubmit((values) => save.mutate(values))}>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label={t("auth.email")} error={form.formState.errors.email?.message}>
              {(props) => <Input {...props} type="email" autoComplete="off" autoFocus {...form.register("email")} />}
            </Field>
            <Field label={t("common.name")} error={form.formState.errors.name?.message}>
              {(props) => <Input {...props} autoComplete="off" {...form.register("name")} />}
            </Field>
          </div>
          <Field
            label={user ? t("admins.newPassword") : t("auth.password")}
            error={form.formState.errors.password?.message}
            hint={user ? t("admins.passwordKeep") : t("validation.passwordRule")}
          >
            {(props) => <Input {...props} type="password" autoComplete="new-password" {...form.register("password")} />}
          </Field>
          <fieldset className="grid gap-3 rounded-md border p-3" disabled={lockPermissions}>
            <legend className="px-1 text-sm font-medium">{t("admins.permissions")}</legend>
            {lockPermissions && <p className="text-xs text-muted-foreground">{user?.isRoot ? t("admins.rootHasAll") : t("admins.ownPermissions")}</p>}
            {(["createProjects", "manageUsers"] as const).map((name) => (
              <Controller
                key={name}
                control={form.control}
                name={name}
                render={({ field }) => (
                  <div className="flex items-center justify-between gap-3">
                    <Label htmlFor={`perm-${name}`} className="grid gap-1 font-normal">
                      <span className="font-medium">{t(`admins.${name}`)}</span>
                      <span className="text-xs text-muted-foreground">{t(`admins.${name}Hint`)}</span>
                    </Label>
                    <Switch id={`perm-${name}`} checked={field.value} onCheckedChange={field.onChange} disabled={lockPermissions} />
                  </div>
                )}
              />
            ))}
            <Controller
              control={form.control}
              name="projects"
              render={({ field }) => (
                <div className="grid gap-2">
                  <span className="text-sm font-medium">{t("admins.projectAccess")}</span>
                  <div className="grid max-h-36 gap-2 overflow-y-auto rounded-md border p-2">
                    {(projects.data ?? []).length === 0 && <p className="text-sm text-muted-foreground">{t("projects.none")}</p>}
                    {(projects.data ?? []).map((project) => (
                      <div key={project.id} className="flex items-center gap-2">
                        <Checkbox
                          id={`access-${project.id}`}
                          checked={field.value.includes(project.id)}
                          disabled={lockPermissions}
                          onCheckedChange={(on) => field.onChange(on ? [...field.value, project.id] : field.value.filter((id) => id !== project.id))}
                        />
                        <Label htmlFor={`access-${project.id}`} className="font-normal">
                          <ColorDot color={project.color} />
                          {project.name}
                        </Label>
                      </div>
                    ))}
                  </div>
                </div>
              )}
            />
          </fieldset>
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => onOpenChange(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="user-form" disabled={save.isPending}>
            {save.isPending && <Loader2Icon className="animate-spin" />}
            {user ? t("common.save") : t("admins.create")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
