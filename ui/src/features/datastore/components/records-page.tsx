// A model's records: a server-side paged, sorted and filtered table (everything in the URL), a
// column chooser, bulk delete, live updates, export and import, and the record form in a sheet.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import type { RowSelectionState } from "@tanstack/react-table";
import { Columns3Icon, DatabaseIcon, DownloadIcon, FileUpIcon, PlusIcon, RefreshCwIcon, SearchXIcon, Settings2Icon, Trash2Icon } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuCheckboxItem,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import type { Page } from "@/lib/api";
import { toastError } from "@/lib/form";
import { formatNumber } from "@/lib/format";
import {
  batchRecords,
  type DataRecord,
  datastoreKeys,
  deleteRecord,
  exportRecords,
  modelQuery,
  modelsQuery,
  queryProblemOf,
  recordsQuery,
  type RecordsFormat,
} from "../api";
import { type CellContext, nameField } from "./records-cells";
import { RecordsFilter } from "./records-filter";
import { ImportDialog } from "./records-import";
import { useLiveRecords } from "./records-live";
import { RecordSheet } from "./records-sheet";
import { columnsOf, RecordsTable, RecordsTableSkeleton, useHiddenColumns } from "./records-table";

const route = getRouteApi("/app/projects/$pid/data/$model/");
const PAGE_SIZES = [10, 30, 50, 100, 200, 500];
const BATCH = 100; // datastore.max_batch's default: a larger selection goes in several batches

