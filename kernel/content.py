"""What m3m serves but did not write: the pages that projects' code answers and the files users
uploaded. None of it may ever act in the UI's origin (read its session, call the API as the
person who opened it, register a worker over its pages): every such answer carries a sandboxing
policy, and `server.content_uri` can move all of it to an origin of its own.

The policies are here, once, for every plugin that serves such content (docs/security.md):

- `PAGE_HEADERS`: pages that may run their own scripts, forms and popups, but in an opaque
  origin (`sandbox` without `allow-same-origin`): no cookies, no localStorage, no service
  worker, and every request they make is cross-origin to m3m.
- `FILE_HEADERS`: uploaded files shown inline: no scripts at all, only images, media and styles.

With `server.content_uri` set, `ContentOrigin` answers the prefixes plugins name
(m3m_content_prefixes) only on that origin (a 308 to it from any other) and nothing else there
(a 404): the UI and /api are never served next to what users wrote.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# What a page needs (its scripts, forms, popups that open normal pages, downloads, alert and
# confirm), never `allow-same-origin`: the page runs as an opaque origin.
PAGE_SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads allow-modals"
PAGE_HEADERS = {"Content-Security-Policy": PAGE_SANDBOX, **NOSNIFF}
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'",
    **NOSNIFF,
}


def origin_parts(uri: str, path: bool = False) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URI that is an origin and nothing more (or, with
    `path`, that may go on with a path); ValueError if not."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address")
    if (parts.path not in ("", "/") and not path) or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be an origin only (scheme, host and port; no path)")
    host = parts.hostname.lower()
    if not host.isascii():  # an international name, as a Host header carries it
        host = host.encode("idna").decode("ascii")
    return parts.scheme, host, parts.port or (443 if parts.scheme == "https" else 80)


def host_values(uri: str) -> frozenset[bytes]:
    """The Host header values that name this origin: host:port, and the bare host for the
    scheme's default port (a proxy that terminates TLS passes `Host: name`)."""
    scheme, host, port = origin_parts(uri)
    name = f"[{host}]" if ":" in host else host
    values = {f"{name}:{port}"}
    if port == (443 if scheme == "https" else 80):
        values.add(name)
    return frozenset(value.encode("ascii") for value in values)


def _start(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[dict, dict]:
    headers = [*headers, (b"x-content-type-options", b"nosniff"), (b"content-length", str(len(body)).encode())]
    return {"type": "http.response.start", "status": status, "headers": headers}, {"type": "http.response.body", "body": body}


class ContentOrigin:
    """Content prefixes only on the content origin; everything else only off it."""

    def __init__(self, app, content_uri: str, ui_uri: str, prefixes: list[str]) -> None:
        self.app = app
        self.content_uri = content_uri.rstrip("/").encode()
        self.hosts = host_values(content_uri)
        self.prefixes = tuple(prefixes)
        message = f"this address serves only projects' pages and files; m3m itself is at {ui_uri}"
        self.elsewhere = json.dumps({"error": {"code": "not_found", "message": message}}).encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.lower()
                break
        on_content_origin = host in self.hosts
        if scope["path"].startswith(self.prefixes) == on_content_origin:
            return await self.app(scope, receive, send)
        if on_content_origin:  # the UI or the API asked for on the content origin
            start, body = _start(404, [(b"content-type", b"application/json")], self.elsewhere)
        else:  # content asked for on m3m's own origin: the same path on the content origin
            target = self.content_uri + (scope.get("raw_path") or scope["path"].encode())
            if scope["query_string"]:
                target += b"?" + scope["query_string"]
            start, body = _start(308, [(b"location", target)], b"")
        await send(start)
        await send(body)
