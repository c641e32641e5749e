"""The JS side of a worker: one SpiderMonkey global, one narrow host-call boundary, the preludes.

What crosses between JS and Python is JSON text and nothing else: PythonMonkey hands any other
Python object to JS with its whole attribute graph (`__class__.__base__.__subclasses__()` leads
to `posix.system`), so no Python object ever reaches service code. The `$` objects are built in
JS preludes on top of `kernel.call` / `kernel.callAsync`; the globals that reach Python or the
network are deleted before the service's code runs.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Globals PythonMonkey adds that open Python, the debugger or the network.
ESCAPE_GLOBALS = (
    "python",
    "pmEval",
    "debuggerGlobal",
    "XMLHttpRequest",
    "XMLHttpRequestEventTarget",
    "XMLHttpRequestUpload",
    "ProgressEvent",
    "require",
    "exports",
    "module",
)


# debuggerGlobal itself is non-configurable (it cannot be deleted or overwritten); its Debugger,
# which reads any closure (the boundary functions included), can be.
REMOVE_ESCAPES_JS = """(names) => {
  for (const name of names) { delete globalThis[name]; }
  if (typeof debuggerGlobal === 'object') { delete debuggerGlobal.Debugger; Object.freeze(debuggerGlobal); }
}"""


@dataclass
class Binding:
    """What a plugin adds to the runtime: `$name` built by `prelude` (JS, run as the body of
    `function (kernel, data)`), on top of host `operations` (Python callables taking and
    returning JSON-able values; async ones become Promises), with `data` handed over at boot."""

    name: str
    prelude: str
    operations: dict[str, Callable[..., Any]] = field(default_factory=dict)
    data: Any = None


KERNEL_JS = r"""
(function (rawSync, rawAsync, rawLog) {
  const handlers = { boot: [], start: [], shutdown: [] };
  let dispatcher = null;
  const errorInfo = (e) => ({
    error: (e && e.message !== undefined) ? String(e.name || 'Error') + ': ' + String(e.message) : String(e),
    stack: (e && e.stack) ? String(e.stack) : '',
  });
  const unwrap = (text) => {
    const answer = JSON.parse(text);
    if ('error' in answer) { throw new Error(answer.error); }
    return answer.ok;
  };
  const makeKernel = (ns) => Object.freeze({
    call: (op, ...args) => unwrap(rawSync(ns, op, JSON.stringify(args))),
    callAsync: async (op, ...args) => unwrap(await rawAsync(ns, op, JSON.stringify(args))),
    log: (level, message) => { rawLog(String(level), String(message)); },
    onLifecycle: (phase, fn) => {
      if (!handlers[phase]) { throw new Error('unknown lifecycle phase ' + phase); }
      if (typeof fn !== 'function') { throw new TypeError('$service.' + phase + ' needs a function'); }
      handlers[phase].push(fn);
    },
    setDispatcher: (fn) => { dispatcher = fn; },
    errorInfo,
  });
  return {
    makeKernel,
    install: (source, kernel, dataJson) => { (0, eval)('(function (kernel, data) {' + source + '\n})')(kernel, JSON.parse(dataJson)); },
    lifecycle: async (phase) => {
      try {
        for (const fn of handlers[phase]) { await fn(); }
        return JSON.stringify({ ok: true });
      } catch (e) { return JSON.stringify(errorInfo(e)); }
    },
    dispatch: async (requestJson) => {
      try {
        if (!dispatcher) { return JSON.stringify({ ok: { status: 404, headers: {}, body: { error: 'no routes' }, encoding: 'json' } }); }
        return JSON.stringify({ ok: await dispatcher(JSON.parse(requestJson)) });
      } catch (e) { return JSON.stringify(errorInfo(e)); }
    },
  };
})
"""


class Sandbox:
    """The engine of one worker. `log(level, message)` receives what service code logs."""

    def __init__(self, bindings: list[Binding], log: Callable[[str, str], None]) -> None:
        import pythonmonkey as pm  # imported in the worker only (never fork after importing it)

        self.pm = pm
        self.log = log
        self.operations = {binding.name: binding.operations for binding in bindings}
        internals = pm.eval(KERNEL_JS)(self._call_sync, self._call_async, self._log)
        self._lifecycle = internals["lifecycle"]
        self._dispatch = internals["dispatch"]
        for binding in bindings:
            kernel = internals["makeKernel"](binding.name)
            internals["install"](binding.prelude, kernel, json.dumps(binding.data))
        pm.eval(REMOVE_ESCAPES_JS)(list(ESCAPE_GLOBALS))

    # -- the boundary: strings in, strings out ------------------------------------------------

    def _operation(self, namespace: str, op: str):
        operation = self.operations.get(namespace, {}).get(op)
        if operation is None:
            raise LookupError(f"no host operation {namespace}.{op}")
        return operation

    def _call_sync(self, namespace: str, op: str, args_json: str) -> str:
        try:
            result = self._operation(namespace, op)(*json.loads(args_json))
            if inspect.isawaitable(result):
                raise TypeError(f"{namespace}.{op} is asynchronous; use callAsync")
            return json.dumps({"ok": result})
        except Exception as exc:  # never raise into JS: only text crosses
            return json.dumps({"error": _message(exc)})

    async def _call_async(self, namespace: str, op: str, args_json: str) -> str:
        try:
            result = self._operation(namespace, op)(*json.loads(args_json))
            if inspect.isawaitable(result):
                result = await result
            return json.dumps({"ok": result})
        except Exception as exc:
            return json.dumps({"error": _message(exc)})

    def _log(self, level: str, message: str) -> None:
        self.log(level, message)

    # -- what the worker drives ---------------------------------------------------------------

    def run_script(self, code: str, filename: str = "service.js") -> None:
        """Evaluate the service's code (a script: its top level runs now)."""
        self.pm.eval(code, {"filename": filename})

    async def lifecycle(self, phase: str) -> dict:
        """Run the $service handlers of a phase in order: {"ok": True} or {"error", "stack"}."""
        return json.loads(await self._dispatch_promise(self._lifecycle(phase)))

    async def dispatch(self, request: dict) -> dict:
        """A route request into the service: {"ok": response} or {"error", "stack"}."""
        return json.loads(await self._dispatch_promise(self._dispatch(json.dumps(request))))

    async def _dispatch_promise(self, promise) -> str:
        return str(await promise)


def _message(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (ValueError, LookupError, PermissionError)) else f"{type(exc).__name__}: {text}"
