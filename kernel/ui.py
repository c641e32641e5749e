"""The built web UI (ui/dist) at /, with client-side routes falling back to index.html.

The fallback never answers under a path prefix that a plugin's routes own (`/api/`, and whatever
prefixes plugins mount): those keep their real 404s and 405s. The prefixes are read off the URL
map once every blueprint is mounted, so the kernel names none of them.

Every UI response carries the security headers below. Vite names what it builds under
`assets/` by content hash, so those files are cached for a year; everything else (index.html
first) is revalidated on every load, so a new build is picked up at once. The UI learns the
public address (`server.uri`) from `GET /api/ui/config`, not from an inline script: the CSP
allows scripts from this origin only.
"""

from __future__ import annotations

import re
from pathlib import Path

from quart import Quart, current_app, send_from_directory
from quart_schema import hide, tag
from werkzeug.routing import PathConverter

from .api import Answer, answers
from .plugins import own_version

UI_DIST = Path(__file__).resolve().parent.parent / "ui" / "dist"
ASSETS = "assets/"  # Vite's build.assetsDir: content-hashed names only
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# style-src allows inline styles: Radix positions popovers and sonner places toasts with style
# attributes. Scripts stay 'self' only. worker-src: the code editor's workers are files of this
# origin (built by Vite from monaco-editor), so no blob: or data: worker is allowed.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}

NOT_BUILT = (
    "<!doctype html><title>m3m</title><p>m3m is running. The web UI is not built;"
    " the REST API is at <a href=/api/docs>/api/docs</a>.</p>"
)


def owned_prefixes(app: Quart) -> list[str]:
    """The literal start of every mounted rule's first segment: "api/" for /api/health,
    "x-" for /x-<id>/<path>; a rule that starts with a variable owns nothing."""
    prefixes = set()
    for rule in app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)
        literal = first[0].split("<", 1)[0]
        if not literal:
            continue
        # A whole static segment ("api") is owned as a folder; a partial one ("x-") as a prefix.
        prefixes.add(literal + "/" if "<" not in first[0] else literal)
    prefixes.update(app.extensions.get("m3m.asgi_prefixes", ()))  # m3m_asgi_routes own theirs too
    return sorted(prefixes)


def with_ui_headers(response, cache_control: str):
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = cache_control
    response.headers.pop("Expires", None)  # send_from_directory's 12 h default contradicts no-cache
    return response


class UiConfig(Answer):
    uri: str
    contentUri: str  # where projects' pages and files are (server.content_uri; the same as uri by default)
    version: str


@answers(200, UiConfig)
async def ui_config():
    """What the web UI needs before sign-in: the public addresses links use, and the version."""
    server = current_app.m3m.settings.server
    return {"uri": server.uri, "contentUri": server.content_uri, "version": own_version()}


def serve_ui(app: Quart) -> None:
    """Mount the UI route; call it after every blueprint is registered."""
    prefixes = owned_prefixes(app)
    # A static first segment (api/...) also owns the bare word (/api); `x-` owns /x-anything.
    alternatives = [re.escape(p.rstrip("/")) + ("(?:/|$)" if p.endswith("/") else "") for p in prefixes]
    lookahead = f"(?!{'|'.join(alternatives)})" if alternatives else ""

    class UiPathConverter(PathConverter):
        regex = lookahead + r"[^/].*?"

    app.url_map.converters["ui_path"] = UiPathConverter
    app.add_url_rule("/api/ui/config", "ui_config", tag(["system"])(ui_config), methods=["GET"])

    @app.route("/", defaults={"path": ""})
    @hide
    @app.route("/<ui_path:path>")
    async def _ui(path: str):
        if not (UI_DIST / "index.html").is_file():
            response = await app.make_response((NOT_BUILT, 200, {"Content-Type": "text/html; charset=utf-8"}))
            return with_ui_headers(response, REVALIDATE)
        if path and (UI_DIST / path).is_file():
            response = await send_from_directory(UI_DIST, path)
            return with_ui_headers(response, IMMUTABLE if path.startswith(ASSETS) else REVALIDATE)
        if path.startswith(ASSETS):
            # A chunk of an older build: a 404, not index.html (a script that is HTML fails to parse).
            response = await app.make_response(("not found", 404, {"Content-Type": "text/plain"}))
            return with_ui_headers(response, REVALIDATE)
        response = await send_from_directory(UI_DIST, "index.html")
        return with_ui_headers(response, REVALIDATE)