export function RecordsPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const pid = project.id;
  const { model: slug } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const queryClient = useQueryClient();
  const modelResult = useQuery(modelQuery(pid, slug));
  const models = useQuery(modelsQuery(pid));
  const model = modelResult.data;

  const filter = search.filter ?? "";
  const sort = search.sort ?? model?.table.defaultSort ?? "";
  const page = search.page ?? 1;
  const perPage = search.perPage ?? model?.table.pageSize ?? 30;
  const [hidden, setHidden] = useHiddenColumns(model?.id);
  const shownColumns = model ? columnsOf(model).filter((name) => !hidden.includes(name)) : [];
  const refColumns = model ? model.fields.filter((field) => field.type === "ref" && shownColumns.includes(field.key)).map((field) => field.key) : [];
  const listQuery = { filter: filter || undefined, sort: sort || undefined, page, perPage, expand: refColumns.join(",") || undefined };
  const records = useQuery({ ...recordsQuery(pid, slug, listQuery), enabled: Boolean(model), placeholderData: keepPreviousData });
  const listKey = datastoreKeys.recordList(pid, slug, listQuery);

  // A refused filter keeps the last rows on screen, with the reason under the box.
  const lastGood = useRef<{ slug: string; page: Page<DataRecord> } | null>(null);
  if (records.data) lastGood.current = { slug, page: records.data };
  const problem = records.isError ? queryProblemOf(records.error) : null;
  const data = records.data ?? (problem && lastGood.current?.slug === slug ? lastGood.current.page : null);

  type Search = typeof search;
  const go = useCallback(
    (change: Partial<Search>, replace = false) => void navigate({ search: (previous: Search) => ({ ...previous, ...change }), replace }),
    [navigate],
  );
  const onSort = useCallback((next: string) => go({ sort: next, page: undefined }), [go]);

  const [selection, setSelection] = useState<RowSelectionState>({});
  useEffect(() => setSelection({}), [slug, filter, sort, page, perPage]);
  // A page past the end (records deleted meanwhile) goes to the last one.
  useEffect(() => {
    if (records.data && records.data.totalPages > 0 && page > records.data.totalPages) go({ page: records.data.totalPages > 1 ? records.data.totalPages : undefined }, true);
  }, [records.data, page, go]);

  const live = useLiveRecords(pid, model, { key: listKey, sort, page, filter, perPage, shown: data?.items });
  const reload = useCallback(async () => {
    live.clearFresh();
    await queryClient.invalidateQueries({ queryKey: datastoreKeys.records(pid, slug) });
  }, [queryClient, pid, slug, live]);

  const [editing, setEditing] = useState<{ record?: DataRecord } | null>(null);
  const [deleting, setDeleting] = useState<DataRecord[] | null>(null);
  const [importing, setImporting] = useState(false);
  const onOpen = useCallback((record: DataRecord) => setEditing({ record }), []);
  const onDelete = useCallback((record: DataRecord) => setDeleting([record]), []);

  const context = useMemo<CellContext>(() => {
    const refNames: Record<string, string | null> = {};
    for (const field of model?.fields ?? []) {
      if (field.type === "ref") refNames[field.key] = nameField(models.data?.find((other) => other.slug === field.options.model));
    }
    return { pid, model: model!, refNames, yes: t("datastore.records.yes"), no: t("datastore.records.no") };
  }, [pid, model, models.data, t]);

  const removeFromPage = (ids: Set<string>) => {
    const shown = queryClient.getQueryData<Page<DataRecord>>(listKey);
    if (shown) queryClient.setQueryData<Page<DataRecord>>(listKey, { ...shown, items: shown.items.filter((item) => !ids.has(item.id)) });
    for (const id of ids) queryClient.removeQueries({ queryKey: datastoreKeys.record(pid, slug, id) });
  };
  const remove = async (targets: DataRecord[]) => {
    try {
      if (targets.length === 1) await deleteRecord(pid, slug, targets[0]!.id);
      else
        for (let at = 0; at < targets.length; at += BATCH)
          await batchRecords(pid, slug, targets.slice(at, at + BATCH).map((record) => ({ action: "delete" as const, id: record.id })));
      setSelection({});
      removeFromPage(new Set(targets.map((record) => record.id)));
      toast.success(t("datastore.records.deleted", { count: targets.length }));
    } catch (error) {
      toastError(error);
    } finally {
      await queryClient.invalidateQueries({ queryKey: datastoreKeys.records(pid, slug) });
    }
  };

  const download = async (format: RecordsFormat) => {
    try {
      const blob = await exportRecords(pid, slug, format);
      const href = URL.createObjectURL(blob);
      const anchor = document.createElement("a");
      anchor.href = href;
      anchor.download = `${slug}.${format}`;
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(href), 1000);
    } catch (error) {
      toastError(error);
    }
  };

  if (modelResult.isError) return <ErrorState error={modelResult.error} retry={() => void modelResult.refetch()} />;
  if (!model)
    return (
      <div className="grid gap-4">
        <Skeleton className="h-10 w-72" />
        <RecordsTableSkeleton />
      </div>
    );

  const selected = (data?.items ?? []).filter((record) => selection[record.id]);
  const allColumns = columnsOf(model);
  const label = (name: string) => model.fields.find((field) => field.key === name)?.label || name;
  const total = data && data.totalItems >= 0 ? data.totalItems : null;
  const newButton = (
    <Button onClick={() => setEditing({})}>
      <PlusIcon />
      {t("datastore.records.new")}
    </Button>
  );
  const sizes = [...new Set([...PAGE_SIZES, model.table.pageSize, perPage])].sort((a, b) => a - b);

  return (
    <div className="grid min-w-0 grid-cols-1 gap-4">
      <PageHeader
        title={
          <span className="flex items-baseline gap-2">
            {model.name}
            <code className="text-sm font-normal text-muted-foreground">{model.slug}</code>
          </span>
        }
        description={
          total === null ? t("datastore.recordsDescription") : filter ? t("datastore.records.countFiltered", { count: total }) : t("datastore.records.count", { count: total })
        }
        actions={
          <>
            <Button variant="outline" asChild>
              <Link to="/projects/$pid/data/$model/schema" params={{ pid: project.slug, model: model.slug }}>
                <Settings2Icon />
                {t("datastore.schema")}
              </Link>
            </Button>
            <DropdownMenu>
              <DropdownMenuTrigger asChild>
                <Button variant="outline">
                  <DownloadIcon />
                  {t("datastore.records.export")}
                </Button>
              </DropdownMenuTrigger>
              <DropdownMenuContent align="end">
                <DropdownMenuItem onSelect={() => void download("json")}>{t("datastore.records.exportJson")}</DropdownMenuItem>
                <DropdownMenuItem onSelect={() => void download("csv")}>{t("datastore.records.exportCsv")}</DropdownMenuItem>
              </DropdownMenuContent>
            </DropdownMenu>
            <Button variant="outline" onClick={() => setImporting(true)}>
              <FileUpIcon />
              {t("datastore.records.import")}
            </Button>
            {newButton}
          </>
        }
      />

      <div className="flex flex-wrap items-start gap-2">
        <RecordsFilter model={model} applied={filter} onApply={(next) => go({ filter: next || undefined, page: undefined })} problem={problem} />
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="outline">
              <Columns3Icon />
              {t("datastore.records.columns")}
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end" className="max-h-96 overflow-y-auto">
            <DropdownMenuLabel>{t("datastore.records.showColumns")}</DropdownMenuLabel>
            <DropdownMenuSeparator />
            {allColumns.map((name) => (
              <DropdownMenuCheckboxItem
                key={name}
                checked={!hidden.includes(name)}
                onSelect={(event) => event.preventDefault()}
                onCheckedChange={(checked) => setHidden(checked ? hidden.filter((other) => other !== name) : [...hidden, name])}
              >
                {label(name)}
              </DropdownMenuCheckboxItem>
            ))}
          </DropdownMenuContent>
        </DropdownMenu>
      </div>

      {live.fresh > 0 && (
        <button
          type="button"
          className="flex items-center justify-center gap-2 rounded-lg border border-primary/30 bg-primary/5 px-3 py-1.5 text-sm text-primary hover:bg-primary/10"
          onClick={() => void reload()}
          data-testid="fresh-records"
        >
          <RefreshCwIcon className="size-4" aria-hidden="true" />
          {t("datastore.records.fresh", { count: live.fresh })}
        </button>
      )}

      {selected.length > 0 && (
        <div className="flex flex-wrap items-center gap-2 rounded-lg border bg-muted/50 px-3 py-1.5 text-sm" data-testid="selection-bar">
          <span className="mr-auto">{t("datastore.records.selected", { count: selected.length })}</span>
          <Button variant="ghost" size="sm" onClick={() => setSelection({})}>
            {t("datastore.records.clearSelection")}
          </Button>
          <Button variant="destructive" size="sm" onClick={() => setDeleting(selected)}>
            <Trash2Icon />
            {t("datastore.records.deleteSelected", { count: selected.length })}
          </Button>
        </div>
      )}

      {records.isError && !problem ? (
        <ErrorState error={records.error} retry={() => void records.refetch()} />
      ) : problem && (!data || data.items.length === 0) ? (
        <EmptyState
          icon={SearchXIcon}
          title={t("datastore.records.refusedTitle")}
          description={t("datastore.records.refusedText")}
          action={
            <Button variant="outline" onClick={() => go(problem.param === "sort" ? { sort: undefined, page: undefined } : { filter: undefined, page: undefined })}>
              {problem.param === "sort" ? t("datastore.records.resetSort") : t("datastore.records.clearFilter")}
            </Button>
          }
        />
      ) : !data ? (
        <RecordsTableSkeleton />
      ) : data.items.length === 0 && !problem ? (
        filter ? (
          <EmptyState
            icon={SearchXIcon}
            title={t("datastore.records.noMatch")}
            description={t("datastore.records.noMatchText")}
            action={
              <Button variant="outline" onClick={() => go({ filter: undefined, page: undefined })}>
                {t("datastore.records.clearFilter")}
              </Button>
            }
          />
        ) : (
          <EmptyState icon={DatabaseIcon} title={t("datastore.records.emptyTitle")} description={t("datastore.records.emptyText")} action={newButton} />
        )
      ) : (
        <RecordsTable
          model={model}
          records={data.items}
          context={context}
          sort={sort}
          onSort={onSort}
          hidden={hidden}
          selection={selection}
          onSelection={setSelection}
          onOpen={onOpen}
          onDelete={onDelete}
          stale={records.isPlaceholderData}
        />
      )}

      {data && (data.items.length > 0 || page > 1) && (
        <nav className="flex flex-wrap items-center justify-end gap-2 text-sm" aria-label={t("datastore.records.pages")}>
          <span className="mr-auto text-muted-foreground" data-testid="records-range">
            {total !== null && data.items.length > 0
              ? t("datastore.records.range", { from: formatNumber((page - 1) * perPage + 1), to: formatNumber((page - 1) * perPage + data.items.length), total: formatNumber(total) })
              : null}
          </span>
          <span className="text-muted-foreground">{t("datastore.records.perPage")}</span>
          <Select value={String(perPage)} onValueChange={(next) => go({ perPage: Number(next), page: undefined })}>
            <SelectTrigger className="h-8 w-20" aria-label={t("datastore.records.perPage")}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {sizes.map((size) => (
                <SelectItem key={size} value={String(size)}>
                  {size}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <Button variant="outline" size="sm" disabled={page <= 1} onClick={() => go({ page: page - 1 > 1 ? page - 1 : undefined })}>
            {t("common.previous")}
          </Button>
          <span className="tabular-nums" data-testid="records-page">
            {t("common.pageOf", { page, pages: Math.max(1, data.totalPages) })}
          </span>
          <Button variant="outline" size="sm" disabled={page >= data.totalPages} onClick={() => go({ page: page + 1 })}>
            {t("common.next")}
          </Button>
        </nav>
      )}

      <RecordSheet
        pid={pid}
        model={model}
        editing={editing}
        onClose={() => setEditing(null)}
        onSaved={async (record) => {
          setEditing(null); // the form has said so in a toast
          queryClient.setQueryData(datastoreKeys.record(pid, slug, record.id), record);
          await queryClient.invalidateQueries({ queryKey: datastoreKeys.records(pid, slug) });
        }}
      />
      <ImportDialog pid={pid} model={model} open={importing} onOpenChange={setImporting} onImported={() => void reload()} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(next) => !next && setDeleting(null)}
        title={deleting?.length === 1 ? t("datastore.records.deleteOne") : t("datastore.records.deleteMany", { count: deleting?.length ?? 0 })}
        description={deleting?.length === 1 ? t("datastore.records.deleteOneText", { id: deleting[0]!.id }) : t("datastore.records.deleteManyText", { count: deleting?.length ?? 0 })}
        confirm={deleting && deleting.length > 1 ? t("datastore.records.deleteSelected", { count: deleting.length }) : t("common.delete")}
        onConfirm={() => (deleting ? remove(deleting) : undefined)}
      />
    </div>
  );
}
