// The Table tab: which columns the records table shows and in what order, which fields filter
// and sort, the default sort and the page size, with a live preview of the table's header.
import { useSortable, horizontalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { ArrowDownIcon, ArrowUpDownIcon, ArrowUpIcon, FunnelIcon, GripVerticalIcon, XIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { cn } from "@/lib/utils";
import { type FieldType, SYSTEM_FIELDS, type TableConfig } from "../api";
import { type Draft, type DraftErrors, keyOf } from "./model-draft";
import { FieldTypeIcon, isSortable } from "./model-field-types";
import { SortableList } from "./model-sortable";

const NONE = "none";

interface Candidate {
  name: string; // a uid, or a system field's name
  key: string;
  type: FieldType | "system";
  sortable: boolean;
}

export function TableTab({ draft, errors, onChange }: { draft: Draft; errors: DraftErrors; onChange: (draft: Draft) => void }) {
  const { t } = useTranslation();
  const table = draft.table;
  const key = keyOf(draft);
  const candidates: Candidate[] = [
    ...SYSTEM_FIELDS.map((name) => ({ name, key: name, type: "system" as const, sortable: true })),
    ...draft.fields.map((entry) => ({ name: entry.uid, key: entry.field.key, type: entry.field.type, sortable: isSortable(entry.field) })),
  ];
  const byName = new Map(candidates.map((candidate) => [candidate.name, candidate]));
  const set = (change: Partial<TableConfig>) => onChange({ ...draft, table: { ...table, ...change } });
  const toggle = (list: "columns" | "filterable" | "sortable", name: string, on: boolean) =>
    set({ [list]: on ? [...table[list], name] : table[list].filter((item) => item !== name) });
  const [firstSort] = table.defaultSort.split(",").filter(Boolean);
  const sortName = firstSort?.replace(/^[-+]/, "") ?? "";
  const sortDesc = firstSort?.startsWith("-") ?? false;
  const tableErrors = Object.entries(errors).filter(([where]) => where.startsWith("table."));

  return (
    <div className="grid gap-6">
      {tableErrors.length > 0 && (
        <ul role="alert" className="grid gap-1 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive" data-field-error>
          {tableErrors.map(([where, message]) => (
            <li key={where}>
              <span className="font-mono">{where}</span>: {message}
            </li>
          ))}
        </ul>
      )}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
        <div className="overflow-hidden rounded-lg border">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="pl-3">{t("datastore.models.field")}</TableHead>
                <TableHead className="w-24 text-center">{t("datastore.models.column")}</TableHead>
                <TableHead className="w-24 text-center">{t("datastore.models.filterable")}</TableHead>
                <TableHead className="w-24 text-center">{t("datastore.models.sortable")}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {candidates.map((candidate) => (
                <TableRow key={candidate.name} data-testid="table-field" data-key={candidate.key}>
                  <TableCell className="py-1.5 pl-3">
                    <span className="flex items-center gap-2">
                      {candidate.type === "system" ? <span className="size-4" /> : <FieldTypeIcon type={candidate.type} />}
                      <span className="font-mono text-sm">{candidate.key}</span>
                      {candidate.type === "system" && <span className="text-xs text-muted-foreground">{t("datastore.models.system")}</span>}
                    </span>
                  </TableCell>
                  <TableCell className="py-1.5 text-center">
                    <Checkbox
                      aria-label={t("datastore.models.showColumn", { key: candidate.key })}
                      checked={table.columns.includes(candidate.name)}
                      onCheckedChange={(on) => toggle("columns", candidate.name, on === true)}
                    />
                  </TableCell>
                  <TableCell className="py-1.5 text-center">
                    <Checkbox
                      aria-label={t("datastore.models.filterBy", { key: candidate.key })}
                      checked={table.filterable.includes(candidate.name)}
                      onCheckedChange={(on) => toggle("filterable", candidate.name, on === true)}
                    />
                  </TableCell>
                  <TableCell className="py-1.5 text-center">
                    <Checkbox
                      aria-label={t("datastore.models.sortBy", { key: candidate.key })}
                      title={candidate.sortable ? undefined : t("datastore.models.notSortable")}
                      disabled={!candidate.sortable && !table.sortable.includes(candidate.name)}
                      checked={table.sortable.includes(candidate.name)}
                      onCheckedChange={(on) => toggle("sortable", candidate.name, on === true)}
                    />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
        <div className="grid content-start gap-4">
          <div className="grid gap-2">
            <span className="text-sm font-medium">
              {t("datastore.models.defaultSort")}
            </span>
            <div className="grid gap-2">
              <Select
                value={sortName && byName.has(sortName) ? sortName : NONE}
                onValueChange={(name) => set({ defaultSort: name === NONE ? "" : `${sortDesc ? "-" : ""}${name}` })}
              >
                <SelectTrigger aria-label={t("datastore.models.defaultSortField")} aria-invalid={Boolean(errors["table.defaultSort"])}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value={NONE}>{t("datastore.models.noSort")}</SelectItem>
                  {candidates
                    .filter((candidate) => candidate.sortable)
                    .map((candidate) => (
                      <SelectItem key={candidate.name} value={candidate.name}>
                        {candidate.key}
                      </SelectItem>
                    ))}
                </SelectContent>
              </Select>
              <Select value={sortDesc ? "desc" : "asc"} disabled={!sortName} onValueChange={(direction) => set({ defaultSort: `${direction === "desc" ? "-" : ""}${sortName}` })}>
                <SelectTrigger aria-label={t("datastore.models.direction")}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="asc">{t("datastore.models.ascending")}</SelectItem>
                  <SelectItem value="desc">{t("datastore.models.descending")}</SelectItem>
                </SelectContent>
              </Select>
            </div>
          </div>
          <Field label={t("datastore.models.pageSize")} hint={t("datastore.models.pageSizeHint")} error={errors["table.pageSize"]}>
            {(control) => (
              <Input
                {...control}
                type="number"
                min={1}
                max={500}
                className="w-28 font-mono"
                value={Number.isNaN(table.pageSize) ? "" : table.pageSize}
                onChange={(event) => set({ pageSize: event.target.value === "" ? Number.NaN : Number(event.target.value) })}
              />
            )}
          </Field>
        </div>
      </div>
      <section className="grid gap-2" aria-labelledby="column-order">
        <h3 id="column-order" className="text-sm font-medium">
          {t("datastore.models.columnOrder")}
        </h3>
        {table.columns.length === 0 ? (
          <p className="text-sm text-muted-foreground">{t("datastore.models.noColumns")}</p>
        ) : (
          <SortableList
            ids={table.columns}
            nameOf={key}
            strategy={horizontalListSortingStrategy}
            onMove={(from, to) => {
              const columns = [...table.columns];
              const [moved] = columns.splice(from, 1);
              if (moved) columns.splice(to, 0, moved);
              set({ columns });
            }}
          >
            <ul className="flex flex-wrap gap-2" aria-labelledby="column-order">
              {table.columns.map((name) => (
                <ColumnChip key={name} id={name} label={key(name)} onRemove={() => toggle("columns", name, false)} />
              ))}
            </ul>
          </SortableList>
        )}
      </section>
      <section className="grid gap-2" aria-labelledby="table-preview">
        <h3 id="table-preview" className="text-sm font-medium">
          {t("datastore.models.preview")}
        </h3>
        <div className="overflow-x-auto rounded-lg border" data-testid="table-preview">
          <Table>
            <TableHeader>
              <TableRow>
                {table.columns.map((name) => (
                  <TableHead key={name} className="whitespace-nowrap">
                    <span className="inline-flex items-center gap-1">
                      {key(name)}
                      {sortName === name ? (
                        sortDesc ? (
                          <ArrowDownIcon className="size-3.5" aria-label={t("datastore.models.descending")} />
                        ) : (
                          <ArrowUpIcon className="size-3.5" aria-label={t("datastore.models.ascending")} />
                        )
                      ) : (
                        table.sortable.includes(name) && <ArrowUpDownIcon className="size-3.5 opacity-60" aria-label={t("datastore.models.sortable")} />
                      )}
                      {table.filterable.includes(name) && <FunnelIcon className="size-3 opacity-60" aria-label={t("datastore.models.filterable")} />}
                    </span>
                  </TableHead>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>
              {[0, 1, 2].map((row) => (
                <TableRow key={row}>
                  {table.columns.map((name) => (
                    <TableCell key={name}>
                      <Skeleton className={cn("h-3 animate-none", row % 2 ? "w-16" : "w-24")} />
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <p className="border-t px-3 py-2 text-xs text-muted-foreground">
            {t("datastore.models.previewFooter", { count: Number.isNaN(table.pageSize) ? 0 : table.pageSize })}
          </p>
        </div>
      </section>
    </div>
  );
}

function ColumnChip({ id, label, onRemove }: { id: string; label: string; onRemove: () => void }) {
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id });
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      className={cn("inline-flex items-center gap-1 rounded-md border bg-card py-0.5 pr-0.5 pl-0.5 text-sm", isDragging && "relative z-10 shadow-md")}
      data-testid="column-chip"
    >
      <button
        type="button"
        ref={setActivatorNodeRef}
        className="flex size-6 cursor-grab touch-none items-center justify-center rounded text-muted-foreground hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none"
        {...attributes}
        {...listeners}
        aria-label={t("datastore.models.moveColumn", { key: label })}
      >
        <GripVerticalIcon className="size-3.5" />
      </button>
      <span className="font-mono">{label}</span>
      <button
        type="button"
        className="rounded p-1 text-muted-foreground hover:bg-accent hover:text-foreground"
        aria-label={t("datastore.models.hideColumn", { key: label })}
        onClick={onRemove}
      >
        <XIcon className="size-3" />
      </button>
    </li>
  );
}
