import { createRoute } from "@tanstack/react-router";
import { FirstRunPage } from "@/features/auth/components/first-run-page";
import { rootRoute } from "./__root";

export const setupRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "setup",
  component: FirstRunPage,
});
