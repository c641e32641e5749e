"""Sandbox escapes, tried from service code in a real worker over real HTTP; each one fails.

docs/runtime/sandbox.md explains the boundary and lists every escape with how it is closed.
The walker below visits every object a $ API returns or hands to a callback (and everything
reachable from globalThis) looking for a Python object or a way back to an escape global; a
test runs it first where Python objects *are* reachable, to show that it finds them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import ROOT
from runtime_support import new_service

WALKER = r"""(roots) => {
  // Every object reachable from `roots` (own properties of any kind, getters' values, prototype
  // chains), checked for what a Python object shows in JS, and for a way back to a global that
  // still has an escape through constructor.constructor('return this')().
  const PY = ['__class__', '__base__', '__bases__', '__mro__', '__subclasses__', '__globals__', '__dict__',
    '__self__', '__module__', '__init__', '__code__', '__builtins__', '__func__', '__closure__', '__getattribute__'];
  const ESCAPES = ['python', 'pmEval', 'require', 'XMLHttpRequest', 'ListIterator'];
  const findings = [];
  const seen = new Set();
  const globals = new Set();
  let visited = 0;
  const checkGlobal = (g, path) => {
    if (g === null || typeof g !== 'object' || globals.has(g)) { return; }
    globals.add(g);
    for (const n of ESCAPES) { if (g[n] !== undefined) { findings.push(path + '.' + n); } }
    if (g.debuggerGlobal && g.debuggerGlobal.Debugger !== undefined) { findings.push(path + '.debuggerGlobal.Debugger'); }
  };
  const walk = (v, path, depth) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) { return; }
    if (seen.has(v) || depth > 12 || visited > 50000) { return; }
    seen.add(v);
    visited += 1;
    for (const name of PY) {
      let x;
      try { x = v[name]; } catch (e) { continue; }
      if (x !== undefined) { findings.push(path + '.' + name); }
    }
    try {
      const ctor = v.constructor;
      if (typeof ctor === 'function' && typeof ctor.constructor === 'function') {
        checkGlobal(ctor.constructor('return this')(), path + '.constructor.constructor("return this")()');
      }
    } catch (e) { /* a constructor that refuses is fine */ }
    let proto = null;
    try { proto = Object.getPrototypeOf(v); } catch (e) { /* a revoked proxy */ }
    walk(proto, path + '.[[Prototype]]', depth + 1);
    let keys = [];
    try { keys = Reflect.ownKeys(v); } catch (e) { /* nothing to list */ }
    for (const key of keys) {
      const name = path + '.' + String(key);
      let d;
      try { d = Object.getOwnPropertyDescriptor(v, key); } catch (e) { continue; }
      if (!d) { continue; }
      if ('value' in d) { walk(d.value, name, depth + 1); continue; }
      walk(d.get, name + '[get]', depth + 1);
      walk(d.set, name + '[set]', depth + 1);
      try { walk(v[key], name, depth + 1); } catch (e) { /* a getter for another kind of object */ }
    }
  };
  for (const name of Object.keys(roots)) { walk(roots[name], name, 0); }
  return { findings: findings.slice(0, 50), count: findings.length, visited };
}"""

SERVICE = """
const walker = %(walker)s;
let bootArgs = null, startArgs = null, timerArgs = null, intervalArgs = null;
$service.boot(function () { bootArgs = Array.from(arguments); });
$service.start(function () { startArgs = Array.from(arguments); });
setTimeout(function () { timerArgs = Array.from(arguments); }, 0);
const interval = setInterval(function () { intervalArgs = Array.from(arguments); clearInterval(interval); }, 1);

$router.post('/eval', async (ctx) => {
  try {
    const value = await (0, eval)(ctx.body.code);
    return { ok: value === undefined ? null : value };
  } catch (e) { return { error: String(e.name) + ': ' + String(e.message) }; }
});

