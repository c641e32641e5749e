import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api";

export const ENV_TYPES = ["string", "text", "json", "integer", "float", "boolean"] as const;
export type EnvType = (typeof ENV_TYPES)[number];

export interface EnvVar {
  key: string;
  type: EnvType;
  value: unknown;
}

const base = (pid: string) => `/api/projects/${encodeURIComponent(pid)}/env`;

export const envKeys = { list: (pid: string) => ["env", pid] as const };

export const envQuery = (pid: string) =>
  queryOptions({ queryKey: envKeys.list(pid), queryFn: () => api<EnvVar[]>(base(pid)) });

export const putVar = (pid: string, key: string, type: EnvType, value: unknown) =>
  api<EnvVar>(`${base(pid)}/${encodeURIComponent(key)}`, { method: "PUT", json: { type, value } });

export const deleteVar = (pid: string, key: string) =>
  api<void>(`${base(pid)}/${encodeURIComponent(key)}`, { method: "DELETE" });
