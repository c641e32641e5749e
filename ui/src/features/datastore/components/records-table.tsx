// The records as a TanStack Table: the server sorts and pages, so the table only draws; columns
// from the model's table config, sortable headers for `table.sortable` and the system times,
// row selection, a row click (or its menu) opens the record.
import { type ColumnDef, flexRender, getCoreRowModel, type RowSelectionState, useReactTable, type VisibilityState } from "@tanstack/react-table";
import { ArrowDownIcon, ArrowUpIcon, ChevronsUpDownIcon, MoreHorizontalIcon, PencilIcon, Trash2Icon } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { cn } from "@/lib/utils";
import { type DataRecord, type Model, SYSTEM_FIELDS } from "../api";
import { type CellContext, FieldCell, SystemCell } from "./records-cells";

/** The columns the model's table config names, else id, every field, created and updated. */
export function columnsOf(model: Model): string[] {
  const known = new Set<string>([...SYSTEM_FIELDS, ...model.fields.map((field) => field.key)]);
  const named = model.table.columns.filter((name) => known.has(name));
  return named.length ? named : ["id", ...model.fields.map((field) => field.key), "created", "updated"];
}

export function sortableOf(model: Model): Set<string> {
  return new Set([...SYSTEM_FIELDS, ...model.table.sortable]);
}