// Every value a $ API returns or passes to a callback, walked.
$router.post('/walk/:id', async function (ctx) {
  const roots = { handlerArgs: Array.from(arguments), ctx, params: ctx.params, query: ctx.query, headers: ctx.headers, body: ctx.body };
  roots.response = $router.response(201, { a: [1] }, { 'x-h': '1' });
  roots.env = ['S', 'J', 'I', 'F', 'B', 'NOPE'].map((key) => $env.get(key));
  roots.envFallback = $env.get('NOPE', { x: 1 });
  const incPromise = $goals.increment('counts');
  roots.incPromise = incPromise;
  roots.inc = await incPromise;
  const getPromise = $goals.get('counts', { from: new Date(Date.now() - 5 * 86400000), to: new Date() });
  roots.getPromise = getPromise;
  roots.got = await getPromise;
  roots.daily = await $goals.get('daily');
  try { await $goals.increment('no-such-goal'); } catch (e) { roots.refused = e; }
  try { $router.get('no-slash', () => 1); } catch (e) { roots.preludeError = e; }
  roots.returns = [$logger.info('walking'), $logger.debug({ a: 1 }), $logger.warn(new Error('x')), $logger.error(1),
    console.log('x'), console.error('y'), $service.shutdown(() => {}), $router.all('/added-at-runtime', () => 1)];
  const timeout = setTimeout(() => {}, 1);
  const immediate = setImmediate(() => {});
  const later = setInterval(() => {}, 100000);
  clearInterval(later);
  roots.timers = { timeout, immediate, later, Timeout: setTimeout.Timeout, cleared: clearTimeout(timeout) };
  roots.callbackArgs = { bootArgs, startArgs, timerArgs, intervalArgs };
  roots.base64 = [atob, btoa, btoa('x'), atob('eA==')];
  try { atob({}); } catch (e) { roots.atobError = e; }
  roots.url = [new URL('http://x/a?b=1'), new URLSearchParams('a=1')];
  if (typeof $delayed === 'object') { roots.delayed = await $delayed.run(function () { return Array.from(arguments); }); }
  if (typeof $crypto === 'object') { try { $crypto.randomBytes(-1); } catch (e) { roots.hostSyncError = e; } }
  for (const name of Object.getOwnPropertyNames(globalThis)) { if (name.startsWith('$')) { roots[name] = globalThis[name]; } }
  roots.globalThis = globalThis;
  return walker(roots);
});

// Prototype pollution before $ API calls: the kernel took its builtins at set-up.
$router.post('/poison', async () => {
  const saved = {
    stringify: JSON.stringify, parse: JSON.parse, String: globalThis.String, hasOwn: Object.hasOwn, create: Object.create,
    apply: Reflect.apply, freeze: Object.freeze, Error: globalThis.Error, then: Promise.prototype.then,
  };
  const caught = [];  // every promise the kernel awaits passes through a poisoned then
  const leakedCallers = [];
  const out = {};
  try {
    JSON.stringify = () => ({ forged: true });
    JSON.parse = () => ({ ok: 'forged' });
    globalThis.String = () => ({ forged: true });
    Object.hasOwn = () => true;
    Object.create = () => ({ forged: true });
    Reflect.apply = () => 'forged';
    Object.freeze = (o) => o;
    globalThis.Error = function () { return { forged: true }; };
    Object.defineProperty(Object.prototype, 'error', { get() { return 'forged error'; }, configurable: true });
    Object.defineProperty(Object.prototype, 'ok', { get() { return 'forged ok'; }, configurable: true });
    Object.prototype.toJSON = function toJSON() { leakedCallers.push(toJSON.caller, arguments.callee.caller); return 'poison'; };
    Array.prototype.toJSON = function () { return { forged: true }; };
    Promise.prototype.then = function (a, b) { caught.push(this); return saved.then.call(this, a, b); };
    out.inc = await $goals.increment('counts', 2);
    out.got = await $goals.get('counts');
    out.env = [$env.get('S'), $env.get('J'), $env.get('NOPE', 'fallback')];
    $logger.info('poisoned', 'log');
    out.refused = await $goals.increment('no-such-goal').then(() => 'resolved', (e) => e.message);
  } finally {
    JSON.stringify = saved.stringify; JSON.parse = saved.parse; globalThis.String = saved.String; Object.hasOwn = saved.hasOwn;
    Object.create = saved.create; Reflect.apply = saved.apply; Object.freeze = saved.freeze; globalThis.Error = saved.Error;
    delete Object.prototype.error; delete Object.prototype.ok; delete Object.prototype.toJSON; delete Array.prototype.toJSON;
    Promise.prototype.then = saved.then;
  }
  out.callers = leakedCallers.map((f) => typeof f);
  out.walk = walker({ out, caught });
  out.caught = caught.length;
  return out;
});

