"""Runtime REST endpoints (docs/api.md "Runtime") and the services' own routes at /bot-{pid}/..."""

from __future__ import annotations

import os
from time import perf_counter
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StringConstraints, field_validator
from quart import Blueprint, Response, current_app, request
from quart_schema import document_querystring, tag

from kernel.api import Answer, Schema, accepts, answers, body, disposition
from kernel.content import PAGE_HEADERS
from kernel.errors import Refused, envelope, invalid
from kernel.plugins import app_service
from kernel.tenancy import require_project, resolve_project, while_reachable

from .apis import typings as typings_of
from . import service_routes
from .engine.cpu import checked_share
from .engine.logs import RESET
from .service import Runtime

blueprint = Blueprint("runtime", __name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MAX_LOG_PAGE = 5000


class StartIn(Schema):
    release: Annotated[str, StringConstraints(pattern=r"^\d{1,6}\.\d{1,6}$")]


class SleepIn(Schema):
    enabled: StrictBool | None  # null: as the server's runtime.sleep_when_idle says


class CpuIn(Schema):
    # cores its workers may use on average; null: the server's runtime.cpu_share; 0: no bound
    share: Annotated[StrictFloat, Field(ge=0)] | None

    @field_validator("share")
    @classmethod
    def _cores(cls, value: float | None) -> float | None:
        if value is None:
            return None
        cores = os.cpu_count() or 1
        if value > cores:
            raise ValueError(f"must be at most {cores} cores (this machine has {cores})")
        return checked_share(value)


class ServiceRoute(Answer):
    method: str
    path: str


class Sleep(Answer):
    enabled: bool
    after: float | None  # seconds without a request before it sleeps
    awake: str | None  # what keeps it awake now (a schedule, timers); null: it may sleep


class Cpu(Answer):
    share: float | None  # cores its workers may use on average; null: no bound
    usage: float  # cores its worker uses now (smoothed over a few seconds)
    throttled: bool  # held at its share: its credit of share x runtime.cpu_window CPU-seconds is spent
    reason: str | None  # why, while throttled


class RuntimeState(Answer):
    state: Literal["stopped", "starting", "running", "sleeping", "crashed"]
    release: str | None
    pid: int | None
    startedAt: str | None
    restarts: int
    memory: int  # bytes of the worker's resident memory
    routes: list[ServiceRoute]
    reason: str | None
    sleep: Sleep
    cpu: Cpu


class CallIn(Schema):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    path: Annotated[str, StringConstraints(pattern=r"^/", max_length=4096)]
    query: Annotated[str, StringConstraints(max_length=8192)] = ""  # without the ?
    body: str = ""
    contentType: Annotated[str, StringConstraints(max_length=256, pattern=r"^[^\r\n]*$")] | None = None


class CallAnswer(Answer):
    status: int
    headers: dict[str, str]
    body: str  # as UTF-8 text; bytes that are not UTF-8 read as U+FFFD
    size: int  # the body's length in bytes


class LogPage(Answer):
    lines: list[str]
    nextOffset: int
    total: int


class LogQuery(BaseModel):
    offset: int = Field(0, ge=0, le=10**9)  # the first line
    limit: int = Field(200, ge=1, le=MAX_LOG_PAGE)


def runtime(app=None) -> Runtime:
    return app_service("m3m.runtime", Runtime, app)


async def _state(project_id: str) -> dict:
    return runtime().state(project_id, await runtime().stored(project_id))


@blueprint.get("/api/projects/<pid>/runtime")
@tag(["runtime"])
@answers(200, RuntimeState)
async def get_state(pid: str):
    """{state: stopped|starting|running|sleeping|crashed, release, pid, startedAt, restarts, memory, routes, reason, sleep, cpu}"""
    project, _ = await require_project(pid)
    return await _state(project["id"])


@blueprint.post("/api/projects/<pid>/runtime/start")
@tag(["runtime"])
@answers(200, RuntimeState)
@body(StartIn)
async def start(pid: str, data: StartIn):
    """Make the release active and boot it; answers once it runs (or crashed, with the reason)."""
    project, _ = await require_project(pid)
    release = await runtime().release(project["id"], data.release)
    if release is None:
        raise invalid("release", f"no release {data.release}")
    return await runtime().start(project, release)


@blueprint.post("/api/projects/<pid>/runtime/stop")
@tag(["runtime"])
@answers(200, RuntimeState)
async def stop(pid: str):
    """Run $service.shutdown (with the deadline) and end the worker."""
    project, _ = await require_project(pid)
    await runtime().stop(project["id"])
    return await _state(project["id"])


@blueprint.put("/api/projects/<pid>/runtime/sleep")
@tag(["runtime"])
@answers(200, RuntimeState)
@body(SleepIn)
async def sleep(pid: str, data: SleepIn):
    """Sleep when idle on, off, or null for the server's default (docs/runtime/sleep.md); off
    wakes a sleeping service. Answers the runtime state, whose `sleep` says what keeps it awake."""
    project, _ = await require_project(pid)
    await runtime().set_sleep(project["id"], data.enabled)
    return await _state(project["id"])


@blueprint.put("/api/projects/<pid>/runtime/cpu")
@tag(["runtime"])
@answers(200, RuntimeState)
@body(CpuIn)
async def cpu(pid: str, data: CpuIn):
    """The project's CPU share in cores (docs/runtime/process.md "CPU"), or null for the server's
    runtime.cpu_share. A member may lower it; more than the server's share (or 0, no bound) is
    root's to give. Applies to the running worker at once; answers the runtime state."""
    project, principal = await require_project(pid, settings=True)
    server = current_app.m3m.settings.runtime.cpu_share
    if data.share is not None and server and not 0 < data.share <= server and not principal.is_root:
        raise Refused(403, f"only root may give a project more than the server's CPU share of {server:g} cores",
                      fields={"share": f"at most {server:g} cores"})
    await runtime().set_cpu(project["id"], data.share)
    return await _state(project["id"])


@blueprint.post("/api/projects/<pid>/runtime/restart")
@tag(["runtime"])
@answers(200, RuntimeState)
async def restart(pid: str):
    """Stop, then start the same release."""
    project, _ = await require_project(pid)
    stored = await runtime().stored(project["id"])
    version = (runtime().supervisor.state(project["id"]) or {}).get("release") or (stored or {}).get("release")
    release = await runtime().release(project["id"], version) if version else None
    if release is None:
        raise Refused(409, "nothing to restart: start a release first")
    return await runtime().restart(project, release)


# -- logs ----------------------------------------------------------------------------------------
# A log "line" is a physical line of the run's log file: an entry whose message has several lines
# (a stack) continues on lines indented by four spaces (docs/runtime/logs.md).

STREAM_KEEPALIVE_SECONDS = 15


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise invalid(name, "must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise invalid(name, f"must be between {low} and {high}")
    return value


@blueprint.get("/api/projects/<pid>/runtime/logs")
@tag(["runtime"])
@answers(200, LogPage)
@document_querystring(LogQuery)
async def logs(pid: str):
    """?offset=0&limit=200 -> {lines, nextOffset, total}: lines [offset, offset+limit) of the run's log."""
    project, _ = await require_project(pid)
    offset = _int_arg("offset", 0, 0, 10**9)
    limit = _int_arg("limit", 200, 1, MAX_LOG_PAGE)
    return await runtime().logs.read(project["id"], offset, limit)


@blueprint.get("/api/projects/<pid>/runtime/logs/download")
@tag(["runtime"])
@answers(200, media="text/plain")
async def download_logs(pid: str):
    """The whole log of the current run as a text file (streamed from the disk)."""
    project, _ = await require_project(pid)
    response = Response(
        runtime().logs.chunks(project["id"]),
        mimetype="text/plain",
        headers={"Content-Disposition": disposition(f"{project['slug']}.log")},
    )
    response.timeout = None
    return response


@blueprint.get("/api/projects/<pid>/runtime/logs/stream")
@tag(["runtime"])
@answers(200, media="text/event-stream")
async def stream_logs(pid: str):
    """Server-sent events: one `data:` event per new log line; `event: reset` when a new run
    clears the log; a comment every 15 s keeps proxies from closing an idle stream. It ends when
    the caller may no longer reach the project (kernel.tenancy.while_reachable)."""
    project, _ = await require_project(pid)
    store = runtime().logs
    project_id = project["id"]

    async def events():
        # Subscribed here, not before: when the client is gone before the body starts, nothing
        # was subscribed. When it leaves later, the server cancels this generator: `finally`.
        subscription = store.subscribe(project_id)
        try:
            yield f": connected ({store.listening(project_id)} listening)\n\n".encode()
            while True:
                items = await subscription.next(STREAM_KEEPALIVE_SECONDS)
                if not items:
                    yield b": keep-alive\n\n"
                    continue
                yield "".join(
                    "event: reset\ndata: \n\n" if item is RESET else f"data: {item}\n\n" for item in items
                ).encode()
        finally:
            store.unsubscribe(project_id, subscription)

    response = Response(while_reachable(project_id, events()), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.timeout = None
    return response


@blueprint.get("/api/projects/<pid>/runtime/typings")
@tag(["runtime"])
@answers(200, media="text/plain")
async def typings(pid: str):
    """TypeScript declarations of every $ API, for the editor."""
    project, _ = await require_project(pid)
    return Response(await typings_of(runtime().apis, current_app._get_current_object(), project), mimetype="text/plain")


@blueprint.post("/api/projects/<pid>/runtime/call")
@tag(["runtime"])
@answers(200, CallAnswer)
@body(CallIn)
async def call(pid: str, data: CallIn):
    """One route of the service called as /bot-{slug}{path} would be (the UI's request tester):
    its answer (or the platform's envelope: not running, timeout) as data, whatever the origin
    of the service's pages is (server.content_uri)."""
    project, _ = await require_project(pid)
    limit = current_app.m3m.settings.runtime.max_request_body
    raw = data.body.encode()
    if len(raw) > limit:
        raise invalid("body", f"larger than runtime.max_request_body ({limit} bytes)")
    query = {}
    for key, value in parse_qsl(data.query, keep_blank_values=True):
        query.setdefault(key, value)  # the first value of a repeated key, as /bot- does
    headers = {"content-type": data.contentType} if data.contentType else {}
    began = perf_counter()
    status, answer_headers, answer_body = await service_routes.answer(
        runtime(), project["id"], data.method, data.path, query, headers, raw, request.remote_addr or "",
        service_routes.PREFIX + project["slug"],
    )
    runtime().metrics.observe(project["id"], status, perf_counter() - began)
    return {
        "status": status,
        "headers": {name.decode("latin-1"): value.decode("latin-1") for name, value in answer_headers},
        "body": answer_body.decode("utf-8", "replace"),
        "size": len(answer_body),
    }


# -- the services' routes ------------------------------------------------------------------------


@blueprint.route("/bot-<pid>", defaults={"path": ""}, methods=METHODS)
@blueprint.route("/bot-<pid>/", defaults={"path": ""}, methods=METHODS)
@blueprint.route("/bot-<pid>/<path:path>", methods=METHODS)
@tag(["runtime"])
@accepts("*/*", Any, "whatever the service reads: JSON arrives parsed as ctx.body, anything else as text")
@answers("default", Any, media="*/*", description=(
    "What the service answers: its status, headers and body. The platform's own answers are the error "
    "envelope: 404 no such project, 503 service_unavailable (not running), 413 a body over "
    "runtime.max_request_body, 403 a service worker's script fetch, 500 a bad answer, 504 timeout "
    "(no answer within runtime.route_timeout). Every answer carries a Content-Security-Policy sandbox "
    "without allow-same-origin and X-Content-Type-Options: nosniff."))
async def service_route(pid: str, path: str):
    """A route of the project's service: {server.uri}/bot-{project id or slug}/{path}.

    Served by the fast path (service_routes.py) before Quart; this route answers for a project whose
    service it did not find by that name: unknown, not running, or renamed while running."""
    if "Service-Worker" in request.headers:
        return quart_response(*service_routes.refused_worker())
    project = await resolve_project(pid)
    if project is None:
        return envelope(404, "no such project")
    if runtime().supervisor.find(project["id"]) is None:
        return envelope(503, "the service is not running", code="service_unavailable")
    limit = current_app.m3m.settings.runtime.max_request_body
    if (request.content_length or 0) > limit:
        return envelope(413, f"the request body is larger than {limit} bytes")
    raw = await request.get_data(as_text=False)
    if len(raw) > limit:
        return envelope(413, f"the request body is larger than {limit} bytes")
    began = perf_counter()
    status, headers, body = await service_routes.answer(
        runtime(), project["id"], request.method, "/" + path, {key: request.args.get(key) for key in request.args},
        {key.lower(): value for key, value in request.headers.items()}, raw, request.remote_addr or "",
        service_routes.PREFIX + pid,
    )
    runtime().metrics.observe(project["id"], status, perf_counter() - began)
    return quart_response(status, headers, body)


def quart_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
    return Response(body, status=status, headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers])


@blueprint.after_app_request
async def page_policy(response):
    """Every answer under /bot- that Quart gives (the route's, its 404 and 503, a 405 or 500 of
    Quart's own) carries the sandboxing page policy, as the fast path's do."""
    if request.path.startswith(service_routes.PREFIX):
        for name, value in PAGE_HEADERS.items():
            if name == "Content-Security-Policy":
                response.headers.add(name, value)  # a service's own policy stays, as a second one
            else:
                response.headers[name] = value
    return response
