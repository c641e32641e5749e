/** The answer of an `$http` request: the body is read whole (at most http.max_response bytes). */
interface HttpResponse {
  /** The status code, e.g. 200. */
  readonly status: number;
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The headers, names in lower case; a header sent several times has its values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** The body as text (decoded with the charset the server named, else UTF-8). */
  readonly text: string;
  /** The body parsed as JSON; throws an Error with code `invalid_json` when it is not. */
  json(): any;
  /** The body's bytes (a fresh copy each call); ask `responseType: 'bytes'` for binary data. */
  bytes(): Uint8Array;
}

/** A part of a multipart body: a file of `$storage`, or bytes or text given here. */
type HttpFilePart =
  | { path: string; filename?: string; contentType?: string }
  | { content: string | Uint8Array; filename?: string; contentType?: string };

interface HttpOptions {
  /** Default GET. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  headers?: Record<string, string>;
  /** Added to the URL's query string; an array repeats the name. */
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** A body sent as JSON (Content-Type application/json unless headers say otherwise). */
  json?: any;
  /** A raw body: text (UTF-8) or bytes. */
  body?: string | Uint8Array;
  /** A body sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | number | boolean>;
  /** A multipart/form-data body: text fields and files (from `$storage` by `path`, or `content`). */
  multipart?: Record<string, string | number | boolean | HttpFilePart>;
  /** The whole request's time limit: seconds or a duration ('500ms', '10s'); default http.default_timeout, at most http.max_timeout. */
  timeout?: number | string;
  /** Follow redirects (default true; at most http.max_redirects). */
  followRedirects?: boolean;
  /** How the body crosses: 'text' (default), 'json' (the call rejects when the body is not JSON) or 'bytes' (binary). */
  responseType?: 'text' | 'json' | 'bytes';
}

/**
 * Outgoing HTTP(S) from the service, on one client shared by the worker (connections are reused;
 * HTTP/2 with servers that offer it). Every call returns a Promise that rejects with an Error whose
 * `code` says what failed: `timeout`, `dns`, `refused` (nothing listens), `tls`, `too_large` (the
 * body, as it arrived or decoded, passed http.max_response), `bad_response` (a body that is not what
 * its Content-Encoding says), `denied` (not the public internet: loopback, private, link-local,
 * metadata... unless http.allowed opens it; never m3m itself nor its database; checked after DNS and
 * on every redirect), `redirects`, `network`; a bad option rejects with `validation_failed` and `fields`.
 * A 4xx or 5xx answer is no rejection: check `ok` or `status`. gzip and deflate answers are decoded
 * (requests say `Accept-Encoding: gzip, deflate` unless `headers` set their own); an answer in
 * another coding (br, zstd...) is given as it came: read it with responseType 'bytes'.
 */
declare const $http: {
  request(options: HttpOptions & { url: string }): Promise<HttpResponse>;
  get(url: string, options?: HttpOptions): Promise<HttpResponse>;
  post(url: string, options?: HttpOptions): Promise<HttpResponse>;
  put(url: string, options?: HttpOptions): Promise<HttpResponse>;
  patch(url: string, options?: HttpOptions): Promise<HttpResponse>;
  delete(url: string, options?: HttpOptions): Promise<HttpResponse>;
  /**
   * Save the body of `url` straight into `$storage` at `path` (replaced whole, atomically, when
   * complete; at most http.max_download bytes and within the project's quota). Rejects with code
   * `bad_status` and saves nothing when the answer is not 2xx.
   */
  download(url: string, path: string, options?: Omit<HttpOptions, 'responseType'>): Promise<{
    status: number; ok: boolean; headers: Readonly<Record<string, string>>; url: string; file: StorageEntry;
  }>;
};
