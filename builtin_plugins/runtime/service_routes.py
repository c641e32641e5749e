"""The services' own routes, `ANY {server.uri}/bot-{project id or slug}/{path}`, at the ASGI level.

The hot path of m3m: a request to a running service goes from the HTTP server straight here (the
kernel's m3m_asgi_routes), skipping Quart's request context, routing and response processing,
and the answer goes back as two ASGI events. A project whose service is not here (stopped, never
started, renamed while running) is left to the Quart route in routes.py, which looks it up and
answers through the same `answer()`.

A service's answer is content m3m did not write, served next to the UI (docs/runtime/README.md
"What the router sends"): every answer here, the platform's own envelopes too, carries the
kernel's sandboxing page policy (an opaque origin: no session, cookie or service worker of the
UI's), and the headers a service may not send are dropped: those that frame the answer or
manage the connection (the server alone does), and those that act on the whole origin.
"""

from __future__ import annotations

import json
import logging
import re
from time import perf_counter
from urllib.parse import parse_qsl

from kernel.content import PAGE_HEADERS

from .engine.ipc import RemoteError
from .engine.supervisor import RouteTimeout, ServiceUnavailable

log = logging.getLogger("m3m.runtime")

PREFIX = "/bot-"
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
# The Content-Type of a response that names none, by the encoding of its body (prelude.js).
CONTENT_TYPES = {"json": "application/json", "text": "text/plain; charset=utf-8", "binary": "application/octet-stream"}
# Sent with every answer under /bot-, as precomputed bytes (the sandbox never has allow-same-origin;
# a service's own Content-Security-Policy is sent too, as a second policy: browsers enforce both).
SECURITY_HEADERS = [(name.lower().encode(), value.encode()) for name, value in PAGE_HEADERS.items()]
# The server's own: a service's value is replaced without a word (it often copies a $http answer's).
REPLACED = frozenset({"content-length", "date", "x-content-type-options"})
# Dropped, and said once per route in the service's log. Framing and hop-by-hop (RFC 9110 7.6.1):
# the server frames the answer and manages the connection. Origin-wide: they would act on every
# page of the origin, the UI's included (a worker's scope, wiping its storage, HSTS for the host,
# another server for the origin, a network error log of every request).
DROPPED = frozenset({
    "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
    "service-worker-allowed", "clear-site-data", "strict-transport-security", "alt-svc", "nel",
})
NO_BODY = (204, 304)  # statuses whose answer has no body: anything after their head would be the next answer
MAX_NOTED_ROUTES = 1000  # routes per run whose dropped headers were told (the route name is the service's)


def split(path: str) -> tuple[str, str]:
    """/bot-{ref}/{rest} -> (ref, "/" + rest)."""
    ref, _, rest = path[len(PREFIX):].partition("/")
    return ref, "/" + rest


def envelope(status: int, message: str, code: str) -> Answer:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, [(b"content-type", b"application/json")], body


def refused_worker() -> Answer:
    """A service worker's script fetch (browsers send `Service-Worker: script`): nothing under
    /bot- becomes a service worker, even of its own path."""
    return envelope(403, "a project's address cannot serve a service worker", "forbidden")


async def answer(runtime, project_id: str, method: str, path: str, query: dict, headers: dict, body: bytes, ip: str, base: str) -> Answer:
    """The service's answer to one request, or the error envelope of why there is none. The body
    goes to the worker and back as bytes, next to the request's and the response's heads; `base`
    is the /bot-{ref} the request came to (a service's cookies are kept under it)."""
    call = {"method": method, "path": path, "query": query, "headers": headers, "ip": ip}
    try:
        response, response_body = await runtime.supervisor.request(project_id, call, body)
    except ServiceUnavailable as exc:
        return envelope(503, str(exc), "service_unavailable")
    except RouteTimeout as exc:
        return envelope(504, str(exc), "timeout")
    except RemoteError as exc:  # the route threw: the stack goes to the service's log
        runtime.logs.write(project_id, "ERROR", f"{method} {path} failed: {exc}\n{exc.stack or ''}".rstrip())
        return envelope(500, f"the service's route failed: {exc}", "service_error")
    try:
        status, headers, response_body, dropped = response_parts(response, response_body, base)
    except ValueError as exc:
        runtime.logs.write(project_id, "ERROR", f"{method} {path}: the service answered no valid response: {exc}")
        return envelope(500, f"the service answered no valid response: {exc}", "service_error")
    if dropped:
        _note_dropped(runtime, project_id, response.get("route") or f"{method} {path}", dropped)
    return status, headers, response_body


def _note_dropped(runtime, project_id: str, route, dropped: list[str]) -> None:
    """The service's log says once per route and run which headers were dropped, not per request."""
    service = runtime.supervisor.find(project_id)
    route = str(route)
    if service is None or route in service.noted_routes or len(service.noted_routes) >= MAX_NOTED_ROUTES:
        return
    service.noted_routes.add(route)
    runtime.logs.write(project_id, "WARN", (
        f"{route}: headers dropped from its answers: {', '.join(sorted(dropped))} (the server frames answers "
        "and manages connections; a project's answer never acts on the whole origin). Said once per route."))


