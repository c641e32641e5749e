// The project's files over the storage REST API (docs/storage.md): listing, folders, moves,
// copies, contents, thumbnails, uploads with progress, and direct links.
import { queryOptions } from "@tanstack/react-query";
import { api, ApiError, errorOf, unauthorizedAnswer, url } from "@/lib/api";
import { session } from "@/lib/session";

export interface Entry {
  name: string;
  path: string;
  type: "file" | "dir";
  size: number;
  mime: string | null; // null for a folder
  modified: string;
}

export interface Listing {
  path: string;
  entries: Entry[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

export interface Usage {
  bytes: number;
  files: number;
  limit: number;
}

export const SORTS = ["name", "size", "modified"] as const;
export type SortKey = (typeof SORTS)[number];
export type Sort = SortKey | `-${SortKey}`;

export interface ListParams {
  path: string;
  page: number;
  perPage: number;
  sort: Sort;
  search: string;
}

const base = (pid: string) => `/api/projects/${encodeURIComponent(pid)}/storage`;

export const storageKeys = {
  all: (pid: string) => ["storage", pid] as const,
  list: (pid: string, params: ListParams) => ["storage", pid, "list", params] as const,
  usage: (pid: string) => ["storage", pid, "usage"] as const,
  thumb: (pid: string, entry: Entry) => ["storage", pid, "thumb", entry.path, entry.modified, entry.size] as const,
  text: (pid: string, path: string) => ["storage", pid, "text", path] as const,
};

export const listQuery = (pid: string, params: ListParams) =>
  queryOptions({
    queryKey: storageKeys.list(pid, params),
    queryFn: () => api<Listing>(base(pid), { query: { ...params } }),
    placeholderData: (previous) => previous, // the old page stays while the next one loads
  });

export const usageQuery = (pid: string) =>
  queryOptions({ queryKey: storageKeys.usage(pid), queryFn: () => api<Usage>(`${base(pid)}/usage`) });

/** A 100x100 cropped thumbnail as a Blob (the API needs the bearer token, so no plain <img src>). */
export const thumbQuery = (pid: string, entry: Entry) =>
  queryOptions({
    queryKey: storageKeys.thumb(pid, entry),
    queryFn: () => api<Blob>(`${base(pid)}/thumb`, { query: { path: entry.path, size: "100x100" }, as: "blob" }),
    staleTime: Infinity,
  });

export const textQuery = (pid: string, path: string) =>
  queryOptions({
    queryKey: storageKeys.text(pid, path),
    queryFn: () => api<string>(`${base(pid)}/content`, { query: { path, inline: 1 }, as: "text" }),
    staleTime: 0,
    gcTime: 0,
  });

export const fileBlob = (pid: string, path: string) =>
  api<Blob>(`${base(pid)}/content`, { query: { path, inline: 1 }, as: "blob" });

export const makeFolder = (pid: string, path: string) => api<Entry>(`${base(pid)}/dirs`, { method: "POST", json: { path } });

export const moveEntry = (pid: string, from: string, to: string) =>
  api<Entry>(`${base(pid)}/move`, { method: "POST", json: { from, to } });

export const copyEntry = (pid: string, from: string, to: string) =>
  api<Entry>(`${base(pid)}/copy`, { method: "POST", json: { from, to } });

export const deleteEntry = (pid: string, path: string) => api<void>(base(pid), { method: "DELETE", query: { path } });

export const saveText = (pid: string, path: string, text: string) =>
  api<Entry>(`${base(pid)}/content`, { method: "PUT", query: { path }, body: text });

export const makeLink = (pid: string, path: string, expiresIn: number) =>
  api<{ url: string; expires: number }>(`${base(pid)}/link`, { method: "POST", json: { path, expiresIn } });

export const rotateLinkKey = (pid: string) => api<{ rotated: boolean }>(`${base(pid)}/link-key`, { method: "POST" });

/**
 * One file uploaded into `folder`, with its progress (0..1) and a signal to cancel it. An
 * XMLHttpRequest, since fetch reports no upload progress; errors are the same ApiError as api's.
 */
export function uploadFile(
  pid: string,
  folder: string,
  file: File,
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
): Promise<Entry> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url(`${base(pid)}/files`, { path: folder }));
    const token = session.token();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve((request.response as { items: Entry[] }).items[0]!);
        return;
      }
      const error = errorOf(request.status, request.statusText, request.response);
      unauthorizedAnswer(error);
      reject(error);
    };
    request.onerror = () => reject(new ApiError(0, "network", "network"));
    request.onabort = () => reject(new DOMException("cancelled", "AbortError"));
    signal.addEventListener("abort", () => request.abort(), { once: true });
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}

/** The folder a path is in ("" for the root) and its last name. */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "" : path.slice(0, cut);
}

export const join = (folder: string, name: string) => (folder ? `${folder}/${name}` : name);

const TEXT_TYPES = /^(text\/|application\/(json|x-yaml|yaml|toml|x-toml|javascript|x-javascript|typescript|xml|x-sh|sql|graphql|ld\+json))/;
const TEXT_NAMES = /\.(txt|md|markdown|json|ya?ml|toml|ini|cfg|conf|csv|tsv|log|js|mjs|cjs|ts|tsx|jsx|css|scss|html?|xml|svg|sh|py|sql|env)$/i;

/** A file the text editor opens. */
export const isText = (entry: Pick<Entry, "name" | "mime" | "type">) =>
  entry.type === "file" && (TEXT_TYPES.test(entry.mime ?? "") || TEXT_NAMES.test(entry.name));

/** An image the server makes thumbnails of (docs/storage.md: jpeg, png, gif, webp, bmp). */
export const hasThumb = (entry: Pick<Entry, "mime" | "type">) =>
  entry.type === "file" && /^image\/(jpeg|png|gif|webp|bmp)$/.test(entry.mime ?? "");
