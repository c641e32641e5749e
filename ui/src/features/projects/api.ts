import { queryOptions } from "@tanstack/react-query";
import { api, type Page } from "@/lib/api";

export const COLORS = {
  slate: "#64748b",
  red: "#ef4444",
  orange: "#f97316",
  amber: "#f59e0b",
  yellow: "#eab308",
  lime: "#84cc16",
  green: "#22c55e",
  emerald: "#10b981",
  teal: "#14b8a6",
  cyan: "#06b6d4",
  sky: "#0ea5e9",
  blue: "#3b82f6",
  indigo: "#6366f1",
  violet: "#8b5cf6",
  purple: "#a855f7",
  pink: "#ec4899",
} as const; // the server's 16 (GET /api/colors); kept here so a picker needs no request
export type ColorName = keyof typeof COLORS;
export const COLOR_NAMES = Object.keys(COLORS) as ColorName[];

export interface Project {
  id: string;
  name: string;
  slug: string;
  color: ColorName | null;
  members: string[];
  hasApiKey: boolean;
  createdBy: string | null;
  created: string;
  updated: string;
}

export interface RuntimeState {
  state: "stopped" | "starting" | "running" | "sleeping" | "crashed";
  release: string | null;
  pid: number | null;
  startedAt: string | null;
  restarts: number;
  memory: number;
  routes: { method: string; path: string }[];
  reason: string | null;
  /** Sleep when idle: on or off, after how many idle seconds, and what keeps it awake now. */
  sleep: { enabled: boolean; after: number | null; awake: string | null };
  /** The CPU share (cores; null: no bound), the worker's use now, and whether it is held at its share, with why. */
  cpu: { share: number | null; usage: number; throttled: boolean; reason: string | null };
}

export interface Release {
  version: string;
  branch: string;
  comment: string;
  tags: string[];
  author: { id: string | null; email: string | null; name: string } | null; // "API key" has no id
  created: string;
  active: boolean;
}

export interface Pipeline {
  branches: { name: string; updated: string }[];
  releases: Release[];
  activeRelease: string | null;
  running: boolean;
}

export const projectKeys = {
  all: ["projects"] as const,
  list: () => [...projectKeys.all, "list"] as const,
  one: (pid: string) => [...projectKeys.all, "one", pid] as const,
  runtime: (pid: string) => [...projectKeys.all, "runtime", pid] as const,
  pipeline: (pid: string) => [...projectKeys.all, "pipeline", pid] as const,
};

export const projectsQuery = queryOptions({
  queryKey: projectKeys.list(),
  // A few hundred projects at most on one server; the grid filters them in the browser.
  queryFn: () => api<Page<Project>>("/api/projects", { query: { perPage: 500 } }).then((page) => page.items),
});

export const projectQuery = (pid: string) =>
  queryOptions({ queryKey: projectKeys.one(pid), queryFn: () => api<Project>(`/api/projects/${encodeURIComponent(pid)}`) });

export const runtimeQuery = (pid: string) =>
  queryOptions({
    queryKey: projectKeys.runtime(pid),
    queryFn: () => api<RuntimeState>(`/api/projects/${encodeURIComponent(pid)}/runtime`),
    refetchInterval: 15_000,
  });

export const pipelineQuery = (pid: string) =>
  queryOptions({
    queryKey: projectKeys.pipeline(pid),
    queryFn: () => api<Pipeline>(`/api/projects/${encodeURIComponent(pid)}/pipeline`),
  });

export interface ProjectInput {
  name: string;
  slug: string;
  color: ColorName | null;
}

export const createProject = (input: ProjectInput) => api<Project>("/api/projects", { method: "POST", json: input });
export const updateProject = (pid: string, input: Partial<ProjectInput>) =>
  api<Project>(`/api/projects/${encodeURIComponent(pid)}`, { method: "PATCH", json: input });
export const deleteProject = (pid: string) => api<void>(`/api/projects/${encodeURIComponent(pid)}`, { method: "DELETE" });
export const setMembers = (pid: string, members: string[]) =>
  api<{ members: string[] }>(`/api/projects/${encodeURIComponent(pid)}/members`, { method: "PUT", json: { members } });
export const regenerateApiKey = (pid: string) =>
  api<{ apiKey: string }>(`/api/projects/${encodeURIComponent(pid)}/api-key`, { method: "POST" });
