import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./_app";

export const auditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "audit",
  staticData: { crumb: "audit.nav" },
  component: lazyRouteComponent(() => import("@/features/audit/components/audit-page"), "AuditPage"),
});
