"""The JS side of a worker: one SpiderMonkey global, one narrow host-call boundary, the preludes.

What crosses between JS and Python is text and nothing else (JSON text, and a route's bodies as
plain strings beside it): PythonMonkey hands any other
Python object to JS with its whole attribute graph (`__class__.__base__.__subclasses__()` leads
to `posix.system`), so no Python object ever reaches service code. The `$` objects are built in
JS preludes on top of `kernel.call` / `kernel.callAsync`; the globals that reach Python or the
network are deleted before the service's code runs.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from kernel.errors import Refused

from ..sdk import Binding, JsError
from .ipc import from_json, to_json
from .writes import WriteGate

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
    # PythonMonkey's native iterator class for Python lists: `new ListIterator().next()` from
    # service code follows a null pointer and kills the process (SIGSEGV). We never hand a Python
    # list to JS, so nothing needs it after set-up.
    "ListIterator",
)


# debuggerGlobal itself is non-configurable (it cannot be deleted or overwritten); its Debugger,
# which reads any closure (the boundary functions included), can be.
# Function.prototype.caller/arguments: SpiderMonkey still answers them for sloppy functions, so a
# service's toJSON or toString called from a sloppy prelude function could reach that function
# (`f.caller`) and its arguments (`f.caller.arguments`), past the prelude's own checks. Deleted,
# every function's `.caller` and `.arguments` are undefined (arguments.callee still works).
REMOVE_ESCAPES_JS = """(names) => {
  for (const name of names) { delete globalThis[name]; }
  if (typeof debuggerGlobal === 'object') { delete debuggerGlobal.Debugger; Object.freeze(debuggerGlobal); }
  delete Function.prototype.caller;
  delete Function.prototype.arguments;
}"""

# PythonMonkey's atob/btoa are Python functions (builtin_modules/base64.py): service code could
# hand any JS value straight to Python (`atob({})` reaches CPython with a JS proxy, and answers
# with a Python traceback naming files). Replaced by JS before any prelude runs, so the boundary
# stays the only way into Python. Forgiving-base64 as in the HTML standard.
HOST_GLOBALS_JS = r"""(function () {
  'use strict';
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const toText = String;
  const fromCode = String.fromCharCode;
  const Invalid = DOMException;
  const invalid = (message) => new Invalid(message, 'InvalidCharacterError');
  const btoa = function btoa(data) {
    const text = toText(data);
    let out = '';
    for (let i = 0; i < text.length; i += 3) {
      const a = text.charCodeAt(i), b = text.charCodeAt(i + 1), c = text.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) { throw invalid('btoa: the string contains characters outside of Latin1'); }
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63]
        + (i + 1 < text.length ? ALPHABET[(n >> 6) & 63] : '=') + (i + 2 < text.length ? ALPHABET[n & 63] : '=');
    }
    return out;
  };
  const atob = function atob(data) {
    let text = toText(data).replace(/[\t\n\f\r ]/g, '');
    if (text.length % 4 === 0) { text = text.replace(/==?$/, ''); }
    if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) { throw invalid('atob: the string is not correctly encoded'); }
    let out = '', bits = 0, count = 0;
    for (let i = 0; i < text.length; i++) {
      bits = (bits << 6) | ALPHABET.indexOf(text[i]);
      count += 6;
      if (count >= 8) { count -= 8; out += fromCode((bits >> count) & 255); }
    }
    return out;
  };
  globalThis.atob = atob;
  globalThis.btoa = btoa;
})"""


# Every string the host hands to JS at run time ends with this one supplementary-plane character.
# Why: PythonMonkey 1.4.1 turns a Python str of 1- or 2-byte kind into a JS external string and
# records it in a global map, and finalizing each such string scans that whole map. Strings held
# by leaked promise jobs never leave the map, so after some 10^4 requests each GC spent seconds
# there and the worker froze (measured: a route past 2 s, the worker killed as frozen). A str
# with a 4-byte character is copied instead and never enters the map; the kernel JS drops the
# two UTF-16 code units of the marker (`narrow`) before reading the text.
WIDE = "\U000F0000"


def wide(text: str) -> str:
    return text + WIDE


KERNEL_JS = r"""
(function (rawSync, rawAsync, rawLog) {
  'use strict';  // no sloppy frame of the kernel can be reached through a callee's .caller
  // The builtins the boundary uses, taken before any prelude or service code runs: a service
  // that replaces JSON.stringify, String or Object.hasOwn, or adds Object.prototype.toJSON or
  // an `error` getter, changes its own data at most, never the envelopes the host reads.
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const toText = String;
  const hasOwn = Object.hasOwn;
  const freeze = Object.freeze;
  const create = Object.create;
  const dict = () => create(null);
  const apply = Reflect.apply;
  const ErrorClass = Error;
  const TypeErrorClass = TypeError;
  const indirectEval = eval;
  const narrow = (text) => text.slice(0, -2);  // the host's WIDE marker (sandbox.py)

  // Bytes for the preludes, which hand binary data to the host as base64 text: one copy of
  // these conversions, taken from builtins before service code could replace them.
  const Bytes = Uint8Array;
  const fromCode = String.fromCharCode;
  const toB64 = btoa, fromB64 = atob;
  const enc = encodeURIComponent, dec = decodeURIComponent, esc = escape, unesc = unescape;
  const binaryOf = (bytes, start, end) => {
    let out = '';
    for (let i = start; i < end; i += 8192) { out += apply(fromCode, null, bytes.subarray(i, i + 8192 < end ? i + 8192 : end)); }
    return out;
  };
  const bytesOf = (binary) => {
    const out = new Bytes(binary.length);
    for (let i = 0; i < binary.length; i++) { out[i] = binary.charCodeAt(i); }
    return out;
  };
  const bytes = freeze({
    // base64 of bytes[start, end) (all of them by default)
    toBase64: (data, start = 0, end = data.length) => toB64(binaryOf(data, start, end)),
    fromBase64: (text) => bytesOf(fromB64(text)),
    // UTF-8; a lone surrogate (encode) or bytes that are not UTF-8 (decode) throw a TypeError
    encodeUtf8: (text) => {
      try { return bytesOf(unesc(enc(text))); } catch (e) { throw new TypeErrorClass('the text is not valid Unicode (a lone surrogate?)'); }
    },
    decodeUtf8: (data) => {
      try { return dec(esc(binaryOf(data, 0, data.length))); } catch (e) { throw new TypeErrorClass('the data is not UTF-8 text'); }
    },
    binaryOf,
    bytesOf,
  });

  const handlers = { boot: [], start: [], shutdown: [] };
  const callables = dict();  // namespace -> name -> the JS function the host may call
  let dispatcher = null;

  // JSON text of one value; what JSON has no text for (undefined, a function) is null.
  const json = (value) => {
    const text = stringify(value);
    return typeof text === 'string' ? text : 'null';
  };
  // The envelopes are assembled here as text, never by stringify on an object of ours, so an
  // inherited toJSON cannot reshape them; the host checks their shape again anyway.
  const argsText = (args) => {
    let text = '[';
    for (let i = 0; i < args.length; i++) { text += (i ? ',' : '') + json(args[i]); }
    return text + ']';
  };
  const okText = (value) => '{"ok":' + json(value) + '}';
  // A route's answer: its head as JSON (status, headers, encoding, route), a newline (JSON text has
  // none of its own), then the body as text, serialized here and only here: JSON for 'json',
  // as it is for 'text', one character per byte for 'binary' (the host encodes the text as
  // UTF-8, or Latin-1 for 'binary', and the bytes go to the client as they are).
  const responseText = (response) => {
    const encoding = response.encoding, body = response.body;
    let text = '';
    if (encoding === 'json') { text = json(body); }
    else if (encoding === 'text') { text = typeof body === 'string' ? body : ''; }
    else if (encoding === 'binary') { text = binaryOf(body, 0, body.length); }
    const route = typeof response.route === 'string' ? response.route : null;  // the route that answered, for the log
    return '{"status":' + json(response.status) + ',"headers":' + json(response.headers) + ',"encoding":' + json(encoding) + ',"route":' + json(route) + '}\n' + text;
  };
  const errorInfo = (e) => {
    try {
      const named = e !== null && (typeof e === 'object' || typeof e === 'function') && e.message !== undefined;
      return {
        error: named ? toText(e.name || 'Error') + ': ' + toText(e.message) : toText(e),
        stack: named && e.stack ? toText(e.stack) : '',
      };
    } catch (_) {  // a thrown Proxy, a toString that throws...
      return { error: 'a thrown value that cannot be shown as text', stack: '' };
    }
  };
  const errorText = (e) => {
    const info = errorInfo(e);
    return '{"error":' + stringify(info.error) + ',"stack":' + stringify(info.stack) + '}';
  };
  // A host refusal becomes an Error carrying the refusal's code, status and fields as they are.
  const unwrap = (text) => {
    const answer = parse(narrow(text));
    if (!hasOwn(answer, 'error')) { return answer.ok; }
    const error = answer.type === 'TypeError' ? new TypeErrorClass(answer.error) : new ErrorClass(answer.error);
    if (hasOwn(answer, 'code')) { error.code = answer.code; }
    if (hasOwn(answer, 'status')) { error.status = answer.status; }
    if (hasOwn(answer, 'fields')) { error.fields = answer.fields; }
    throw error;
  };

  // Large binary data in chunks, for a binding whose operations are blobNew(), blobWrite(id,
  // base64), blobRead(id) -> base64 | null (the end) and blobDrop(id): sdk.md, "Bytes in chunks".
  const blobsOf = (call) => freeze({
    // bytes to the host: the blob's id; the blob is dropped if anything fails on the way
    send: (data, chunk) => {
      const blob = call('blobNew');
      let sent = false;
      try {
        for (let at = 0; at < data.length; at += chunk) {
          call('blobWrite', blob, bytes.toBase64(data, at, at + chunk < data.length ? at + chunk : data.length));
        }
        sent = true;
        return blob;
      } finally { if (!sent) { call('blobDrop', blob); } }
    },
    // an encoded result {blob, size} back from the host: its bytes (the blob is dropped)
    receive: (encoded) => {
      const out = new Bytes(encoded.size);
      let at = 0;
      try {
        for (;;) {
          const part = call('blobRead', encoded.blob);
          if (part === null) { break; }
          const piece = bytes.fromBase64(part);
          out.set(piece, at);
          at += piece.length;
        }
      } finally { call('blobDrop', encoded.blob); }
      return out;
    },
  });

  const makeKernel = (ns) => {
    const call = (op, ...args) => unwrap(rawSync(ns, toText(op), argsText(args)));
    return freeze({
      call,
      callAsync: async (op, ...args) => unwrap(await rawAsync(ns, toText(op), argsText(args))),
      log: (level, message) => { rawLog(toText(level), toText(message)); },
      onLifecycle: (phase, fn) => {
        if (!hasOwn(handlers, phase)) { throw new ErrorClass('unknown lifecycle phase ' + toText(phase)); }
        if (typeof fn !== 'function') { throw new TypeErrorClass('$service.' + phase + ' needs a function'); }
        const list = handlers[phase];
        list[list.length] = fn;
      },
      setDispatcher: (fn) => { dispatcher = fn; },
      onCall: (name, fn) => {
        if (typeof fn !== 'function') { throw new TypeErrorClass('kernel.onCall needs a function'); }
        if (!hasOwn(callables, ns)) { callables[ns] = dict(); }
        callables[ns][toText(name)] = fn;
      },
      errorInfo,
      bytes,
      blobs: blobsOf(call),
    });
  };
  return {
    makeKernel,
    install: (source, kernel, dataJson) => { indirectEval('(function (kernel, data) {' + source + '\n})')(kernel, parse(dataJson)); },
    lifecycle: async (phase) => {
      try {
        const list = handlers[narrow(phase)];
        for (let i = 0; i < list.length; i++) { await list[i](); }
        return '{"ok":true}';
      } catch (e) { return errorText(e); }
    },
    invoke: async (wideNs, wideName, argsJson) => {
      try {
        const ns = narrow(wideNs), name = narrow(wideName);
        const table = hasOwn(callables, ns) ? callables[ns] : dict();
        const fn = table[name];
        if (typeof fn !== 'function') { throw new ErrorClass('no JS function ' + ns + '.' + name + ' (kernel.onCall)'); }
        return okText(await apply(fn, undefined, parse(narrow(argsJson))));
      } catch (e) { return errorText(e); }
    },
    // The request's head as JSON text and its body as text, apart: the body is never JSON-encoded.
    dispatch: async (requestJson, bodyText) => {
      try {
        if (!dispatcher) { return '{"status":404,"headers":{},"encoding":"json"}\n{"error":"no routes"}'; }
        return responseText(await dispatcher(parse(narrow(requestJson)), narrow(bodyText)));
      } catch (e) { return errorText(e); }
    },
  };
})
"""


class Sandbox:
    """The engine of one worker. `log(level, message)` receives what service code logs."""

    def __init__(self, bindings: list[Binding], log: Callable[[str, str], None], gate: WriteGate | None = None) -> None:
        from . import monkey  # imported in the worker only (never fork after importing it)

        pm = monkey.load()

        self.pm = pm
        self.log = log
        self.operations = {binding.name: binding.operations for binding in bindings}
        self.writes = {binding.name: binding.writes for binding in bindings}
        self.gate = gate or WriteGate()
        pm.eval(HOST_GLOBALS_JS)()
        internals = pm.eval(KERNEL_JS)(self._call_sync, self._call_async, self._log)
        self._lifecycle = internals["lifecycle"]
        self._dispatch = internals["dispatch"]
        self._invoke = internals["invoke"]
        for binding in bindings:
            binding._invoke = self.invoke
            kernel = internals["makeKernel"](binding.name)
            internals["install"](binding.prelude, kernel, json.dumps(binding.data))
        pm.eval(REMOVE_ESCAPES_JS)(list(ESCAPE_GLOBALS))

    # -- the boundary: strings in, strings out ------------------------------------------------
    # Nothing from JS is trusted: the kernel JS always sends text, but the checks below hold
    # even if service code found a way to call these with anything else.

    def _operation(self, namespace, op, args_json):
        """The host operation and its arguments, from three strings (else TypeError/Refused)."""
        if not (isinstance(namespace, str) and isinstance(op, str) and isinstance(args_json, str)):
            raise TypeError("the host boundary takes text only")
        operation = self.operations.get(namespace, {}).get(op)
        if operation is None:
            raise Refused(404, f"no host operation {namespace}.{op}")
        args = json.loads(args_json)
        if not isinstance(args, list):
            raise TypeError("the arguments of a host operation are a JSON array")
        return operation, args

    def _call_sync(self, namespace: str, op: str, args_json: str) -> str:
        try:
            operation, args = self._operation(namespace, op, args_json)
            result = operation(*args)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: no "coroutine was never awaited" warning
                raise TypeError(f"{namespace}.{op} is asynchronous; use callAsync")
            return wide(_ok(result))
        except Exception as exc:  # never raise into JS: only text crosses
            return wide(_error(exc))

    async def _call_async(self, namespace: str, op: str, args_json: str) -> str:
        try:
            operation, args = self._operation(namespace, op, args_json)
            async with self.gate.write() if op in self.writes.get(namespace, ()) else nullcontext():
                result = operation(*args)
                if inspect.isawaitable(result):
                    result = await result
            return wide(_ok(result))
        except Exception as exc:
            return wide(_error(exc))

    def _log(self, level: str, message: str) -> None:
        if not (isinstance(level, str) and isinstance(message, str)):  # see the boundary above
            level, message = "ERROR", "(a log call that did not give text was dropped)"
        self.log(level, message)

    # -- what the worker drives ---------------------------------------------------------------

    def run_script(self, code: str, filename: str = "service.js") -> None:
        """Evaluate the service's code (a script: its top level runs now)."""
        self.pm.eval(code, {"filename": filename})

    async def lifecycle(self, phase: str) -> dict:
        """Run the $service handlers of a phase in order: {"ok": True} or {"error", "stack"}."""
        return await self._answer(self._lifecycle(wide(phase)))

    async def dispatch(self, request: dict, body: bytes) -> tuple[dict, bytes]:
        """A route call into the service: the request's head and body in; the response's head
        {status, headers, encoding, route} (checked again by the server) and body bytes out, or
        ({"error", "stack"}, b"")."""
        try:
            text = body.decode()
        except UnicodeDecodeError:
            text = body.decode("latin-1")
        try:
            answer = await self._dispatch(wide(to_json(request).decode()), wide(text))
        except Exception as exc:  # the kernel's async functions never reject; if one did
            return {"error": f"the service's engine failed: {exc}", "stack": ""}, b""
        if not isinstance(answer, str):
            return {"error": NOT_TEXT, "stack": ""}, b""
        head_text, _, body_text = answer.partition("\n")
        try:
            head = from_json(str(head_text))  # str(): orjson takes no str subclass (a JS string)
        except ValueError:
            head = None
        if not isinstance(head, dict):
            return {"error": NOT_TEXT, "stack": ""}, b""
        if "error" in head:
            return head, b""
        try:
            return head, body_text.encode("latin-1" if head.get("encoding") == "binary" else "utf-8")
        except UnicodeEncodeError:  # a lone surrogate in the text (JSON text never has one)
            return {"error": "the service answered no valid response: its text is not valid Unicode (a lone surrogate?)", "stack": ""}, b""

    async def invoke(self, namespace: str, name: str, *args: Any) -> Any:
        """Call a JS function a prelude registered with kernel.onCall (see Binding.call_js)."""
        answer = await self._answer(self._invoke(wide(namespace), wide(name), wide(json.dumps(args))))
        if "error" in answer:
            raise JsError(answer["error"], answer.get("stack", ""))
        return answer.get("ok")

    async def _answer(self, promise) -> dict:
        """The kernel JS's answer: {"ok": value} or {"error", "stack"}, whatever JS did."""
        try:
            text = await promise
        except Exception as exc:  # the kernel's async functions never reject; if one did
            return {"error": f"the service's engine failed: {exc}", "stack": ""}
        try:
            answer = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            answer = None
        if isinstance(answer, dict) and ("ok" in answer or isinstance(answer.get("error"), str)):
            return answer
        return {"error": NOT_TEXT, "stack": ""}


NOT_TEXT = "the service's answer did not cross the boundary as JSON text"


def _ok(result: Any) -> str:
    """JSON text only: a value JSON cannot carry (a Python object, NaN) is an error, not a proxy."""
    return json.dumps({"ok": result}, allow_nan=False)


def _error(exc: Exception) -> str:
    """The error envelope JS turns into a thrown Error. A Refused crosses whole (message, code,
    status, fields); a TypeError (wrong arguments) stays a TypeError; anything else is named by
    its type, for it is a bug of the operation rather than a refusal."""
    if isinstance(exc, Refused):
        envelope = {"error": exc.message, "code": exc.code, "status": exc.status}
        if exc.fields:
            envelope["fields"] = exc.fields
        return json.dumps(envelope)
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TypeError):
        return json.dumps({"error": text, "type": "TypeError"})
    if isinstance(exc, ValueError):  # e.g. the arguments are not JSON
        return json.dumps({"error": text})
    return json.dumps({"error": f"{type(exc).__name__}: {text}"})
