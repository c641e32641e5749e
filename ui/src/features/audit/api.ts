// The audit log (GET /api/audit for root and managers, GET /api/projects/{pid}/audit for the
// project's members): newest first, filtered and paged by the server (docs/operations.md).
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, type Page } from "@/lib/api";

export interface AuditActor {
  kind: "user" | "api_key" | "anonymous" | string;
  id?: string | null;
  email?: string | null;
}

export interface AuditEntry {
  id: string;
  time: string;
  actor: AuditActor | null;
  ip: string | null;
  action: string | null;
  method: string | null;
  path: string | null;
  route: string | null;
  status: number | null;
  project: { id: string; slug: string | null } | null;
  target: unknown;
  query: Record<string, unknown>;
  request: unknown;
  before: unknown;
  after: unknown;
}

/** The server's filters: a user id, a project id, an action or the start of one ("env." for all of env). */
export interface AuditFilters {
  actor?: string;
  project?: string;
  action?: string;
}

export const PER_PAGE = 20;

export const auditKeys = {
  all: ["audit"] as const,
  page: (scope: string, filters: AuditFilters, page: number) => [...auditKeys.all, scope, filters, page] as const,
};

/** One page of the log: everything (`pid` undefined) or one project's. */
export const auditPageQuery = (pid: string | undefined, filters: AuditFilters, page: number) =>
  queryOptions({
    queryKey: auditKeys.page(pid ?? "*", filters, page),
    queryFn: () =>
      api<Page<AuditEntry>>(pid ? `/api/projects/${pid}/audit` : "/api/audit", {
        query: { ...filters, project: pid ? undefined : filters.project, page, perPage: PER_PAGE },
      }),
    placeholderData: keepPreviousData,
  });