// A route that leaves JSON.stringify replaced (until /restore-stringify): the response still
// crosses intact. (Not restored by a timer: PythonMonkey runs promise jobs and timers on the same
// asyncio queue, so a setTimeout(0) can run before the kernel serializes the answer.)
const realStringify = JSON.stringify;
$router.get('/stringify-replaced', () => {
  JSON.stringify = () => '{"status":200,"headers":{},"encoding":"text"}\\nforged';
  return { real: true };
});
$router.get('/restore-stringify', () => { JSON.stringify = realStringify; return { restored: true }; });
"""


@pytest.fixture(scope="module")
def service(client, root_headers):
    deployed = new_service(client, root_headers)
    project = deployed.project
    for key, type_, value in [("S", "string", "hello"), ("J", "json", {"a": [1, {"b": None}]}), ("I", "integer", 3),
                              ("F", "float", 1.5), ("B", "boolean", True)]:
        response = client.put(f"/api/projects/{project['id']}/env/{key}", json={"type": type_, "value": value}, headers=root_headers)
        assert response.status_code == 200, response.text
    for slug, type_ in (("counts", "counter"), ("daily", "daily_counter")):
        response = client.post(f"/api/projects/{project['id']}/goals", json={"name": slug, "slug": slug, "type": type_}, headers=root_headers)
        assert response.status_code == 201, response.text
    deployed.deploy(SERVICE % {"walker": WALKER})
    yield deployed
    deployed.stop()


@pytest.fixture
def js(client, service):
    """Evaluate an expression (awaited) in the service: its value, or {"error": "Name: message"}."""
    def run(code: str):
        response = client.post(service.bot("/eval"), json={"code": textwrap.dedent(code)})
        assert response.status_code == 200, response.text
        answer = response.json()
        return answer["ok"] if "ok" in answer else answer
    return run


def counted(client, headers, service) -> int:
    slug = f"{service.project['slug']}-counts"
    response = client.get("/api/goals/stats", params={"goals": slug}, headers=headers)
    return response.json()["items"][0]["total"]


# -- the escape globals -------------------------------------------------------------------------


def test_python_exec_and_eval_are_gone(js, tmp_path):
    marker = tmp_path / "escaped"
    attempts = {
        "exec": f"python.exec(\"open({str(marker)!r}, 'w').write('x')\")",
        "eval": "python.eval(\"__import__('os').getpid()\")",
        "global": "globalThis.python.exec('1')",
        "function": "Function('return this')().python.exec('1')",
        "indirect eval": "(0, eval)('python').exec('1')",
        "debugger global": "debuggerGlobal.python.exec('1')",
        "getenv": "python.getenv('HOME')",
    }
    for name, code in attempts.items():
        answer = js(f"(() => {{ {code}; return 'ran'; }})()")
        assert isinstance(answer, dict) and answer["error"].startswith(("ReferenceError", "TypeError")), (name, answer)
    assert not marker.exists()
    assert js("[typeof python, 'python' in globalThis, typeof Function('return this')().python]") == ["undefined", False, "undefined"]


def test_pmEval_is_gone(js):
    assert js("typeof pmEval") == "undefined"
    assert js("pmEval('1')")["error"].startswith("ReferenceError")
    assert js("typeof debuggerGlobal.pmEval") == "undefined"


def test_debugger_global_has_no_debugger(js):
    assert js("new debuggerGlobal.Debugger()")["error"].startswith("TypeError")
    assert js("debuggerGlobal.eval('Debugger')")["error"].startswith("ReferenceError")
    assert js("debuggerGlobal.eval('typeof Debugger')") == "undefined"
    assert js("debuggerGlobal.Function('return typeof Debugger')()") == "undefined"
    assert js("typeof debuggerGlobal.Function('return this')().Debugger") == "undefined"
    assert js("debuggerGlobal.Object.getOwnPropertyNames(debuggerGlobal).includes('Debugger')") is False
    # Frozen: nothing can be put back or redefined on it.
    assert js("Object.isFrozen(debuggerGlobal)") is True
    assert js("(() => { 'use strict'; debuggerGlobal.Debugger = function () {}; })()")["error"].startswith("TypeError")
    assert js("Object.defineProperty(debuggerGlobal, 'x', { value: 1 })")["error"].startswith("TypeError")
    assert js("debuggerGlobal.eval('typeof python + typeof pmEval + typeof require')") == "undefinedundefinedundefined"


def test_require_module_and_native_classes_are_gone(js):
    names = ["require", "module", "exports", "ListIterator", "XMLHttpRequest", "XMLHttpRequestUpload",
             "XMLHttpRequestEventTarget", "ProgressEvent", "fetch", "WebSocket", "kernel"]
    probe = "[" + ", ".join(f"typeof {name}" for name in names) + "]"
    assert js(probe) == ["undefined"] * len(names)
    assert js("Function('return typeof require')()") == "undefined"
    assert js("require('fs')")["error"].startswith("ReferenceError")
    # `new ListIterator().next()` used to kill the worker with SIGSEGV.
    assert js("new ListIterator().next()")["error"].startswith("ReferenceError")


class Listener:
    """A local TCP port that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.connections.append(conn.recv(1024))
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                except OSError:
                    self.connections.append(b"")

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


