"""The services' metrics: `GET /api/projects/{pid}/runtime/metrics` (JSON, for the runtime
panel) and `GET /api/metrics` (Prometheus' text format, for operators). docs/runtime/metrics.md."""

from __future__ import annotations

import hmac

from pydantic import create_model
from quart import Blueprint, Response, current_app, request
from quart_schema import tag

from kernel.api import Answer, answers
from kernel.errors import forbidden
from kernel.security import require_user
from kernel.tenancy import require_project

from .metrics import TALLIES
from .prometheus import CONTENT_TYPE, exposition
from .routes import runtime

blueprint = Blueprint("runtime_metrics", __name__)

# The answer's models, their counters named once (metrics.TALLIES); the shape: docs/runtime/metrics.md.
_counters = {name: (int, ...) for name in TALLIES.values()}
Tallies = create_model("MetricTallies", __base__=Answer, **_counters)
LastHour = create_model("MetricsLastHour", __base__=Answer, **_counters, p50=(float | None, ...), p95=(float | None, ...))
MinutePoint = create_model("MetricsMinute", __base__=Answer, t=(str, ...), **_counters, p50=(float | None, ...),
                           p95=(float | None, ...), memory=(int | None, ...))


class ServiceMetrics(Answer):
    window: int  # seconds: the last hour
    step: int  # seconds a point
    since: str  # when this server began counting the service
    memory: int  # the worker's RSS now, bytes (0: not running)
    totals: Tallies
    lastHour: LastHour
    series: list[MinutePoint]


@blueprint.get("/api/projects/<pid>/runtime/metrics")
@tag(["runtime"])
@answers(200, ServiceMetrics)
async def service_metrics(pid: str):
    """{window, step, since, memory, totals, lastHour, series: [one point a minute]} of the
    project's service (whoever may read its runtime)."""
    project, _ = await require_project(pid)
    return runtime().metrics.report(project["id"])


@blueprint.get("/api/metrics")
@tag(["system"])
@answers(200, media="text/plain")
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
