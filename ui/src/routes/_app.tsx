// Everything behind sign-in: no token (or one the server refuses) goes to sign-in and comes back.
import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { meQuery } from "@/features/auth/api";
import { isApiError } from "@/lib/api";
import { session } from "@/lib/session";
import { PageSkeleton } from "@/components/page-skeleton";
import { rootRoute } from "./__root";

export const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: async ({ context, location }) => {
    const back = location.href;
    if (!session.token()) throw redirect({ to: "/sign-in", search: { redirect: back } });
    try {
      await context.queryClient.ensureQueryData(meQuery);
    } catch (error) {
      if (isApiError(error) && error.status === 401) throw redirect({ to: "/sign-in", search: { redirect: back } });
      throw error;
    }
  },
  component: lazyRouteComponent(() => import("@/components/layout/app-shell"), "AppShell"),
  pendingComponent: PageSkeleton,
});

export const indexRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/projects" });
  },
});
