import { createRoute, lazyRouteComponent, Outlet } from "@tanstack/react-router";
import { z } from "zod";
import { appRoute } from "./_app";

export const projectsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "projects",
  staticData: { crumb: "nav.projects" },
  component: Outlet,
});

export const projectsIndexRoute = createRoute({
  getParentRoute: () => projectsRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/projects/components/projects-page"), "ProjectsPage"),
});

export const projectRoute = createRoute({
  getParentRoute: () => projectsRoute,
  path: "$pid",
  staticData: { crumb: "project" },
  component: lazyRouteComponent(() => import("@/features/projects/components/project-layout"), "ProjectLayout"),
});

export const projectOverviewRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/projects/components/project-overview"), "ProjectOverview"),
});

export const projectSettingsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "settings",
  staticData: { crumb: "nav.settings" },
  component: lazyRouteComponent(() => import("@/features/projects/components/project-settings"), "ProjectSettings"),
});

export const projectGoalsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "goals",
  staticData: { crumb: "nav.goals" },
  component: lazyRouteComponent(() => import("@/features/goals/components/project-goals-page"), "ProjectGoalsPage"),
});

export const projectEnvRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "env",
  staticData: { crumb: "nav.env" },
  component: lazyRouteComponent(() => import("@/features/env/components/env-page"), "EnvPage"),
});

export const projectAuditRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "audit",
  staticData: { crumb: "audit.nav" },
  component: lazyRouteComponent(() => import("@/features/audit/components/audit-page"), "ProjectAuditPage"),
});

/** The folder, page, order, search and view are in the URL: a deep link opens the same listing. */
export const storageSearch = z.object({
  path: z.string().optional().catch(undefined),
  page: z.coerce.number().int().min(1).optional().catch(undefined),
  sort: z.enum(["name", "-name", "size", "-size", "modified", "-modified"]).optional().catch(undefined),
  search: z.string().optional().catch(undefined),
  view: z.enum(["list", "grid"]).optional().catch(undefined),
});

export const projectStorageRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "storage",
  staticData: { crumb: "nav.storage" },
  validateSearch: storageSearch,
  component: lazyRouteComponent(() => import("@/features/storage/components/storage-page"), "StoragePage"),
});

export const projectCodeRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "code",
  staticData: { crumb: "nav.code" },
  validateSearch: z.object({ branch: z.string().optional().catch(undefined) }),
  component: lazyRouteComponent(() => import("@/features/code/components/code-page"), "CodePage"),
});

export const projectReleasesRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "releases",
  staticData: { crumb: "nav.releases" },
  component: Outlet,
});

export const projectReleasesIndexRoute = createRoute({
  getParentRoute: () => projectReleasesRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/releases/components/releases-page"), "ReleasesPage"),
});

export const projectCompareRoute = createRoute({
  getParentRoute: () => projectReleasesRoute,
  path: "compare",
  staticData: { crumb: "releases.diffTitle" },
  validateSearch: z.object({ left: z.string().optional().catch(undefined), right: z.string().optional().catch(undefined) }),
  component: lazyRouteComponent(() => import("@/features/releases/components/compare-page"), "ComparePage"),
});

export const projectReleaseRoute = createRoute({
  getParentRoute: () => projectReleasesRoute,
  path: "$version",
  staticData: { crumb: "version" },
  component: lazyRouteComponent(() => import("@/features/releases/components/release-view"), "ReleaseView"),
});

export const projectRuntimeRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "runtime",
  staticData: { crumb: "nav.runtime" },
  component: lazyRouteComponent(() => import("@/features/runtime/components/runtime-page"), "RuntimePage"),
});

export const projectLogsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "logs",
  staticData: { crumb: "nav.logs" },
  component: lazyRouteComponent(() => import("@/features/runtime/components/logs-page"), "LogsPage"),
});

export const projectDataRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: "data",
  staticData: { crumb: "nav.data" },
  component: Outlet,
});

export const projectModelsRoute = createRoute({
  getParentRoute: () => projectDataRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/datastore/components/models-page"), "ModelsPage"),
});

export const projectModelRoute = createRoute({
  getParentRoute: () => projectDataRoute,
  path: "$model",
  staticData: { crumb: "model" },
  component: Outlet,
});

/** The table's filter, order and page are in the URL: a deep link opens the same view. */
export const recordsSearch = z.object({
  filter: z.string().optional().catch(undefined),
  sort: z.string().optional().catch(undefined),
  page: z.coerce.number().int().min(1).optional().catch(undefined),
  perPage: z.coerce.number().int().min(1).max(500).optional().catch(undefined),
});

export const projectRecordsRoute = createRoute({
  getParentRoute: () => projectModelRoute,
  path: "/",
  validateSearch: recordsSearch,
  component: lazyRouteComponent(() => import("@/features/datastore/components/records-page"), "RecordsPage"),
});

export const projectModelSchemaRoute = createRoute({
  getParentRoute: () => projectModelRoute,
  path: "schema",
  staticData: { crumb: "datastore.schema" },
  component: lazyRouteComponent(() => import("@/features/datastore/components/model-editor-page"), "ModelEditorPage"),
});
