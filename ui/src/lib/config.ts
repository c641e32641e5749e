// What the server tells the UI before sign-in: its public address (server.uri), where projects'
// pages and files are (server.content_uri, else the same), and its version.
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./api";

export interface UiConfig {
  uri: string;
  contentUri: string;
  version: string;
}

export const configQuery = queryOptions({
  queryKey: ["ui-config"],
  queryFn: () => api<UiConfig>("/api/ui/config"),
  staleTime: Infinity,
});

/** Where the services' routes are, for the links the UI shows (an origin of their own when the
 * server has server.content_uri); this origin until it is known. */
export function useContentUri(): string {
  const { data } = useQuery(configQuery);
  return data?.contentUri ?? window.location.origin;
}
