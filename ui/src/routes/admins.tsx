import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./_app";

export const adminsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "admins",
  staticData: { crumb: "nav.admins" },
  component: lazyRouteComponent(() => import("@/features/users/components/admins-page"), "AdminsPage"),
});
