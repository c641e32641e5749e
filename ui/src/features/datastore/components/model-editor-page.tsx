import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import { toastError } from "@/lib/form";
import { datastoreKeys, type FormConfig, modelQuery, updateModel } from "../api";
import { FormConfigEditor } from "./form-config-editor";

/** A model's fields, table and form configuration. */
export function ModelEditorPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const { model: slug } = useParams({ from: "/app/projects/$pid/data/$model/schema" });
  const model = useQuery(modelQuery(project.id, slug));
  // TEMPORARY (the form helper's harness until the model editor is written): the Form tab alone.
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormConfig | null>(null);
  const saveForm = useMutation({
    mutationFn: (value: FormConfig) => updateModel(project.id, slug, { form: value }),
    onSuccess: (saved) => {
      queryClient.setQueryData(datastoreKeys.model(project.id, slug), saved);
      setForm(null);
      toast.success(t("common.saved"));
    },
    onError: toastError,
  });
  if (model.isError) return <ErrorState error={model.error} retry={() => void model.refetch()} />;
  if (model.isPending) return <Skeleton className="h-40 rounded-xl" />;
  return (
    <div className="grid gap-6">
      <PageHeader
        title={model.data.name}
        description={t("datastore.schemaDescription")}
        actions={
          <Button disabled={!form || saveForm.isPending} onClick={() => form && saveForm.mutate(form)}>
            {t("common.save")}
          </Button>
        }
      />
      <FormConfigEditor pid={project.id} model={model.data} value={form ?? model.data.form} onChange={setForm} />
    </div>
  );
}
