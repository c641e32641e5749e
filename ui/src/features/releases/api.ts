// Releases: frozen copies of a branch's code, numbered major.minor, that the runtime runs.
import { queryOptions } from "@tanstack/react-query";
import { projectKeys, type Release } from "@/features/projects/api";
import { api } from "@/lib/api";

export const TAGS = ["stable", "not-fix", "night-build", "develop"] as const; // the server's four
export type Tag = (typeof TAGS)[number];
export type Bump = "minor" | "major";

export interface ReleaseWithCode extends Release {
  code: string;
}

const base = (pid: string) => `/api/projects/${encodeURIComponent(pid)}/pipeline/releases`;

export const releaseKeys = { one: (pid: string, version: string) => ["releases", pid, version] as const };

export const releaseQuery = (pid: string, version: string) =>
  queryOptions({
    queryKey: releaseKeys.one(pid, version),
    queryFn: () => api<ReleaseWithCode>(`${base(pid)}/${encodeURIComponent(version)}`),
    staleTime: Infinity, // a release never changes
  });

export const createRelease = (pid: string, input: { branch: string; bump: Bump; comment: string; tags: Tag[] }) =>
  api<Release>(base(pid), { method: "POST", json: input });

export const deleteRelease = (pid: string, version: string) => api<void>(`${base(pid)}/${encodeURIComponent(version)}`, { method: "DELETE" });

export const pipelineKey = projectKeys.pipeline;

/** The version a bump makes after the newest release (the server's rule: the first is 1.0). */
export function nextVersion(releases: Pick<Release, "version">[], bump: Bump): string {
  const versions = releases.map((release) => release.version.split(".").map(Number) as [number, number]);
  if (versions.length === 0) return "1.0";
  const [major, minor] = versions.reduce((best, next) => (next[0] > best[0] || (next[0] === best[0] && next[1] > best[1]) ? next : best));
  return bump === "major" ? `${major + 1}.0` : `${major}.${minor + 1}`;
}
