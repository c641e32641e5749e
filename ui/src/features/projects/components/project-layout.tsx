import { Outlet } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ErrorState } from "@/components/error-state";
import { NotFoundInline } from "@/components/not-found-inline";
import { PageSkeleton } from "@/components/page-skeleton";
import { isApiError } from "@/lib/api";
import { useProject } from "../use-project";

/** Loads the project once for its pages; a project that is gone or not yours is a 404 here. */
export function ProjectLayout() {
  const { t } = useTranslation();
  const project = useProject();
  if (project.isPending) return <PageSkeleton />;
  if (project.isError) {
    if (isApiError(project.error) && [403, 404, 422].includes(project.error.status)) {
      return <NotFoundInline title={t("projects.notFound")} />;
    }
    return <ErrorState error={project.error} retry={() => void project.refetch()} />;
  }
  return <Outlet />;
}