def test_no_network_to_a_local_port(js):
    listener = Listener()
    try:
        url = f"http://127.0.0.1:{listener.port}/x"
        answer = js(f"""
        (async () => {{
          const url = {json.dumps(url)};
          const tries = {{
            xhr: () => {{ const x = new XMLHttpRequest(); x.open('GET', url); x.send(); }},
            xhrFromGlobal: () => {{ const X = Function('return this')().XMLHttpRequest; const x = new X(); x.open('GET', url); x.send(); }},
            xhrFromDebugger: () => {{ const x = new debuggerGlobal.XMLHttpRequest(); x.open('GET', url); x.send(); }},
            fetch: () => fetch(url),
            webSocket: () => new WebSocket(url.replace('http', 'ws')),
            importUrl: () => import(url),
            wasmStreaming: () => WebAssembly.compileStreaming(url),
            timerString: () => setTimeout("new XMLHttpRequest().open('GET', " + JSON.stringify(url) + ")", 0),
            python: () => python.eval("__import__('urllib.request').request.urlopen(" + JSON.stringify(url) + ")"),
          }};
          const out = {{}};
          for (const [name, attempt] of Object.entries(tries)) {{
            try {{ await attempt(); out[name] = 'no error'; }} catch (e) {{ out[name] = e.name; }}
          }}
          await new Promise((resolve) => setTimeout(resolve, 300));
          return out;
        }})()
        """)
        time.sleep(0.3)
        assert listener.connections == [], listener.connections
        assert answer["xhr"] == answer["fetch"] == answer["webSocket"] == answer["python"] == "ReferenceError", answer
        assert answer["xhrFromGlobal"] == answer["xhrFromDebugger"] == "TypeError", answer  # undefined is no constructor
        assert answer["importUrl"] == answer["wasmStreaming"] == "Error", answer  # no module loader, no Response
        assert answer["timerString"] == "no error"  # it runs later, and fails there (ReferenceError in the log)
        # The listener does record a connection: nothing above made one.
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
        deadline = time.monotonic() + 3
        while not listener.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(listener.connections) == 1
    finally:
        listener.close()


# -- no Python object behind any value ----------------------------------------------------------


