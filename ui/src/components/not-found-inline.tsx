import { Link } from "@tanstack/react-router";
import { SearchXIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "./empty-state";
import { Button } from "./ui/button";

/** Inside the shell: a project (or other thing) that does not exist or is not yours. */
export function NotFoundInline({ title }: { title: string }) {
  const { t } = useTranslation();
  return (
    <EmptyState
      icon={SearchXIcon}
      title={title}
      description={t("notFound.description")}
      action={
        <Button asChild variant="outline">
          <Link to="/projects">{t("notFound.back")}</Link>
        </Button>
      }
    />
  );
}
