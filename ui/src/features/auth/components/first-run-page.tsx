import { useQuery } from "@tanstack/react-query";
import { Navigate } from "@tanstack/react-router";
import { TerminalIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { CopyButton } from "@/components/copy-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { setupQuery } from "../api";
import { AuthFrame } from "./auth-frame";

// The exact command (README "First sign-in"); the server never invents a password.
export const NEW_ADMIN_COMMAND = "m3m new-admin EMAIL PASSWORD";

export function FirstRunPage() {
  const { t } = useTranslation();
  // Asked again every few seconds: once the admin exists, sign-in opens by itself.
  const setup = useQuery({ ...setupQuery, refetchInterval: 3000 });
  if (setup.data?.hasUsers) return <Navigate to="/sign-in" search={{}} replace />;
  return (
    <AuthFrame>
      <Card className="w-full max-w-lg">
        <CardHeader>
          <CardTitle level={1} className="text-xl">{t("setup.title")}</CardTitle>
          <CardDescription>{t("setup.description")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 text-sm">
          <div className="flex items-center gap-2 rounded-md border bg-muted px-3 py-2 font-mono">
            <TerminalIcon className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
            <code className="flex-1 break-all" data-testid="new-admin-command">
              {NEW_ADMIN_COMMAND}
            </code>
            <CopyButton text={NEW_ADMIN_COMMAND} />
          </div>
          <p className="text-muted-foreground">{t("setup.where")}</p>
          <p className="text-muted-foreground">{t("setup.rule")}</p>
          <p aria-live="polite" className="text-muted-foreground">
            {t("setup.waiting")}
          </p>
        </CardContent>
      </Card>
    </AuthFrame>
  );
}
