import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { DatabaseIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import { modelsQuery } from "../api";

/** The project's models; each opens its records. */
export function ModelsPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const models = useQuery(modelsQuery(project.id));
  return (
    <div className="mx-auto grid max-w-5xl gap-6">
      <PageHeader title={t("datastore.title")} description={t("datastore.description")} />
      {models.isError ? (
        <ErrorState error={models.error} retry={() => void models.refetch()} />
      ) : models.isPending ? (
        <Skeleton className="h-40 rounded-xl" />
      ) : models.data.length === 0 ? (
        <EmptyState icon={DatabaseIcon} title={t("datastore.emptyTitle")} description={t("datastore.emptyText")} />
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2">
          {models.data.map((model) => (
            <li key={model.id}>
              <Link to="/projects/$pid/data/$model" params={{ pid: project.slug, model: model.slug }} className="block rounded-xl border bg-card p-4 hover:bg-accent">
                <span className="font-medium">{model.name}</span> <code className="text-xs text-muted-foreground">{model.slug}</code>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
