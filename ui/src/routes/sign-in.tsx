import { createRoute, redirect } from "@tanstack/react-router";
import { z } from "zod";
import { setupQuery } from "@/features/auth/api";
import { SignInPage } from "@/features/auth/components/sign-in-page";
import { rootRoute } from "./__root";

export const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "sign-in",
  validateSearch: z.object({ redirect: z.string().optional() }),
  beforeLoad: async ({ context }) => {
    // A fresh install has no user to sign in as: show how to create the first one instead.
    const setup = await context.queryClient.fetchQuery({ ...setupQuery, staleTime: 0 });
    if (!setup.hasUsers) throw redirect({ to: "/setup" });
  },
  component: SignInPage,
});
