// Everything behind sign-in: no token (or one the server refuses) goes to sign-in and comes back.
import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { meQuery } from "@/features/auth/api";
import { projectsQuery } from "@/features/projects/api";
import { isApiError } from "@/lib/api";
import { session } from "@/lib/session";
import { PageSkeleton } from "@/components/page-skeleton";
import { rootRoute } from "./__root";

const shell = lazyRouteComponent(() => import("@/components/layout/app-shell"), "AppShell");

export const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: async ({ context, location }) => {
    const back = location.href;
    if (!session.token()) throw redirect({ to: "/sign-in", search: { redirect: back } });
    // The shell's code and the sidebar's projects load while the user is checked, not after.
    void shell.preload?.();
    void context.queryClient.prefetchQuery(projectsQuery);
    try {
      await context.queryClient.ensureQueryData(meQuery);
    } catch (error) {
      if (isApiError(error) && error.status === 401) throw redirect({ to: "/sign-in", search: { redirect: back } });
      throw error;
    }
  },
  component: shell,
  pendingComponent: PageSkeleton,
});

export const indexRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/projects" });
  },
});
