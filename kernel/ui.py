"""The built web UI (ui/dist) at /, with client-side routes falling back to index.html.

The fallback never answers under a path prefix that a plugin's routes own (`/api/`, and whatever
prefixes plugins mount): those keep their real 404s and 405s. The prefixes are read off the URL
map once every blueprint is mounted, so the kernel names none of them.
"""

from __future__ import annotations

import re
from pathlib import Path

from quart import Quart, send_from_directory
from quart_schema import hide
from werkzeug.routing import PathConverter

UI_DIST = Path(__file__).resolve().parent.parent / "ui" / "dist"


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


def serve_ui(app: Quart) -> None:
    """Mount the UI route; call it after every blueprint is registered."""
    prefixes = owned_prefixes(app)
    # A static first segment (api/...) also owns the bare word (/api); `x-` owns /x-anything.
    alternatives = [re.escape(p.rstrip("/")) + ("(?:/|$)" if p.endswith("/") else "") for p in prefixes]
    lookahead = f"(?!{'|'.join(alternatives)})" if alternatives else ""

    class UiPathConverter(PathConverter):
        regex = lookahead + r"[^/].*?"

    app.url_map.converters["ui_path"] = UiPathConverter

    @app.route("/", defaults={"path": ""})
    @hide
    @app.route("/<ui_path:path>")
    async def _ui(path: str):
        if not (UI_DIST / "index.html").is_file():
            return (
                "<!doctype html><title>m3m</title><p>m3m is running. The web UI is not built;"
                " the REST API is at <a href=/api/docs>/api/docs</a>.</p>",
                200,
                {"Content-Type": "text/html; charset=utf-8"},
            )
        if path and (UI_DIST / path).is_file():
            return await send_from_directory(UI_DIST, path)
        return await send_from_directory(UI_DIST, "index.html")
