import { useQuery } from "@tanstack/react-query";
import { type ColumnDef, flexRender, getCoreRowModel, getExpandedRowModel, useReactTable } from "@tanstack/react-table";
import { ChevronDownIcon, ChevronRightIcon, ScrollTextIcon } from "lucide-react";
import { Fragment, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { NotFoundInline } from "@/components/not-found-inline";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { abilities, useMe } from "@/features/auth/api";
import { projectsQuery } from "@/features/projects/api";
import { useProject } from "@/features/projects/use-project";
import { everyoneQuery } from "@/features/users/api";
import { formatDateTime } from "@/lib/format";
import { auditPageQuery, type AuditActor, type AuditEntry, type AuditFilters } from "../api";

const ANY = "*"; // the Select's value for "no filter" (an item's value cannot be empty)

/** The whole log: root and users who manage admins (the server refuses others). */
export function AuditPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  if (!abilities(me).manageUsers) return <NotFoundInline title={t("audit.noAccess")} />;
  return <AuditLog />;
}

/** One project's log, for its members. */
export function ProjectAuditPage() {
  const project = useProject().data!;
  return <AuditLog pid={project.id} />;
}

function AuditLog({ pid }: { pid?: string }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const can = abilities(me);
  const [chosen, setChosen] = useState<Omit<AuditFilters, "action">>({});
  const [actionText, setActionText] = useState("");
  const [action, setAction] = useState<string>();
  const [page, setPage] = useState(1);
  const filters: AuditFilters = { ...chosen, action };
  const entries = useQuery(auditPageQuery(pid, filters, page));
  // Who to filter by: every admin for those who may list them; else the people this page shows.
  const everyone = useQuery({ ...everyoneQuery, enabled: can.manageUsers });
  const projects = useQuery({ ...projectsQuery, enabled: !pid });

  const filter = (change: Omit<AuditFilters, "action">) => {
    setChosen((current) => ({ ...current, ...change }));
    setPage(1);
  };
  useEffect(() => {
    // The action is typed: asked for once the typing pauses, not at every key.
    const timer = window.setTimeout(() => {
      setAction(actionText.trim() || undefined);
      setPage(1);
    }, 300);
    return () => window.clearTimeout(timer);
  }, [actionText]);

  const actors = useMemo(() => {
    if (can.manageUsers) return (everyone.data ?? []).map((user) => ({ id: user.id, label: user.email }));
    const seen = new Map<string, string>();
    for (const entry of entries.data?.items ?? []) {
      if (entry.actor?.kind === "user" && entry.actor.id) seen.set(entry.actor.id, entry.actor.email ?? entry.actor.id);
    }
    if (filters.actor && !seen.has(filters.actor)) seen.set(filters.actor, filters.actor);
    return [...seen].map(([id, label]) => ({ id, label }));
  }, [can.manageUsers, everyone.data, entries.data, filters.actor]);

  const columns = useMemo<ColumnDef<AuditEntry>[]>(
    () => [
      {
        id: "expand",
        header: () => <span className="sr-only">{t("audit.details")}</span>,
        cell: ({ row }) => (
          <Button
            variant="ghost"
            size="icon-sm"
            aria-expanded={row.getIsExpanded()}
            aria-label={t(row.getIsExpanded() ? "audit.hideDetails" : "audit.showDetails", { action: row.original.action ?? "" })}
            onClick={row.getToggleExpandedHandler()}
          >
            {row.getIsExpanded() ? <ChevronDownIcon /> : <ChevronRightIcon />}
          </Button>
        ),
      },
      {
        id: "time",
        header: () => t("audit.when"),
        cell: ({ row }) => <span className="text-xs whitespace-nowrap text-muted-foreground">{formatDateTime(row.original.time)}</span>,
      },
      { id: "actor", header: () => t("audit.who"), cell: ({ row }) => <ActorName actor={row.original.actor} /> },
      {
        id: "action",
        header: () => t("audit.action"),
        cell: ({ row }) => (
          <span className="flex items-center gap-2">
            <code className="text-xs">{row.original.action ?? "—"}</code>
            <StatusBadge status={row.original.status} />
          </span>
        ),
      },
      {
        id: "target",
        header: () => t("audit.target"),
        cell: ({ row }) => (
          <span className="grid max-w-80 min-w-0 leading-tight">
            {!pid && row.original.project && <span className="truncate text-xs font-medium">{row.original.project.slug ?? row.original.project.id}</span>}
            <span className="truncate font-mono text-xs text-muted-foreground" title={row.original.path ?? ""}>
              {row.original.method} {targetText(row.original)}
            </span>
          </span>
        ),
      },
      { id: "ip", header: () => t("audit.ip"), cell: ({ row }) => <span className="font-mono text-xs">{row.original.ip ?? "—"}</span> },
    ],
    [t, pid],
  );

  const table = useReactTable({
    data: entries.data?.items ?? [],
    columns,
    getRowId: (entry) => entry.id,
    getRowCanExpand: () => true,
    getCoreRowModel: getCoreRowModel(),
    getExpandedRowModel: getExpandedRowModel(),
    manualPagination: true,
    pageCount: entries.data?.totalPages ?? -1,
  });
  const total = entries.data?.totalItems ?? 0;
  const pages = Math.max(entries.data?.totalPages ?? 1, 1);

  return (
    <div className="mx-auto grid max-w-6xl gap-6">
      <PageHeader title={t("audit.title")} description={t(pid ? "audit.projectDescription" : "audit.description")} />
      <div className="flex flex-wrap items-center gap-2" role="search" aria-label={t("audit.filters")}>
        <Select value={filters.actor ?? ANY} onValueChange={(value) => filter({ actor: value === ANY ? undefined : value })}>
          <SelectTrigger className="w-56" aria-label={t("audit.actorFilter")}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value={ANY}>{t("audit.anyone")}</SelectItem>
            {actors.map((actor) => (
              <SelectItem key={actor.id} value={actor.id}>
                {actor.label}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        {!pid && (
          <Select value={filters.project ?? ANY} onValueChange={(value) => filter({ project: value === ANY ? undefined : value })}>
            <SelectTrigger className="w-48" aria-label={t("audit.projectFilter")}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value={ANY}>{t("audit.anyProject")}</SelectItem>
              {(projects.data ?? []).map((project) => (
                <SelectItem key={project.id} value={project.id}>
                  {project.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        )}
        <Input
          type="search"
          className="w-80"
          value={actionText}
          onChange={(event) => setActionText(event.target.value)}
          placeholder={t("audit.actionPlaceholder")}
          aria-label={t("audit.actionFilter")}
        />
      </div>
      {entries.isError ? (
        <ErrorState error={entries.error} retry={() => void entries.refetch()} />
      ) : !entries.isPending && total === 0 ? (
        <EmptyState icon={ScrollTextIcon} title={t("audit.empty")} description={t("audit.emptyText")} />
      ) : (
        <div className="grid gap-3">
          <div className="rounded-xl border bg-card">
            <Table aria-label={t("audit.title")}>
              <TableHeader>
                {table.getHeaderGroups().map((group) => (
                  <TableRow key={group.id}>
                    {group.headers.map((header) => (
                      <TableHead key={header.id} className="first:pl-3 last:pr-4">
                        {flexRender(header.column.columnDef.header, header.getContext())}
                      </TableHead>
                    ))}
                  </TableRow>
                ))}
              </TableHeader>
              <TableBody>
                {entries.isPending
                  ? [0, 1, 2].map((index) => (
                      <TableRow key={index}>
                        <TableCell colSpan={columns.length} className="px-4">
                          <Skeleton className="h-8" />
                        </TableCell>
                      </TableRow>
                    ))
                  : table.getRowModel().rows.map((row) => (
                      <Fragment key={row.id}>
                        <TableRow data-testid="audit-row" data-action={row.original.action ?? ""} data-state={row.getIsExpanded() ? "selected" : undefined}>
                          {row.getVisibleCells().map((cell) => (
                            <TableCell key={cell.id} className="first:pl-3 last:pr-4">
                              {flexRender(cell.column.columnDef.cell, cell.getContext())}
                            </TableCell>
                          ))}
                        </TableRow>
                        {row.getIsExpanded() && (
                          <TableRow data-testid="audit-details">
                            <TableCell colSpan={columns.length} className="bg-muted/40 px-4">
                              <EntryDetails entry={row.original} />
                            </TableCell>
                          </TableRow>
                        )}
                      </Fragment>
                    ))}
              </TableBody>
            </Table>
          </div>
          <div className="flex items-center justify-between gap-2 text-sm text-muted-foreground">
            <span>{t("audit.count", { count: total })}</span>
            <div className="flex items-center gap-2">
              <span>{t("common.pageOf", { page, pages })}</span>
              <Button variant="outline" size="sm" onClick={() => setPage((current) => current - 1)} disabled={page <= 1 || entries.isFetching}>
                {t("common.previous")}
              </Button>
              <Button variant="outline" size="sm" onClick={() => setPage((current) => current + 1)} disabled={page >= pages || entries.isFetching}>
                {t("common.next")}
              </Button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}

function ActorName({ actor }: { actor: AuditActor | null }) {
  const { t } = useTranslation();
  if (!actor) return <span className="text-muted-foreground">—</span>;
  if (actor.kind === "api_key") return <Badge variant="outline">{t("audit.apiKey")}</Badge>;
  return (
    <span className="grid leading-tight">
      <span className="whitespace-nowrap">{actor.email ?? actor.id}</span>
      {actor.kind === "anonymous" && <span className="text-xs text-muted-foreground">{t("audit.anonymous")}</span>}
    </span>
  );
}

function StatusBadge({ status }: { status: number | null }) {
  if (status === null) return null;
  return <Badge variant={status < 400 ? "secondary" : "destructive"}>{status}</Badge>;
}

/** What the change was about: the route's own target (an id, a key, a path), else the path. */
function targetText(entry: AuditEntry): string {
  if (typeof entry.target === "string" && entry.target) return entry.target;
  return entry.path ?? "";
}

function EntryDetails({ entry }: { entry: AuditEntry }) {
  const { t } = useTranslation();
  const parts: [string, unknown][] = [
    [t("audit.request"), entry.request],
    [t("audit.before"), entry.before],
    [t("audit.after"), entry.after],
  ];
  return (
    <div className="grid gap-3 py-2">
      <p className="font-mono text-xs break-all text-muted-foreground">
        {entry.method} {entry.path}
        {Object.keys(entry.query).length > 0 && `?${new URLSearchParams(entry.query as Record<string, string>).toString()}`}
      </p>
      <div className="grid gap-3 md:grid-cols-3">
        {parts.map(([label, value]) => (
          <section key={label} className="grid min-w-0 content-start gap-1">
            <h3 className="text-xs font-medium">{label}</h3>
            {value === null || value === undefined ? (
              <p className="text-xs text-muted-foreground">{t("audit.nothing")}</p>
            ) : (
              <pre className="max-h-64 overflow-auto rounded-md border bg-background p-2 text-xs" tabIndex={0} aria-label={label}>
                {JSON.stringify(value, null, 2)}
              </pre>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}
