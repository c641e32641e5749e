import { QueryClient } from "@tanstack/react-query";
import { createRouter } from "@tanstack/react-router";
import i18n from "@/lib/i18n";
import { ApiError, onUnauthorized } from "@/lib/api";
import { safeRedirect } from "@/lib/redirect";
import { session } from "@/lib/session";
import { toast } from "sonner";
import { ErrorPage } from "@/components/error-page";
import { PageSkeleton } from "@/components/page-skeleton";
import { rootRoute } from "./routes/__root";
import { appRoute, indexRoute } from "./routes/_app";
import { adminsRoute } from "./routes/admins";
import { auditRoute } from "./routes/audit";
import { goalsRoute } from "./routes/goals";
import { profileRoute } from "./routes/profile";
import {
  projectAuditRoute,
  projectCodeRoute,
  projectDataRoute,
  projectModelRoute,
  projectModelSchemaRoute,
  projectModelsRoute,
  projectRecordsRoute,
  projectLogsRoute,
  projectRuntimeRoute,
  projectCompareRoute,
  projectReleaseRoute,
  projectReleasesIndexRoute,
  projectReleasesRoute,
  projectEnvRoute,
  projectGoalsRoute,
  projectOverviewRoute,
  projectRoute,
  projectSettingsRoute,
  projectStorageRoute,
  projectsIndexRoute,
  projectsRoute,
} from "./routes/projects";
import { setupRoute } from "./routes/setup";
import { signInRoute } from "./routes/sign-in";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // An answer of the server is final; only a dropped connection is worth another try.
      retry: (count, error) => error instanceof ApiError && error.status === 0 && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  setupRoute,
  appRoute.addChildren([
    indexRoute,
    projectsRoute.addChildren([
      projectsIndexRoute,
      projectRoute.addChildren([
        projectOverviewRoute, projectCodeRoute, projectSettingsRoute, projectGoalsRoute, projectEnvRoute, projectStorageRoute,
        projectReleasesRoute.addChildren([projectReleasesIndexRoute, projectCompareRoute, projectReleaseRoute]),
        projectRuntimeRoute,
        projectLogsRoute,
        projectDataRoute.addChildren([projectModelsRoute, projectModelRoute.addChildren([projectRecordsRoute, projectModelSchemaRoute])]),
        projectAuditRoute,
      ]),
    ]),
    goalsRoute,
    adminsRoute,
    auditRoute,
    profileRoute,
  ]),
]);

export const router = createRouter({
  routeTree,
  context: { queryClient },
  defaultPreload: "intent",
  defaultPreloadStaleTime: 0, // TanStack Query decides what is fresh
  defaultPendingComponent: PageSkeleton,
  defaultPendingMs: 150,
  defaultPendingMinMs: 0, // a skeleton never holds a page that is ready (the default keeps it 500 ms)
  defaultErrorComponent: ErrorPage,
  scrollRestoration: true,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}

// A token that stops working mid-session (expired, revoked by a password change or a block):
// back to sign-in, remembering the page, once however many requests failed together.
onUnauthorized((error) => {
  const here = router.state.location;
  if (here.pathname === "/sign-in") return;
  toast.info(error.code === "token_expired" ? i18n.t("auth.expired") : i18n.t("auth.signedOut"), { id: "session" });
  void endSession(safeRedirect(here.href));
});

/**
 * Leave for sign-in and forget the session. The pages go first: a query of a page still on
 * screen would fetch again, without a token, the moment the cache is cleared.
 */
export async function endSession(redirect?: string) {
  await router.navigate({ to: "/sign-in", search: redirect ? { redirect } : {}, replace: true });
  session.signOut();
  queryClient.clear();
}
