// $service, $router, $logger and console, built on the kernel's host boundary.
// Runs as the body of function (kernel, data); nothing here reaches Python but kernel.*.
// A log argument as text: strings as they are, an Error as "Name: message" plus its stack
// (SpiderMonkey's stack does not repeat the message), objects as JSON (Errors inside them too),
// other values as String() would (JSON would turn NaN into null, a BigInt into a throw).
const errorText = (e) => {
  const head = String(e.name || 'Error') + ': ' + String(e.message);
  return e.stack ? head + '\n' + String(e.stack).replace(/\n+$/, '') : head;
};
const jsonReplacer = (key, value) => (value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value);
const format = (value) => {
  if (typeof value === 'string') { return value; }
  if (value instanceof Error) { return errorText(value); }
  if (typeof value === 'function') { return '[function ' + (value.name || 'anonymous') + ']'; }
  if (value === null || typeof value !== 'object') { return String(value); }
  try { return JSON.stringify(value, jsonReplacer); } catch (e) { return String(value); }
};
const logAt = (level) => (...args) => kernel.log(level, args.map(format).join(' '));
const logger = Object.freeze({ debug: logAt('DEBUG'), info: logAt('INFO'), warn: logAt('WARN'), error: logAt('ERROR') });

const service = Object.freeze({
  boot: (fn) => kernel.onLifecycle('boot', fn),
  start: (fn) => kernel.onLifecycle('start', fn),
  shutdown: (fn) => kernel.onLifecycle('shutdown', fn),
});

const RESPONSE = Symbol('m3m.response');
const routes = [];
const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const compile = (pattern) => {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) { throw new TypeError('a route pattern starts with /: ' + pattern); }
  const keys = [];
  const parts = pattern.replace(/\/+$/, '').split('/').map((part) => {
    if (part.startsWith(':')) { keys.push(part.slice(1)); return '([^/]+)'; }
    if (part === '*') { keys.push('*'); return '(.*)'; }
    return escapeRe(part);
  });
  return { keys, regex: new RegExp('^' + parts.join('/') + '/?$') };
};
const add = (method) => (pattern, handler) => {
  if (typeof handler !== 'function') { throw new TypeError('$router.' + method.toLowerCase() + ' needs a handler function'); }
  routes.push({ method, pattern, handler, name: method + ' ' + pattern, ...compile(pattern) });
  kernel.call('route', method, pattern);
};
const response = (status, body, headers) => ({ [RESPONSE]: true, status: Number(status) || 200, body, headers: headers || {} });
const router = Object.freeze({
  get: add('GET'), post: add('POST'), put: add('PUT'), patch: add('PATCH'), delete: add('DELETE'), all: add('*'),
  response,
});

// The answer as the kernel sends it: the body as it is (the kernel serializes it, once).
const encodeBody = (status, body, headers) => {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  if (body === undefined || body === null) { return { status, headers: lower, body: null, encoding: 'none' }; }
  if (body instanceof Uint8Array) { return { status, headers: lower, body, encoding: 'binary' }; }
  if (typeof body === 'string' && !(lower['content-type'] || '').includes('json')) { return { status, headers: lower, body, encoding: 'text' }; }
  return { status, headers: lower, body, encoding: 'json' };
};
const toResponse = (result) => {
  if (result && result[RESPONSE]) { return encodeBody(result.status, result.body, result.headers); }
  if (result === undefined) { return encodeBody(204, null, {}); }
  return encodeBody(200, result, {});
};
const parseBody = (request, body) => {
  const type = (request.headers['content-type'] || '').toLowerCase();
  if (body === '') { return type.includes('json') ? null : ''; }
  if (type.includes('json')) { try { return JSON.parse(body); } catch (e) { return body; } }
  return body;
};

// request: {method, path, query, headers, ip}; body: the request's body as text.
kernel.setDispatcher(async (request, body) => {
  let allowed = false;
  for (const route of routes) {
    const match = route.regex.exec(request.path);
    if (!match) { continue; }
    if (route.method !== '*' && route.method !== request.method && !(route.method === 'GET' && request.method === 'HEAD')) { allowed = true; continue; }
    const params = {};
    route.keys.forEach((key, i) => { params[key] = decodeURIComponent(match[i + 1]); });
    const ctx = Object.freeze({
      method: request.method, path: request.path, params, query: request.query,
      headers: request.headers, body: parseBody(request, body), ip: request.ip,
    });
    const answer = toResponse(await route.handler(ctx));
    answer.route = route.name;  // which route answered: the server's notes name it
    return answer;
  }
  const status = allowed ? 405 : 404;
  const code = allowed ? 'method_not_allowed' : 'not_found';
  return encodeBody(status, { error: { code, message: 'no route for ' + request.method + ' ' + request.path } }, {});
});

// console.* writes to the same log: log/info/dir -> INFO, warn -> WARN, error -> ERROR,
// debug -> DEBUG; trace -> DEBUG with the caller's stack; assert -> ERROR when it fails.
const consoleAt = {
  log: logAt('INFO'), info: logAt('INFO'), dir: logAt('INFO'), warn: logAt('WARN'), error: logAt('ERROR'), debug: logAt('DEBUG'),
  trace: (...args) => kernel.log('DEBUG', ['Trace:', ...args.map(format)].join(' ') + '\n' + String(new Error().stack).split('\n').slice(1).join('\n').replace(/\n+$/, '')),
  assert: (condition, ...args) => { if (!condition) { logAt('ERROR')('Assertion failed:', ...args); } },
};
globalThis.console = Object.freeze(consoleAt);
globalThis.$logger = logger;
globalThis.$service = service;
globalThis.$router = router;

// Timers still to fire (a setTimeout not yet run, a setInterval not cleared) keep the service
// awake: a service asleep would never run them (sleep when idle, docs/runtime/sleep.md).
const pendingTimers = new Set();
const engineTimers = {
  setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval,
};
const globalEval = eval;  // a string handler is code run in the global scope, as the engine does
globalThis.setTimeout = function setTimeout(handler, delayMs, ...args) {
  const timer = engineTimers.setTimeout(function () {
    pendingTimers.delete(timer);
    return typeof handler === 'function' ? handler.apply(this, args) : globalEval(String(handler));
  }, delayMs);
  pendingTimers.add(timer);
  return timer;
};
globalThis.setInterval = function setInterval(handler, delayMs, ...args) {
  const timer = engineTimers.setInterval(handler, delayMs, ...args);
  pendingTimers.add(timer);
  return timer;
};
globalThis.clearTimeout = function clearTimeout(timer) { pendingTimers.delete(timer); return engineTimers.clearTimeout(timer); };
globalThis.clearInterval = function clearInterval(timer) { pendingTimers.delete(timer); return engineTimers.clearInterval(timer); };
// What the engine hangs on its timer functions (setTimeout.Timeout, the class) stays there.
for (const name of Object.keys(engineTimers)) {
  for (const key of Object.getOwnPropertyNames(engineTimers[name])) {
    if (!['length', 'name', 'prototype', 'caller', 'arguments'].includes(key)) {
      Object.defineProperty(globalThis[name], key, Object.getOwnPropertyDescriptor(engineTimers[name], key));
    }
  }
}
kernel.onCall('pendingTimers', () => pendingTimers.size);
