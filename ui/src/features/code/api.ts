// The project's code: branches (drafts), the starter template and the `$` typings for the editor.
import { queryOptions } from "@tanstack/react-query";
import { projectKeys } from "@/features/projects/api";
import { api } from "@/lib/api";

export interface Branch {
  name: string;
  base: Source | null;
  size: number;
  created: string;
  updated: string;
  code: string;
}

/** Where a branch's code comes from: a release or another branch. */
export type Source = { release: string } | { branch: string };

export const FIRST_BRANCH = "develop"; // the first save creates it (the server's FIRST_BRANCH)

const base = (pid: string) => `/api/projects/${encodeURIComponent(pid)}`;
const branchPath = (pid: string, name: string) => `${base(pid)}/pipeline/branches/${encodeURIComponent(name)}`;

export const codeKeys = {
  branch: (pid: string, name: string) => ["code", pid, "branch", name] as const,
  template: (pid: string) => ["code", pid, "template"] as const,
  typings: (pid: string) => ["code", pid, "typings"] as const,
};

export const branchQuery = (pid: string, name: string) =>
  queryOptions({ queryKey: codeKeys.branch(pid, name), queryFn: () => api<Branch>(branchPath(pid, name)), staleTime: Infinity });

export const templateQuery = (pid: string) =>
  queryOptions({
    queryKey: codeKeys.template(pid),
    queryFn: () => api<{ code: string; branch: string }>(`${base(pid)}/pipeline/template`),
    staleTime: Infinity,
  });

/** The declarations of every `$` API this project has; fetched again when the page is opened. */
export const typingsQuery = (pid: string) =>
  queryOptions({
    queryKey: codeKeys.typings(pid),
    queryFn: () => api<string>(`${base(pid)}/runtime/typings`, { as: "text" }),
    staleTime: 0,
    refetchOnWindowFocus: true, // models or plugins may have changed meanwhile
  });

export const saveBranch = (pid: string, name: string, code: string) =>
  api<Branch>(branchPath(pid, name), { method: "PUT", json: { code } });

export const createBranch = (pid: string, name: string, from: Source) =>
  api<Branch>(`${base(pid)}/pipeline/branches`, { method: "POST", json: { name, from } });

export const resetBranch = (pid: string, name: string, from: Source) =>
  api<Branch>(`${branchPath(pid, name)}/reset`, { method: "POST", json: from });

export const deleteBranch = (pid: string, name: string) => api<void>(branchPath(pid, name), { method: "DELETE" });

export const pipelineKey = projectKeys.pipeline;

/** A source as the value of a <Select> ("branch:develop", "release:1.2"), never empty. */
export const sourceValue = (source: Source) => ("release" in source ? `release:${source.release}` : `branch:${source.branch}`);
export function sourceOf(value: string): Source {
  const [kind, ...rest] = value.split(":");
  const name = rest.join(":");
  return kind === "release" ? { release: name } : { branch: name };
}
