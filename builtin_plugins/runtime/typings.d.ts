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