def test_the_walker_finds_python_objects_where_they_are(tmp_path):
    """The control: in a bare PythonMonkey, with a Python object reachable, the walker reports it."""
    script = textwrap.dedent(f"""
        import json, pythonmonkey as pm
        class Result:
            rows = 3
        pm.globalThis["leak"] = Result()
        walker = pm.eval({WALKER!r})
        report = walker({{"value": pm.eval("({{ nested: [1, {{ deep: leak }}] }})")}})
        print(json.dumps({{"findings": list(report["findings"]), "visited": report["visited"]}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "value.nested.1.deep.__class__" in report["findings"]
    assert 'value.constructor.constructor("return this")().python' in report["findings"]
    assert 'value.constructor.constructor("return this")().debuggerGlobal.Debugger' in report["findings"]


def test_no_value_of_any_api_reaches_python(client, service):
    response = client.post(service.bot("/walk/7?q=1"), json={"nested": {"list": [1, "two", None]}}, headers={"x-test": "1"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["findings"] == [] and report["count"] == 0, report
    assert report["visited"] > 1000  # it did walk: the $ APIs, their values, globalThis and beyond


def test_timers_expose_nothing_of_python(js):
    answer = js("""
    (() => {
      const t = setTimeout(() => {}, 10);
      const i = setInterval(() => {}, 1000);
      clearInterval(i);
      const values = [t, i, setImmediate(() => {}), setTimeout.Timeout, Object.getPrototypeOf(t)];
      return values.map((v) => [typeof v.__class__, typeof v.__init__, typeof v.constructor.constructor('return this')().python,
        Object.getOwnPropertyNames(v).filter((n) => n.startsWith('__')).length]);
    })()
    """)
    assert answer == [["undefined", "undefined", "undefined", 0]] * 5
    # A string handler is JS compiled in the same (cleaned) global.
    assert js("new Promise((resolve) => { globalThis.resolveIt = resolve; setTimeout('resolveIt(typeof python + typeof require)', 0); })") == "undefinedundefined"


def test_caller_and_arguments_lead_nowhere(js):
    answer = js("""
    (async () => {
      const seen = [];
      function spy() { seen.push(typeof spy.caller, typeof spy.arguments, typeof arguments.callee.caller); return 'x'; }
      const probe = { toJSON: spy, toString: spy };
      await $goals.increment(String(probe) === 'x' ? 'counts' : 'counts', 1).catch(() => null);
      await $goals.get('counts', { from: { toString: spy } }).catch(() => null);
      $logger.info(probe);
      $router.response(200, probe);
      return seen;
    })()
    """)
    assert answer and set(answer) == {"undefined"}, answer


def test_atob_and_btoa_are_javascript(js):
    assert js("[btoa('\\xff\\xfe\\x00'), atob(' //4A '), btoa(''), atob('YQ')]") == ["//4A", "\xff\xfe\x00", "", "a"]
    refused = js("atob({})")["error"]
    assert refused.startswith("InvalidCharacterError") and "Traceback" not in refused and ".py" not in refused
    assert js("btoa('€')")["error"].startswith("InvalidCharacterError")
    assert "[native code]" not in js("Function.prototype.toString.call(atob)")


# -- prototype pollution stays on the JS side -----------------------------------------------------


def test_prototype_pollution_does_not_reach_the_host(client, root_headers, service):
    before = counted(client, root_headers, service)
    response = client.post(service.bot("/poison"))
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["inc"] == before + 2
    assert out["got"] == {"total": before + 2}
    assert out["env"] == ["hello", {"a": [1, {"b": None}]}, "fallback"]
    assert out["refused"] == "$goals.increment(\"no-such-goal\"): goal 'no-such-goal' not found"
    assert set(out["callers"]) <= {"undefined"}
    assert out["walk"]["findings"] == [] and out["caught"] > 0
    assert counted(client, root_headers, service) == before + 2
    service.wait_log("[INFO] poisoned log")


def test_a_replaced_json_stringify_cannot_forge_the_answer(client, service):
    try:
        response = client.get(service.bot("/stringify-replaced"))
        assert response.status_code == 200 and response.json() == {"real": True}
    finally:
        assert client.get(service.bot("/restore-stringify")).json() == {"restored": True}


def test_the_host_refuses_what_is_not_json_text():
    """The Python side of the boundary on its own: text in, JSON text out, or an error."""
    from builtin_plugins.runtime.engine.sandbox import WIDE, Sandbox

    def answer(text: str):
        # Every answer ends with the WIDE marker that keeps PythonMonkey from making it an
        # external string (see sandbox.py); the kernel JS drops it before parsing.
        assert text.endswith(WIDE)
        return json.loads(text[: -len(WIDE)])

    class Opaque:
        pass

    sandbox = Sandbox.__new__(Sandbox)  # no engine: only the boundary's Python half
    sandbox.operations = {"t": {"echo": lambda *a: list(a), "opaque": lambda: Opaque(), "nan": lambda: float("nan"),
                                "bytes": lambda: b"\x00"}}
    assert answer(sandbox._call_sync("t", "echo", "[1, \"a\"]")) == {"ok": [1, "a"]}
    for op in ("opaque", "nan", "bytes"):
        assert "error" in answer(sandbox._call_sync("t", op, "[]")), op
    assert answer(sandbox._call_sync("t", "echo", {"not": "text"})) == {"error": "the host boundary takes text only", "type": "TypeError"}
    assert "JSON array" in answer(sandbox._call_sync("t", "echo", '"poison"'))["error"]
    assert "JSON array" in answer(sandbox._call_sync("t", "echo", '{"x": 1}'))["error"]
    assert answer(sandbox._call_sync("t", "missing", "[]")) == {"error": "no host operation t.missing", "code": "not_found", "status": 404}
    # A refusal crosses whole, as the REST envelope carries it; other exceptions name their type.
    from kernel.errors import Refused

    def refuse():
        raise Refused(409, "is taken", field="slug")

    def crash():
        raise KeyError("k")

    sandbox.operations["t"].update(refuse=refuse, crash=crash)
    assert answer(sandbox._call_sync("t", "refuse", "[]")) == {
        "error": "is taken", "code": "conflict", "status": 409, "fields": {"slug": "is taken"}}
    assert answer(sandbox._call_sync("t", "crash", "[]")) == {"error": "KeyError: 'k'"}
