import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api";

export interface Permissions {
  createProjects: boolean;
  manageUsers: boolean;
  projects: string[];
}

export interface User {
  id: string;
  email: string;
  name: string;
  avatar: string | null;
  isRoot: boolean;
  blocked: boolean;
  permissions: Permissions;
  created: string;
  updated: string;
}

export interface SignedIn {
  token: string;
  user: User;
}

export const meQuery = queryOptions({
  queryKey: ["me"],
  queryFn: () => api<User>("/api/auth/me"),
  staleTime: 60_000,
});

export const setupQuery = queryOptions({
  queryKey: ["auth-setup"],
  queryFn: () => api<{ hasUsers: boolean }>("/api/auth/setup"),
});

export const signIn = (email: string, password: string) =>
  api<SignedIn>("/api/auth/login", { method: "POST", json: { email, password } });

export function useMe() {
  return useQuery(meQuery);
}

/** What the signed-in user may do, in one place for menus, pages and buttons. */
export function abilities(user: User | undefined) {
  return {
    manageUsers: Boolean(user && (user.isRoot || user.permissions.manageUsers)),
    createProjects: Boolean(user && (user.isRoot || user.permissions.createProjects)),
    manageGlobalGoals: Boolean(user?.isRoot), // the server lets only root write global goals
  };
}