def response_parts(response, body: bytes, base: str) -> tuple[int, list[tuple[bytes, bytes]], bytes, list[str]]:
    """The worker's answer (the response's head, its body's bytes) as (status, headers, body,
    the names of the headers dropped); ValueError if the head is not a response (a service can
    poison its own JSON, e.g. with Object.prototype.toJSON, but not the server). The body is sent
    as it came."""
    if not isinstance(response, dict):
        raise ValueError("the answer is not an object")
    status = response.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise ValueError(f"status {status!r} is not the HTTP status of an answer (200 to 599)")
    raw_headers = response.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise ValueError("headers are not an object")
    headers, dropped, nominated = {}, [], ""
    for name, value in raw_headers.items():
        value = str(value)
        if not HEADER_NAME.match(str(name)) or "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} is not a valid header")
        name = str(name).lower()
        if name in DROPPED or name.startswith("proxy-"):
            dropped.append(name)
            if name == "connection":
                nominated = value
        elif name not in REPLACED:
            headers[name] = value
    for token in nominated.split(",") if nominated else ():  # the headers Connection names were for this hop only, too
        if headers.pop(token.strip().lower(), None) is not None:
            dropped.append(token.strip().lower())
    if "set-cookie" in headers:
        headers["set-cookie"] = scoped_cookie(headers["set-cookie"], base)
    if "content-security-policy" in headers:
        headers["content-security-policy"] = without_same_origin(headers["content-security-policy"])
    content_type = CONTENT_TYPES.get(response.get("encoding"))
    if content_type is None or status in NO_BODY:
        body = b""  # "none", what is no encoding, or a status that has no body
    else:
        headers.setdefault("content-type", content_type)
    return status, [(name.encode("latin-1"), value.encode("latin-1", "replace")) for name, value in headers.items()], body, dropped


def without_same_origin(policy: str) -> str:
    """A service's own Content-Security-Policy, kept, but its sandbox directives never with
    allow-same-origin (the platform's sandbox is sent beside it anyway, and browsers enforce every
    policy they get: the stricter sandbox wins)."""
    policies = []
    for one in policy.split(","):
        directives = []
        for directive in one.split(";"):
            tokens = directive.split()
            if tokens and tokens[0].lower() == "sandbox":
                directive = " " + " ".join(token for token in tokens if token.lower() != "allow-same-origin")
            directives.append(directive)
        policies.append(";".join(directives))
    return ",".join(policies).strip()


def scoped_cookie(value: str, base: str) -> str:
    """A service's Set-Cookie kept to the service's own address: no Domain attribute (never the
    parent domain the UI's host shares), and a Path under `base` (/bot-{ref}), else `base`
    itself: it is never sent to the UI or /api and cannot shadow a cookie of theirs."""
    first, *attributes = value.split(";")
    kept, path = [first.strip()], None
    for attribute in attributes:
        key, _, rest = attribute.strip().partition("=")
        key = key.strip().lower()
        if key == "path":
            path = rest.strip()  # the last Path counts (RFC 6265 5.3)
        elif key != "domain" and attribute.strip():
            kept.append(attribute.strip())
    if path is None or not (path == base or path.startswith(base + "/")):
        path = base
    return "; ".join([*kept, f"Path={path}"])


def asgi_handler(runtime_of, app):
    """The m3m_asgi_routes handler for /bot-: answers requests to the services running here."""

    async def handle(scope, receive, send) -> bool:
        runtime = runtime_of(app)
        ref, path = split(scope["path"])
        service = runtime.supervisor.find(ref)
        if service is None:
            return False  # not here: the Quart route finds the project (or says it does not exist)
        limit = app.m3m.settings.runtime.max_request_body
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        if "service-worker" in headers:
            await _send(send, scope, *refused_worker(), close=True)
            return True
        try:
            if int(headers.get("content-length") or 0) > limit:
                await _send(send, scope, *envelope(413, f"the request body is larger than {limit} bytes", "payload_too_large"), close=True)
                return True
        except ValueError:
            await _send(send, scope, *envelope(400, "the Content-Length is not a number", "bad_request"), close=True)
            return True
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return True
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                await _send(send, scope, *envelope(413, f"the request body is larger than {limit} bytes", "payload_too_large"), close=True)
                return True
            if not message.get("more_body", False):
                break
        # A body in one piece (the usual case) goes on as it came, uncopied.
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        query = {}
        for key, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
            query.setdefault(key, value)  # the first value of a repeated key, as the Quart route did
        client = scope.get("client") or ("",)
        began = perf_counter()
        try:
            result = await answer(runtime, service.id, scope["method"], path, query, headers, body, client[0] or "", PREFIX + ref)
        except Exception:  # a bug here must cost one request, never leak a trace
            log.exception("runtime: the service route failed")
            result = envelope(500, "internal error; the server log has the details", "internal_error")
        runtime.metrics.observe(service.id, result[0], perf_counter() - began)
        await _send(send, scope, *result)
        return True

    return handle


async def _send(send, scope, status: int, headers: list, body: bytes, close: bool = False) -> None:
    if status in NO_BODY:  # no body, and no length of one
        headers, body = [*headers, *SECURITY_HEADERS], b""
    else:
        headers = [*headers, *SECURITY_HEADERS, (b"content-length", str(len(body)).encode())]
    if close:  # the rest of an unread body is not worth reading: end the connection
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
