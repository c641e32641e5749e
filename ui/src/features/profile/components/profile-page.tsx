import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { endSession } from "@/router";
import { Loader2Icon, Trash2Icon, UploadIcon } from "lucide-react";
import { useMemo, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { z } from "zod";
import { UserAvatar } from "@/components/layout/user-menu";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { meQuery, useMe, type User } from "@/features/auth/api";
import { passwordRule } from "@/features/auth/schema";
import { changePassword, removeAvatar, updateMe, uploadAvatar } from "@/features/users/api";
import i18n from "@/lib/i18n";
import { applyServerErrors, toastError } from "@/lib/form";
import { AvatarCropper } from "./avatar-cropper";

const passwordSchema = () =>
  z
    .object({ currentPassword: z.string().min(1, i18n.t("validation.required")), newPassword: passwordRule(), confirm: z.string() })
    .refine((values) => values.newPassword === values.confirm, { path: ["confirm"], message: i18n.t("validation.mismatch") });
type PasswordValues = z.infer<ReturnType<typeof passwordSchema>>;

export function ProfilePage() {
  const { t } = useTranslation();
  const me = useMe().data!;
  return (
    <div className="mx-auto grid max-w-3xl gap-6">
      <PageHeader
        title={t("profile.title")}
        description={
          <span className="flex items-center gap-2">
            {me.email}
            {me.isRoot && <Badge>{t("admins.root")}</Badge>}
          </span>
        }
      />
      <AvatarCard me={me} />
      <NameCard me={me} />
      <PasswordCard email={me.email} />
    </div>
  );
}

function useSetMe() {
  const queryClient = useQueryClient();
  return (user: User) => {
    queryClient.setQueryData(meQuery.queryKey, user);
    void queryClient.invalidateQueries({ queryKey: ["users"] });
  };
}

function AvatarCard({ me }: { me: User }) {
  const { t } = useTranslation();
  const setMe = useSetMe();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const upload = useMutation({
    mutationFn: uploadAvatar,
    onSuccess: (user) => {
      setMe(user);
      setFile(null);
      toast.success(t("profile.avatarSaved"));
    },
    onError: toastError,
  });
  const remove = useMutation({ mutationFn: removeAvatar, onSuccess: setMe, onError: toastError });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("profile.avatar")}</CardTitle>
        <CardDescription>{t("profile.avatarText")}</CardDescription>
      </CardHeader>
      <CardContent className="flex items-center gap-4">
        <UserAvatar user={me} className="size-16 text-lg" />
        <input
          ref={input}
          type="file"
          accept="image/png,image/jpeg,image/gif,image/webp"
          className="sr-only"
          tabIndex={-1}
          aria-label={t("profile.chooseImage")}
          data-testid="avatar-input"
          onChange={(event) => {
            const chosen = event.target.files?.[0];
            event.target.value = "";
            if (chosen && !chosen.type.startsWith("image/")) toast.error(t("profile.notImage"));
            else if (chosen) setFile(chosen);
          }}
        />
        <Button variant="outline" onClick={() => input.current?.click()}>
          <UploadIcon />
          {t("profile.upload")}
        </Button>
        {me.avatar && (
          <Button variant="ghost" onClick={() => remove.mutate()} disabled={remove.isPending}>
            <Trash2Icon />
            {t("profile.removeAvatar")}
          </Button>
        )}
      </CardContent>
      <AvatarCropper file={file} busy={upload.isPending} onCancel={() => setFile(null)} onCropped={(blob) => upload.mutate(blob)} />
    </Card>
  );
}

function NameCard({ me }: { me: User }) {
  const { t } = useTranslation();
  const setMe = useSetMe();
  const form = useForm<{ name: string }>({
    resolver: zodResolver(z.object({ name: z.string().max(100) })),
    values: { name: me.name },
  });
  const save = useMutation({
    mutationFn: ({ name }: { name: string }) => updateMe(name),
    onSuccess: (user) => {
      setMe(user);
      toast.success(t("common.saved"));
    },
    onError: (error) => applyServerErrors(error, form),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("profile.name")}</CardTitle>
        <CardDescription>{t("profile.nameText")}</CardDescription>
      </CardHeader>
      <form onSubmit={form.handleSubmit((values) => save.mutate(values))} noValidate className="grid gap-5">
        <CardContent>
          <Field label={t("common.name")} error={form.formState.errors.name?.message}>
            {(props) => <Input {...props} autoComplete="name" {...form.register("name")} />}
          </Field>
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

function PasswordCard({ email }: { email: string }) {
  const { t } = useTranslation();
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => passwordSchema(), [i18n.language]);
  const form = useForm<PasswordValues>({ resolver: zodResolver(schema), defaultValues: { currentPassword: "", newPassword: "", confirm: "" } });
  const save = useMutation({
    mutationFn: ({ currentPassword, newPassword }: PasswordValues) => changePassword(currentPassword, newPassword),
    onSuccess: async () => {
      // The server revoked every token of this user: sign in again with the new password.
      toast.success(t("profile.passwordChanged"));
      await endSession("/profile");
    },
    onError: (error) => applyServerErrors(error, form),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("profile.password")}</CardTitle>
        <CardDescription>{t("profile.passwordText")}</CardDescription>
      </CardHeader>
      <form onSubmit={form.handleSubmit((values) => save.mutate(values))} noValidate className="grid gap-5">
        <CardContent className="grid gap-4">
          {/* For password managers: which account this password belongs to. */}
          <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
          <Field label={t("profile.currentPassword")} error={form.formState.errors.currentPassword?.message}>
            {(props) => <Input {...props} type="password" autoComplete="current-password" {...form.register("currentPassword")} />}
          </Field>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label={t("admins.newPassword")} error={form.formState.errors.newPassword?.message}>
              {(props) => <Input {...props} type="password" autoComplete="new-password" {...form.register("newPassword")} />}
            </Field>
            <Field label={t("profile.confirmPassword")} error={form.formState.errors.confirm?.message}>
              {(props) => <Input {...props} type="password" autoComplete="new-password" {...form.register("confirm")} />}
            </Field>
          </div>
        </CardContent>
        <CardFooter className="justify-end border-t pt-4">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending && <Loader2Icon className="animate-spin" />}
            {t("profile.changePassword")}
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
