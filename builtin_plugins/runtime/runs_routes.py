"""The service's runs: the current one and the last runtime.log_runs before it, each with its
log (docs/runtime/logs.md "Past runs")."""

from __future__ import annotations

from typing import Literal

from quart import Blueprint, Response
from quart_schema import document_querystring, tag

from kernel.api import Answer, PageQuery, answers, disposition, page_of, page_params
from kernel.errors import Refused
from kernel.tenancy import require_project

from .routes import MAX_LOG_PAGE, LogPage, LogQuery, _int_arg, runtime

blueprint = Blueprint("runtime_runs", __name__)


class Run(Answer):
    id: int
    release: str | None  # null: a log from before runs were kept
    startedAt: str | None
    endedAt: str | None
    exit: Literal["stopped", "crashed", "replaced"] | None  # null: going on
    reason: str | None  # a crash's
    current: bool
    size: int  # bytes of its log


def _run_id(run: str) -> int:
    if not run.isdigit() or len(run) > 9:
        raise Refused(404, f"no run {run}")
    return int(run)


@blueprint.get("/api/projects/<pid>/runtime/runs")
@tag(["runtime"])
@answers(200, page_of(Run))
@document_querystring(PageQuery)
async def list_runs(pid: str):
    """{items: [{id, release, startedAt, endedAt, exit, reason, current, size}], page, perPage,
    totalItems, totalPages}, newest first; `exit` is null (going on), stopped, crashed or replaced."""
    project, _ = await require_project(pid)
    params = page_params()
    runs = await runtime().logs.list_runs(project["id"])
    first = (params.page - 1) * params.perPage
    return {
        "items": runs[first:first + params.perPage],
        "page": params.page,
        "perPage": params.perPage,
        "totalItems": len(runs),
        "totalPages": (len(runs) + params.perPage - 1) // params.perPage,
    }


@blueprint.get("/api/projects/<pid>/runtime/runs/<run>/logs")
@tag(["runtime"])
@answers(200, LogPage)
@document_querystring(LogQuery)
async def run_logs(pid: str, run: str):
    """?offset=0&limit=200 -> {lines, nextOffset, total} of that run's log (as .../runtime/logs)."""
    project, _ = await require_project(pid)
    run_id = _run_id(run)
    offset = _int_arg("offset", 0, 0, 10**9)
    limit = _int_arg("limit", 200, 1, MAX_LOG_PAGE)
    page = await runtime().logs.read(project["id"], offset, limit, run=run_id)
    if page is None:
        raise Refused(404, f"no run {run}: it is not kept (runtime.log_runs)")
    return page


@blueprint.get("/api/projects/<pid>/runtime/runs/<run>/logs/download")
@tag(["runtime"])
@answers(200, media="text/plain")
async def download_run_logs(pid: str, run: str):
    """That run's whole log as a text file."""
    project, _ = await require_project(pid)
    run_id = _run_id(run)
    if runtime().logs.history.path(project["id"], run_id) is None:
        raise Refused(404, f"no run {run}: it is not kept (runtime.log_runs)")
    response = Response(
        runtime().logs.chunks(project["id"], run=run_id),
        mimetype="text/plain",
        headers={"Content-Disposition": disposition(f"{project['slug']}-run-{run_id}.log")},
    )
    response.timeout = None
    return response
