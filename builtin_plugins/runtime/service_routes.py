"""The services' own routes, `ANY {server.uri}/bot-{project id or slug}/{path}`, at the ASGI level.

The hot path of m3m: a request to a running service goes from the HTTP server straight here (the
kernel's m3m_asgi_routes), skipping Quart's request context, routing and response processing,
and the answer goes back as two ASGI events. A project whose service is not here (stopped, never
started, renamed while running) is left to the Quart route in routes.py, which looks it up and
answers through the same `answer()`.
"""

from __future__ import annotations

import json
import logging
import re
from time import perf_counter
from urllib.parse import parse_qsl

from .engine.ipc import RemoteError
from .engine.supervisor import RouteTimeout, ServiceUnavailable

log = logging.getLogger("m3m.runtime")

PREFIX = "/bot-"
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
# The Content-Type of a response that names none, by the encoding of its body (prelude.js).
CONTENT_TYPES = {"json": "application/json", "text": "text/plain; charset=utf-8", "binary": "application/octet-stream"}


def split(path: str) -> tuple[str, str]:
    """/bot-{ref}/{rest} -> (ref, "/" + rest)."""
    ref, _, rest = path[len(PREFIX):].partition("/")
    return ref, "/" + rest


def envelope(status: int, message: str, code: str) -> Answer:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, [(b"content-type", b"application/json")], body


async def answer(runtime, project_id: str, method: str, path: str, query: dict, headers: dict, body: bytes, ip: str) -> Answer:
    """The service's answer to one request, or the error envelope of why there is none. The body
    goes to the worker and back as bytes, next to the request's and the response's heads."""
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
        return response_parts(response, response_body)
    except ValueError as exc:
        runtime.logs.write(project_id, "ERROR", f"{method} {path}: the service answered no valid response: {exc}")
        return envelope(500, f"the service answered no valid response: {exc}", "service_error")


def response_parts(response, body: bytes) -> Answer:
    """The worker's answer (the response's head, its body's bytes) as (status, headers, body);
    ValueError if the head is not a response (a service can poison its own JSON, e.g. with
    Object.prototype.toJSON, but not the server). The body is sent as it came."""
    if not isinstance(response, dict):
        raise ValueError("the answer is not an object")
    status = response.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"status {status!r} is not an HTTP status")
    raw_headers = response.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise ValueError("headers are not an object")
    headers = {}
    for name, value in raw_headers.items():
        value = str(value)
        if not HEADER_NAME.match(str(name)) or "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} is not a valid header")
        headers[str(name).lower()] = value
    content_type = CONTENT_TYPES.get(response.get("encoding"))
    if content_type is None:
        body = b""  # "none", or what is no encoding
    else:
        headers.setdefault("content-type", content_type)
    headers.pop("content-length", None)  # the server says how long the body is
    return status, [(name.encode("latin-1"), value.encode("latin-1", "replace")) for name, value in headers.items()], body


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
            result = await answer(runtime, service.id, scope["method"], path, query, headers, body, client[0] or "")
        except Exception:  # a bug here must cost one request, never leak a trace
            log.exception("runtime: the service route failed")
            result = envelope(500, "internal error; the server log has the details", "internal_error")
        runtime.metrics.observe(service.id, result[0], perf_counter() - began)
        await _send(send, scope, *result)
        return True

    return handle


async def _send(send, scope, status: int, headers: list, body: bytes, close: bool = False) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    if close:  # the rest of an unread body is not worth reading: end the connection
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
