// The project's models: a dense table (name, slug, fields, updated) with links to each model's
// records and schema; a new model; deleting one (asks first; a refusal says why).
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { DatabaseIcon, PlusIcon, SlidersHorizontalIcon, TableIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useProject } from "@/features/projects/use-project";
import { formatDateTime, formatNumber } from "@/lib/format";
import { type Model, modelsQuery } from "../api";
import { DeleteModelDialog } from "./model-delete-dialog";
import { FieldTypeIcon } from "./model-field-types";
import { NewModelDialog } from "./model-new-dialog";

export function ModelsPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const models = useQuery(modelsQuery(project.id));
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Model | null>(null);
  const newButton = (
    <Button onClick={() => setCreating(true)}>
      <PlusIcon />
      {t("datastore.models.new")}
    </Button>
  );
  return (
    <div className="mx-auto grid max-w-5xl gap-6">
      <PageHeader title={t("datastore.title")} description={t("datastore.description")} actions={models.data?.length ? newButton : undefined} />
      {models.isError ? (
        <ErrorState error={models.error} retry={() => void models.refetch()} />
      ) : models.isPending ? (
        <div className="grid gap-2 rounded-xl border p-4" data-testid="models-loading">
          {[0, 1, 2].map((row) => (
            <Skeleton key={row} className="h-8" />
          ))}
        </div>
      ) : models.data.length === 0 ? (
        <EmptyState icon={DatabaseIcon} title={t("datastore.emptyTitle")} description={t("datastore.emptyText")} action={newButton} />
      ) : (
        <div className="rounded-xl border bg-card">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-4">{t("common.name")}</TableHead>
                <TableHead>{t("datastore.models.slug")}</TableHead>
                <TableHead>{t("datastore.models.fields")}</TableHead>
                <TableHead className="hidden md:table-cell">{t("datastore.models.updated")}</TableHead>
                <TableHead className="w-32 pr-4 text-right">{t("common.actions")}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {models.data.map((model) => (
                <TableRow key={model.id} data-testid={`model-row-${model.slug}`}>
                  <TableCell className="pl-4 font-medium">
                    <Link to="/projects/$pid/data/$model" params={{ pid: project.slug, model: model.slug }} className="hover:underline">
                      {model.name}
                    </Link>
                  </TableCell>
                  <TableCell>
                    <code className="text-xs text-muted-foreground">{model.slug}</code>
                  </TableCell>
                  <TableCell>
                    <span className="inline-flex items-center gap-2">
                      <span className="tabular-nums" data-testid="field-count">
                        {formatNumber(model.fields.length)}
                      </span>
                      <span className="flex items-center gap-0.5" aria-hidden="true">
                        {model.fields.slice(0, 8).map((field) => (
                          <FieldTypeIcon key={field.key} type={field.type} className="size-3.5 text-muted-foreground" />
                        ))}
                      </span>
                    </span>
                  </TableCell>
                  <TableCell className="hidden text-xs text-muted-foreground md:table-cell">{formatDateTime(model.updated)}</TableCell>
                  <TableCell className="pr-4 text-right">
                    <Button variant="ghost" size="icon-sm" asChild>
                      <Link to="/projects/$pid/data/$model" params={{ pid: project.slug, model: model.slug }} aria-label={t("datastore.models.recordsOf", { name: model.name })}>
                        <TableIcon />
                      </Link>
                    </Button>
                    <Button variant="ghost" size="icon-sm" asChild>
                      <Link to="/projects/$pid/data/$model/schema" params={{ pid: project.slug, model: model.slug }} aria-label={t("datastore.models.schemaOf", { name: model.name })}>
                        <SlidersHorizontalIcon />
                      </Link>
                    </Button>
                    <Button variant="ghost" size="icon-sm" aria-label={t("datastore.models.deleteNamed", { name: model.name })} onClick={() => setDeleting(model)}>
                      <Trash2Icon />
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
      <NewModelDialog pid={project.id} projectSlug={project.slug} open={creating} onOpenChange={setCreating} />
      <DeleteModelDialog pid={project.id} model={deleting} onOpenChange={(open) => !open && setDeleting(null)} />
    </div>
  );
}
