// What the server tells the UI before sign-in: its public address (server.uri) and version.
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./api";

export interface UiConfig {
  uri: string;
  version: string;
}

export const configQuery = queryOptions({
  queryKey: ["ui-config"],
  queryFn: () => api<UiConfig>("/api/ui/config"),
  staleTime: Infinity,
});

/** The public address, for links the UI shows (service routes); this origin until it is known. */
export function usePublicUri(): string {
  const { data } = useQuery(configQuery);
  return data?.uri ?? window.location.origin;
}
