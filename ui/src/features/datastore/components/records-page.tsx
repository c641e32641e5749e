import { useQuery } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import { type DataRecord, modelQuery } from "../api";
import { RecordForm } from "./record-form";

/** A model's records. */
export function RecordsPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const { model: slug } = useParams({ from: "/app/projects/$pid/data/$model/" });
  const model = useQuery(modelQuery(project.id, slug));
  // TEMPORARY (the form helper's harness until the records page is written): a new record's form,
  // which becomes the saved record's edit form.
  const [editing, setEditing] = useState<DataRecord | undefined>();
  if (model.isError) return <ErrorState error={model.error} retry={() => void model.refetch()} />;
  if (model.isPending) return <Skeleton className="h-40 rounded-xl" />;
  return (
    <div className="grid gap-6">
      <PageHeader title={model.data.name} description={t("datastore.recordsDescription")} />
      <div className="max-w-2xl rounded-xl border bg-card p-4">
        <RecordForm
          pid={project.id}
          model={model.data}
          record={editing}
          onSaved={setEditing}
          onCancel={editing ? () => setEditing(undefined) : undefined}
        />
      </div>
    </div>
  );
}
