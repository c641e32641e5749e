import { Link } from "@tanstack/react-router";
import { CompassIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Button } from "./ui/button";

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <main className="flex min-h-[70svh] flex-col items-center justify-center gap-4 p-6 text-center">
      <CompassIcon className="size-10 text-muted-foreground" aria-hidden="true" />
      <p className="text-6xl font-bold tracking-tight">404</p>
      <h1 className="text-xl font-semibold">{t("notFound.title")}</h1>
      <p className="max-w-sm text-sm text-muted-foreground">{t("notFound.description")}</p>
      <Button asChild>
        <Link to="/projects">{t("notFound.back")}</Link>
      </Button>
    </main>
  );
}
