import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./_app";

export const goalsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "goals",
  staticData: { crumb: "nav.goals" },
  component: lazyRouteComponent(() => import("@/features/goals/components/global-goals-page"), "GlobalGoalsPage"),
});
