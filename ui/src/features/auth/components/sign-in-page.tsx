import { zodResolver } from "@hookform/resolvers/zod";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { BanIcon, Loader2Icon } from "lucide-react";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { isApiError } from "@/lib/api";
import { applyServerErrors } from "@/lib/form";
import { safeRedirect } from "@/lib/redirect";
import { session } from "@/lib/session";
import { meQuery, signIn } from "../api";
import { type SignInValues, signInSchema } from "../schema";
import { AuthFrame } from "./auth-frame";

export function SignInPage() {
  const { t, i18n } = useTranslation();
  const search = useSearch({ from: "/sign-in" });
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [refusal, setRefusal] = useState<"credentials" | "blocked" | null>(null);
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => signInSchema(), [i18n.language]);
  const form = useForm<SignInValues>({ resolver: zodResolver(schema), defaultValues: { email: "", password: "" } });

  const onSubmit = form.handleSubmit(async ({ email, password }) => {
    setRefusal(null);
    try {
      const { token, user } = await signIn(email, password);
      session.signIn(token);
      queryClient.setQueryData(meQuery.queryKey, user);
      await navigate({ to: safeRedirect(search.redirect), replace: true });
    } catch (error) {
      if (isApiError(error) && error.code === "invalid_credentials") setRefusal("credentials");
      else if (isApiError(error) && error.code === "user_blocked") setRefusal("blocked");
      else applyServerErrors(error, form);
    }
  });

  return (
    <AuthFrame>
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle level={1} className="text-xl">{t("auth.title")}</CardTitle>
          <CardDescription>{t("auth.subtitle")}</CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={onSubmit} className="grid gap-4" noValidate>
            {refusal && (
              <div role="alert" className="flex gap-2 rounded-md border border-destructive/40 bg-destructive/10 p-3 text-sm text-destructive">
                {refusal === "blocked" && <BanIcon className="mt-0.5 size-4 shrink-0" aria-hidden="true" />}
                <span>{refusal === "blocked" ? t("auth.blocked") : t("errors.invalidCredentials")}</span>
              </div>
            )}
            <Field label={t("auth.email")} error={form.formState.errors.email?.message}>
              {(props) => <Input {...props} type="email" autoComplete="username" autoFocus {...form.register("email")} />}
            </Field>
            <Field label={t("auth.password")} error={form.formState.errors.password?.message}>
              {(props) => <Input {...props} type="password" autoComplete="current-password" {...form.register("password")} />}
            </Field>
            <Button type="submit" disabled={form.formState.isSubmitting} className="w-full">
              {form.formState.isSubmitting && <Loader2Icon className="animate-spin" />}
              {t("auth.submit")}
            </Button>
          </form>
        </CardContent>
      </Card>
    </AuthFrame>
  );
}
