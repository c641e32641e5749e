import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./_app";

export const profileRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "profile",
  staticData: { crumb: "nav.profile" },
  component: lazyRouteComponent(() => import("@/features/profile/components/profile-page"), "ProfilePage"),
});
