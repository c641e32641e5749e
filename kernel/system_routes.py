"""The kernel's own endpoints: health, the loaded plugins and a docs page for the OpenAPI document."""

from __future__ import annotations

from html import escape

from pydantic import ConfigDict
from quart import Blueprint, current_app
from quart_schema import tag

from .api import Answer, answers
from .db import DatabaseUnavailable
from .errors import Refused
from .plugins import describe_plugins, own_version, plugins_report
from .security import login_required

blueprint = Blueprint("system", __name__)


class Health(Answer):
    status: str
    version: str


class Pong(Answer):
    pong: bool


class LoadedPlugin(Answer):
    name: str
    source: str
    version: str
    hooks: list[str]


class LoadedPlugins(Answer):
    """The loaded plugins; beside `items`, the lists plugins report (m3m_plugins_report: {key: [row]})."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": {"type": "array", "items": {"type": "object"}}})
    items: list[LoadedPlugin]


@blueprint.get("/api/health")
@tag(["system"])
@answers(200, Health)
async def health():
    """Whether the server and its database answer."""
    try:
        await current_app.m3m.db.check()
    except DatabaseUnavailable:
        raise Refused(503, "the database does not answer", code="database_unavailable") from None
    return {"status": "ok", "version": own_version()}


@blueprint.get("/api/ping")
@tag(["system"])
@answers(200, Pong)
async def ping():
    """A bare JSON answer that touches nothing: liveness, and the baseline of `make bench`."""
    return {"pong": True}


@blueprint.get("/api/plugins")
@tag(["system"])
@answers(200, LoadedPlugins)
@login_required
async def plugins():
    """The loaded plugins: name, source (builtin or installed), version and the hooks they
    implement; beside them what plugins report (m3m_plugins_report), e.g. shared libraries."""
    m3m = current_app.m3m
    return {**await plugins_report(m3m.pm, m3m.settings), "items": describe_plugins(m3m.pm)}


@blueprint.get("/api/docs")
@tag(["system"])
@answers(200, media="text/html")
async def docs():
    """A readable page of the OpenAPI document, rendered here so it needs no CDN."""
    spec = current_app.extensions["QUART_SCHEMA"].openapi_provider.schema()
    spec = spec if isinstance(spec, dict) else spec.model_dump(by_alias=True, exclude_none=True)
    rows = []
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, operation in operations.items():
            summary = escape(operation.get("summary") or operation.get("description") or "")
            tags = escape(", ".join(operation.get("tags", [])))
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{tags}</td><td>{summary}</td></tr>"
            )
    html = (
        "<!doctype html><meta charset=utf-8><title>m3m API</title>"
        "<style>body{font:14px system-ui;margin:2rem}td{padding:.2rem .6rem;border-bottom:1px solid #ddd}"
        "code{font-size:13px}</style>"
        f"<h1>m3m API {escape(own_version())}</h1>"
        "<p>The machine-readable document: <a href=/api/openapi.json>/api/openapi.json</a>."
        " Errors use the envelope <code>{\"error\": {\"code\", \"message\", \"fields\"}}</code>.</p>"
        "<table><tr><th>Method</th><th>Path</th><th>Tag</th><th>What</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return html, 200, {"Content-Type": "text/html; charset=utf-8"}

