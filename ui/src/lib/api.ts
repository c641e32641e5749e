// The one fetch wrapper: bearer token, the server's error envelope as a typed ApiError, and a
// 401 on a signed-in call ends the session (the router sends the user to sign-in and back).
import { session } from "./session";

export type FieldErrors = Record<string, string>;

/** An error answer of the server ({error: {code, message, fields}}), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** The server's list envelope (DESIGN.md 7). */
export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  json?: unknown;
  body?: BodyInit;
  query?: Query;
  signal?: AbortSignal;
  /** How the answer is read: by its Content-Type (the default), or always as text or a Blob (file contents). */
  as?: "text" | "blob";
}

let unauthorized: (error: ApiError) => void = () => {};

/** Who handles a signed-in call answered 401 (expired, revoked or invalid token). */
export function onUnauthorized(handler: (error: ApiError) => void) {
  unauthorized = handler;
}

export function url(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function envelopeOf(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    /* not the envelope (a proxy's page): keep the status text */
  }
  return errorOf(response.status, response.statusText, body);
}

/** The ApiError of an error answer's status and parsed body (also for XMLHttpRequest, which uploads use). */
export function errorOf(status: number, statusText: string, body: unknown): ApiError {
  let code = "error";
  let message = statusText || `HTTP ${status}`;
  let fields: FieldErrors = {};
  const error = body && typeof body === "object" ? (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } }).error : null;
  if (error && typeof error === "object") {
    if (typeof error.code === "string") code = error.code;
    if (typeof error.message === "string") message = error.message;
    if (error.fields && typeof error.fields === "object") fields = error.fields as FieldErrors;
  }
  return new ApiError(status, code, message, fields);
}

/** What a 401 on a signed-in call does; for requests made without `api` (uploads). */
export function unauthorizedAnswer(error: ApiError) {
  if (error.status === 401 && session.token()) {
    session.signOut();
    unauthorized(error);
  }
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const token = session.token();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(url(path, options.query), {
      method: options.method ?? "GET",
      headers,
      body,
      signal: options.signal,
    });
  } catch (cause) {
    if ((cause as Error).name === "AbortError") throw cause;
    throw new ApiError(0, "network", "network");
  }
  if (!response.ok) {
    const error = await envelopeOf(response);
    unauthorizedAnswer(error);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  if (options.as === "blob") return (await response.blob()) as T;
  if (options.as === "text") return (await response.text()) as T;
  const type = response.headers.get("Content-Type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;

/** One server-sent event: its `event:` name ("message" when it has none) and its `data:` lines joined. */
export interface StreamEvent {
  event: string;
  data: string;
}

/**
 * Read a server-sent event stream with fetch, so that the bearer token goes along (EventSource
 * cannot send it), until `signal` aborts or the server ends it. `onEvents` gets the events of each
 * chunk read, in order (comments, the keep-alives, left out); an error answer is an ApiError as
 * `api()`'s, a 401 ending the session.
 */
export async function followEvents(path: string, signal: AbortSignal, onEvents: (events: StreamEvent[]) => void) {
  const token = session.token();
  const response = await fetch(path, {
    headers: { Accept: "text/event-stream", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    signal,
  });
  if (!response.ok || !response.body) {
    const error = errorOf(response.status, response.statusText, await response.json().catch(() => null));
    unauthorizedAnswer(error);
    throw error;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const blocks = buffer.split("\n\n");
    buffer = blocks.pop() ?? "";
    const events: StreamEvent[] = [];
    for (const block of blocks) {
      if (block.startsWith(":")) continue; // a comment: connected, keep-alive
      const lines = block.split("\n");
      const name = lines.find((line) => line.startsWith("event:"))?.slice(6).trim() || "message";
      const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
      events.push({ event: name, data: data.join("\n") });
    }
    if (events.length) onEvents(events);
  }
}
