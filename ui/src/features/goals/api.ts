import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api";
import type { ColorName } from "@/features/projects/api";

export type GoalType = "counter" | "daily_counter";

export interface Goal {
  id: string;
  name: string;
  key: string;
  /** The public slug: the key for global goals, {project-slug}-{key} for a project's. */
  slug: string;
  color: ColorName | null;
  type: GoalType;
  description: string;
  projectRef: string | null;
  allowedProjects: string[];
  created: string;
  updated: string;
}

export interface GoalStats extends Goal {
  total: number;
  daily?: { date: string; value: number }[];
}

export interface Stats {
  from: string;
  to: string;
  items: GoalStats[];
}

/** Where a goal lives: the global list, or one project's. */
export type GoalScope = { kind: "global" } | { kind: "project"; pid: string };

const base = (scope: GoalScope) =>
  scope.kind === "global" ? "/api/goals" : `/api/projects/${encodeURIComponent(scope.pid)}/goals`;

export const goalKeys = {
  all: ["goals"] as const,
  list: (scope: GoalScope) => [...goalKeys.all, "list", scope.kind === "global" ? "global" : scope.pid] as const,
  stats: (slugs: string[], from: string, to: string) => [...goalKeys.all, "stats", slugs.join(","), from, to] as const,
};

export const goalsQuery = (scope: GoalScope) =>
  queryOptions({
    queryKey: goalKeys.list(scope),
    queryFn: () => api<{ items: Goal[] }>(base(scope)).then((body) => body.items),
  });

export const statsQuery = (slugs: string[], from: string, to: string) =>
  queryOptions({
    queryKey: goalKeys.stats(slugs, from, to),
    queryFn: () => api<Stats>("/api/goals/stats", { query: { goals: slugs.join(","), from, to } }),
    enabled: slugs.length > 0,
  });

export interface GoalInput {
  name: string;
  slug: string;
  color: ColorName | null;
  type: GoalType;
  description: string;
  allowedProjects?: string[];
}

export const createGoal = (scope: GoalScope, input: GoalInput) => api<Goal>(base(scope), { method: "POST", json: input });
export const updateGoal = (scope: GoalScope, id: string, input: Partial<GoalInput>) =>
  api<Goal>(`${base(scope)}/${id}`, { method: "PATCH", json: input });
export const deleteGoal = (scope: GoalScope, id: string) => api<void>(`${base(scope)}/${id}`, { method: "DELETE" });
