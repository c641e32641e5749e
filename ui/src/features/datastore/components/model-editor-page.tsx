import { useQuery } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import { modelQuery } from "../api";

/** A model's fields, table and form configuration. */
export function ModelEditorPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const { model: slug } = useParams({ from: "/app/projects/$pid/data/$model/schema" });
  const model = useQuery(modelQuery(project.id, slug));
  if (model.isError) return <ErrorState error={model.error} retry={() => void model.refetch()} />;
  if (model.isPending) return <Skeleton className="h-40 rounded-xl" />;
  return (
    <div className="grid gap-6">
      <PageHeader title={model.data.name} description={t("datastore.schemaDescription")} />
    </div>
  );
}