/** The hidden columns of a model, kept in this browser (localStorage) per model. */
export function useHiddenColumns(modelId: string | undefined) {
  const storageKey = `m3m.datastore.hidden.${modelId ?? ""}`;
  const read = (): string[] => {
    try {
      const value: unknown = JSON.parse(localStorage.getItem(storageKey) ?? "[]");
      return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
    } catch {
      return [];
    }
  };
  const [hidden, setHidden] = useState<string[]>(read);
  useEffect(() => setHidden(read()), [storageKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const change = (next: string[]) => {
    setHidden(next);
    try {
      localStorage.setItem(storageKey, JSON.stringify(next));
    } catch {
      /* storage disabled: kept for this visit */
    }
  };
  return [hidden, change] as const;
}

function SortHeader({ label, name, sort, onSort, sortable }: { label: string; name: string; sort: string; onSort: (sort: string) => void; sortable: boolean }) {
  const { t } = useTranslation();
  if (!sortable) return <span>{label}</span>;
  const primary = sort.split(",")[0]?.trim() ?? "";
  const active = primary.replace(/^[-+]/, "") === name;
  const descending = primary.startsWith("-");
  return (
    <button
      type="button"
      className="-mx-1 inline-flex items-center gap-1 rounded-sm px-1 hover:text-foreground"
      onClick={() => onSort(active && !descending ? `-${name}` : name)}
      aria-label={t("datastore.records.sortBy", { name: label })}
    >
      {label}
      {active ? (
        descending ? <ArrowDownIcon className="size-3.5" aria-hidden="true" /> : <ArrowUpIcon className="size-3.5" aria-hidden="true" />
      ) : (
        <ChevronsUpDownIcon className="size-3.5 opacity-40" aria-hidden="true" />
      )}
    </button>
  );
}

function ariaSort(sort: string, name: string): React.AriaAttributes["aria-sort"] {
  const primary = sort.split(",")[0]?.trim() ?? "";
  if (primary.replace(/^[-+]/, "") !== name) return undefined;
  return primary.startsWith("-") ? "descending" : "ascending";
}

interface Props {
  model: Model;
  records: DataRecord[];
  context: CellContext;
  sort: string;
  onSort: (sort: string) => void;
  hidden: string[];
  selection: RowSelectionState;
  onSelection: (selection: RowSelectionState) => void;
  onOpen: (record: DataRecord) => void;
  onDelete: (record: DataRecord) => void;
  /** The rows are those of the previous query while the next one loads (dimmed). */
  stale?: boolean;
}

const INTERACTIVE = "button, a, input, label, [role=checkbox], [role=menuitem], [role=menu]";

export function RecordsTable({ model, records, context, sort, onSort, hidden, selection, onSelection, onOpen, onDelete, stale }: Props) {
  const { t } = useTranslation();
  const names = columnsOf(model);
  const sortable = sortableOf(model);
  const byKey = new Map(model.fields.map((field) => [field.key, field]));
  const namesText = names.join(",");

  const columns = useMemo<ColumnDef<DataRecord>[]>(
    () => [
      {
        id: "select",
        enableHiding: false,
        header: ({ table }) => (
          <Checkbox
            aria-label={t("datastore.records.selectAll")}
            checked={table.getIsAllRowsSelected() ? true : table.getIsSomeRowsSelected() ? "indeterminate" : false}
            onCheckedChange={(checked) => table.toggleAllRowsSelected(checked === true)}
          />
        ),
        cell: ({ row }) => (
          <Checkbox aria-label={t("datastore.records.select", { id: row.original.id })} checked={row.getIsSelected()} onCheckedChange={(checked) => row.toggleSelected(checked === true)} />
        ),
      },
      ...namesText.split(",").map<ColumnDef<DataRecord>>((name) => {
        const field = byKey.get(name);
        const label = field?.label || name;
        return {
          id: name,
          header: () => <SortHeader label={label} name={name} sort={sort} onSort={onSort} sortable={sortable.has(name)} />,
          cell: ({ row }) => (field ? <FieldCell field={field} record={row.original} context={context} /> : <SystemCell name={name} value={row.original[name]} />),
        };
      }),
      {
        id: "actions",
        enableHiding: false,
        header: () => <span className="sr-only">{t("common.actions")}</span>,
        cell: ({ row }) => (
          <div className="flex justify-end">
            <DropdownMenu>
              <DropdownMenuTrigger asChild>
                <Button variant="ghost" size="icon-sm" aria-label={t("datastore.records.actionsFor", { id: row.original.id })}>
                  <MoreHorizontalIcon />
                </Button>
              </DropdownMenuTrigger>
              <DropdownMenuContent align="end">
                <DropdownMenuItem onSelect={() => onOpen(row.original)}>
                  <PencilIcon />
                  {t("common.edit")}
                </DropdownMenuItem>
                <DropdownMenuItem variant="destructive" onSelect={() => onDelete(row.original)}>
                  <Trash2Icon />
                  {t("common.delete")}
                </DropdownMenuItem>
              </DropdownMenuContent>
            </DropdownMenu>
          </div>
        ),
      },
    ],
    // byKey and sortable follow the model; namesText the columns.
    [t, namesText, model, sort, onSort, onOpen, onDelete, context], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const columnVisibility = useMemo<VisibilityState>(() => Object.fromEntries(hidden.map((name) => [name, false])), [hidden]);
  const table = useReactTable({
    data: records,
    columns,
    state: { rowSelection: selection, columnVisibility },
    onRowSelectionChange: (change) => onSelection(typeof change === "function" ? change(selection) : change),
    enableRowSelection: true,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    manualFiltering: true,
    getRowId: (record) => record.id,
  });

  return (
    <div className={cn("rounded-xl border bg-card transition-opacity", stale && "opacity-60")} aria-busy={stale || undefined}>
      <Table data-testid="records-table">
        <TableHeader className="bg-muted/40">
          {table.getHeaderGroups().map((group) => (
            <TableRow key={group.id} className="hover:bg-transparent">
              {group.headers.map((header) => (
                <TableHead
                  key={header.id}
                  data-column={header.id}
                  aria-sort={sortable.has(header.id) ? ariaSort(sort, header.id) : undefined}
                  className={cn("h-9 text-xs", header.id === "select" && "w-10 pl-4", header.id === "actions" && "w-12 pr-4", byKey.get(header.id)?.type === "number" && "text-right")}
                >
                  {flexRender(header.column.columnDef.header, header.getContext())}
                </TableHead>
              ))}
            </TableRow>
          ))}
        </TableHeader>
        <TableBody>
          {table.getRowModel().rows.map((row) => (
            <TableRow
              key={row.id}
              data-testid="record-row"
              data-id={row.id}
              data-state={row.getIsSelected() ? "selected" : undefined}
              className="cursor-pointer"
              onClick={(event) => {
                if ((event.target as HTMLElement).closest(INTERACTIVE) || window.getSelection()?.toString()) return;
                onOpen(row.original);
              }}
            >
              {row.getVisibleCells().map((cell) => (
                <TableCell key={cell.id} data-column={cell.column.id} className={cn("py-1.5", cell.column.id === "select" && "pl-4", cell.column.id === "actions" && "py-0.5 pr-4")}>
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

/** A table-shaped skeleton while the first page loads. */
export function RecordsTableSkeleton({ rows = 8 }: { rows?: number }) {
  return (
    <div className="grid gap-2 rounded-xl border bg-card p-4" data-testid="records-loading">
      <Skeleton className="h-5 w-full" />
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} className="h-7 w-full" />
      ))}
    </div>
  );
}
