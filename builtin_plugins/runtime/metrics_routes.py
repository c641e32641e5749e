"""The services' metrics: `GET /api/projects/{pid}/runtime/metrics` (JSON, for the runtime
panel) and `GET /api/metrics` (Prometheus' text format, for operators). docs/runtime/metrics.md."""

from __future__ import annotations

import hmac

from quart import Blueprint, Response, current_app, request
from quart_schema import tag

from kernel.errors import forbidden
from kernel.security import require_user
from kernel.tenancy import require_project

from .prometheus import CONTENT_TYPE, exposition
from .routes import runtime

blueprint = Blueprint("runtime_metrics", __name__)


@blueprint.get("/api/projects/<pid>/runtime/metrics")
@tag(["runtime"])
async def service_metrics(pid: str):
    """{window, step, since, memory, totals, lastHour, series: [one point a minute]} of the
    project's service (whoever may read its runtime)."""
    project, _ = await require_project(pid)
    return runtime().metrics.report(project["id"])


@blueprint.get("/api/metrics")
@tag(["system"])
async def prometheus_metrics():
    """Every service's counters, latency histogram and memory in Prometheus' text format. For
    the root user, or for `Authorization: Bearer <runtime.metrics_token>` when that is set: the
    labels name every project, so it is never public."""
    token = current_app.m3m.settings.runtime.metrics_token
    sent = request.headers.get("Authorization", "")
    if not (token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())):
        principal = await require_user()
        if not principal.is_root:
            raise forbidden("the metrics are for the root user (or runtime.metrics_token)")
    return Response(exposition(runtime().metrics), content_type=CONTENT_TYPE)
