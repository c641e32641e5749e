// The folder's entries as a table (TanStack Table, the server sorts and pages) or as a grid of
// thumbnails. A name opens: a folder is entered, a text file edited, an image previewed.
import { type ColumnDef, flexRender, getCoreRowModel, type RowSelectionState, useReactTable } from "@tanstack/react-table";
import { ArrowDownIcon, ArrowUpIcon } from "lucide-react";
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import { Checkbox } from "@/components/ui/checkbox";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";
import type { Entry, Sort, SortKey } from "../api";
import { EntryMenu, type EntryAction } from "./entry-menu";
import { EntryPicture } from "./file-icon";
import { formatBytes } from "@/lib/bytes";

interface Props {
  pid: string;
  entries: Entry[];
  sort: Sort;
  onSort: (sort: Sort) => void;
  selection: RowSelectionState;
  onSelection: (selection: RowSelectionState) => void;
  onOpen: (entry: Entry) => void;
  onAction: (action: EntryAction, entry: Entry) => void;
}

function SortHeader({ label, column, sort, onSort }: { label: string; column: SortKey; sort: Sort; onSort: (sort: Sort) => void }) {
  const active = sort.replace("-", "") === column;
  const descending = sort.startsWith("-");
  return (
    <button
      type="button"
      className="inline-flex items-center gap-1 hover:text-foreground"
      onClick={() => onSort(active && !descending ? `-${column}` : column)}
    >
      {label}
      {active && (descending ? <ArrowDownIcon className="size-3.5" aria-hidden="true" /> : <ArrowUpIcon className="size-3.5" aria-hidden="true" />)}
    </button>
  );
}

function ariaSort(sort: Sort, column: SortKey) {
  if (sort.replace("-", "") !== column) return undefined;
  return sort.startsWith("-") ? ("descending" as const) : ("ascending" as const);
}

function NameButton({ pid, entry, onOpen }: { pid: string; entry: Entry; onOpen: (entry: Entry) => void }) {
  return (
    <button type="button" className="flex min-w-0 items-center gap-3 text-left hover:underline" onClick={() => onOpen(entry)}>
      <EntryPicture pid={pid} entry={entry} />
      <span className="truncate font-medium">{entry.name}</span>
    </button>
  );
}

export function FileTable({ pid, entries, sort, onSort, selection, onSelection, onOpen, onAction }: Props) {
  const { t } = useTranslation();
  const columns = useMemo<ColumnDef<Entry>[]>(
    () => [
      {
        id: "select",
        header: ({ table }) => (
          <Checkbox
            aria-label={t("storage.selectAll")}
            checked={table.getIsAllRowsSelected() ? true : table.getIsSomeRowsSelected() ? "indeterminate" : false}
            onCheckedChange={(checked) => table.toggleAllRowsSelected(checked === true)}
          />
        ),
        cell: ({ row }) => (
          <Checkbox
            aria-label={t("storage.select", { name: row.original.name })}
            checked={row.getIsSelected()}
            onCheckedChange={(checked) => row.toggleSelected(checked === true)}
          />
        ),
      },
      {
        id: "name",
        header: () => <SortHeader label={t("storage.name")} column="name" sort={sort} onSort={onSort} />,
        cell: ({ row }) => <NameButton pid={pid} entry={row.original} onOpen={onOpen} />,
      },
      {
        id: "size",
        header: () => <SortHeader label={t("storage.size")} column="size" sort={sort} onSort={onSort} />,
        cell: ({ row }) => <span className="text-xs whitespace-nowrap text-muted-foreground tabular-nums">{row.original.type === "dir" ? "—" : formatBytes(row.original.size)}</span>,
      },
      {
        id: "modified",
        header: () => <SortHeader label={t("storage.modified")} column="modified" sort={sort} onSort={onSort} />,
        cell: ({ row }) => <span className="text-xs whitespace-nowrap text-muted-foreground">{formatDateTime(row.original.modified)}</span>,
      },
      {
        id: "actions",
        header: () => <span className="sr-only">{t("common.actions")}</span>,
        cell: ({ row }) => (
          <div className="flex justify-end">
            <EntryMenu entry={row.original} onAction={onAction} />
          </div>
        ),
      },
    ],
    [t, pid, sort, onSort, onOpen, onAction],
  );
  const table = useReactTable({
    data: entries,
    columns,
    state: { rowSelection: selection },
    onRowSelectionChange: (change) => onSelection(typeof change === "function" ? change(selection) : change),
    enableRowSelection: true,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    getRowId: (entry) => entry.path,
  });
  return (
    <div className="rounded-xl border bg-card">
      <Table>
        <TableHeader>
          {table.getHeaderGroups().map((group) => (
            <TableRow key={group.id}>
              {group.headers.map((header) => (
                <TableHead
                  key={header.id}
                  aria-sort={["name", "size", "modified"].includes(header.id) ? ariaSort(sort, header.id as SortKey) : undefined}
                  className={cn(header.id === "select" && "w-10 pl-4", header.id === "actions" && "w-12 pr-4", header.id === "size" && "w-28", header.id === "modified" && "w-48")}
                >
                  {flexRender(header.column.columnDef.header, header.getContext())}
                </TableHead>
              ))}
            </TableRow>
          ))}
        </TableHeader>
        <TableBody>
          {table.getRowModel().rows.map((row) => (
            <TableRow key={row.id} data-testid={`entry-${row.original.name}`} data-state={row.getIsSelected() ? "selected" : undefined}>
              {row.getVisibleCells().map((cell) => (
                <TableCell key={cell.id} className={cn("py-1.5", cell.column.id === "select" && "pl-4", cell.column.id === "actions" && "pr-4", cell.column.id === "name" && "max-w-0 w-full")}>
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

export function FileGrid({ pid, entries, selection, onSelection, onOpen, onAction }: Omit<Props, "sort" | "onSort">) {
  const { t } = useTranslation();
  return (
    <ul className="grid grid-cols-[repeat(auto-fill,minmax(9.5rem,1fr))] gap-3">
      {entries.map((entry) => (
        <li
          key={entry.path}
          data-testid={`entry-${entry.name}`}
          className={cn("relative flex flex-col items-center gap-2 rounded-xl border bg-card p-3 text-center", selection[entry.path] && "ring-2 ring-primary")}
        >
          <Checkbox
            className="absolute top-2 left-2"
            aria-label={t("storage.select", { name: entry.name })}
            checked={Boolean(selection[entry.path])}
            onCheckedChange={(checked) => {
              const next = { ...selection };
              if (checked === true) next[entry.path] = true;
              else delete next[entry.path];
              onSelection(next);
            }}
          />
          <div className="absolute top-1 right-1">
            <EntryMenu entry={entry} onAction={onAction} />
          </div>
          <button type="button" className="flex w-full flex-col items-center gap-2 pt-4" onClick={() => onOpen(entry)}>
            <EntryPicture pid={pid} entry={entry} large />
            <span className="w-full truncate text-sm font-medium">{entry.name}</span>
          </button>
          <span className="text-xs text-muted-foreground">{entry.type === "dir" ? t("storage.folder") : formatBytes(entry.size)}</span>
        </li>
      ))}
    </ul>
  );
}
