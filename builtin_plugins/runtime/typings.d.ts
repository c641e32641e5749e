/** Lifecycle of the service: boot once, then start; shutdown runs on stop, with a deadline. */
declare const $service: {
  boot(fn: () => void | Promise<void>): void;
  start(fn: () => void | Promise<void>): void;
  shutdown(fn: () => void | Promise<void>): void;
};

interface M3mRouteContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON when JSON was sent, else the text. */
  body: any;
  ip: string;
}

interface M3mResponse { status: number; body: any; headers: Record<string, string>; }

type M3mHandler = (ctx: M3mRouteContext) => any | Promise<any>;

/** Routes served at {server.uri}/bot-{project}/{path}. A returned plain object is 200 JSON. */
declare const $router: {
  get(path: string, handler: M3mHandler): void;
  post(path: string, handler: M3mHandler): void;
  put(path: string, handler: M3mHandler): void;
  patch(path: string, handler: M3mHandler): void;
  delete(path: string, handler: M3mHandler): void;
  all(path: string, handler: M3mHandler): void;
  response(status: number, body?: any, headers?: Record<string, string>): M3mResponse;
};

/** Lines of the run log: [time] [LEVEL] message. console.* writes here too. */
declare const $logger: {
  debug(...args: any[]): void;
  info(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
};

// The host globals a service has besides the $ APIs (the editor uses lib es2022, without the DOM:
// no window, document, fetch or XMLHttpRequest exist in a service).
declare const console: {
  log(...args: any[]): void;
  info(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
  debug(...args: any[]): void;
  trace(...args: any[]): void;
};
declare function setTimeout(handler: (...args: any[]) => void, delayMs?: number, ...args: any[]): any;
declare function clearTimeout(timer: any): void;
declare function setInterval(handler: (...args: any[]) => void, delayMs?: number, ...args: any[]): any;
declare function clearInterval(timer: any): void;
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | [string, string][]);
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
  toString(): string;
  forEach(fn: (value: string, key: string) => void): void;
}
declare class URL {
  constructor(url: string, base?: string);
  href: string; origin: string; protocol: string; host: string; hostname: string; port: string;
  pathname: string; search: string; hash: string; readonly searchParams: URLSearchParams;
  toString(): string;
}
