"""The audit log's REST endpoints (docs/api.md "Audit", docs/operations.md "Audit log")."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError
from quart import Blueprint, request
from quart_schema import document_querystring, tag

from kernel.api import Answer, Schema, answers, page_of, page_params, validation_error
from kernel.errors import forbidden
from kernel.plugins import app_service
from kernel.security import require_user
from kernel.tenancy import require_project

from .service import AuditService

blueprint = Blueprint("audit", __name__)
Text = Annotated[str, StringConstraints(max_length=200)]


class AuditQuery(Schema):
    actor: Text | None = None  # a user id
    project: Text | None = None  # a project id
    action: Text | None = None  # an action, or its start ("auth." for every auth action)
    method: Annotated[str, StringConstraints(pattern=r"^(POST|PUT|PATCH|DELETE)$")] | None = None
    since: datetime | date | None = Field(default=None, alias="from")
    until: datetime | date | None = Field(default=None, alias="to")
    page: int | None = None
    perPage: int | None = None


class Actor(Answer):
    kind: str  # user, api_key, or anonymous (a sign-in that failed)
    id: str | None = None
    email: str | None = None


class ProjectRef(Answer):
    id: str
    slug: str | None


class AuditEntry(Answer):
    id: str
    time: str
    actor: Actor | None
    ip: str | None
    action: str | None  # the route's endpoint, e.g. auth.update_user
    method: str | None
    path: str | None
    route: str | None
    status: int | None
    project: ProjectRef | None
    target: Any  # what was changed: an id, a key, a path...
    query: dict[str, Any]
    request: Any  # the body sent, secrets redacted, large values as their size and hash
    before: Any
    after: Any


def audit(app=None) -> AuditService:
    return app_service("m3m.audit", lambda app: AuditService(app.m3m.db, app.m3m.settings.audit), app)


def _moment(value, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)


def _filter(query: AuditQuery) -> dict:
    found: dict = {}
    if query.actor:
        found["actor.id"] = query.actor
    if query.project:
        found["project.id"] = query.project
    if query.action:
        # An exact action, or every action it starts (with its dot): no regex from the caller.
        if query.action.endswith("."):
            found["action"] = {"$gte": query.action, "$lt": query.action[:-1] + "/"}
        else:
            found["action"] = query.action
    if query.method:
        found["method"] = query.method
    if query.since or query.until:
        found["time"] = {}
        if query.since:
            found["time"]["$gte"] = _moment(query.since, False)
        if query.until:
            found["time"]["$lte"] = _moment(query.until, True)
    return found


def _query() -> AuditQuery:
    try:
        return AuditQuery.model_validate(dict(request.args))
    except ValidationError as exc:
        raise validation_error(exc) from None


async def _page(filter: dict) -> dict:
    params = page_params()
    items, total = await audit().find_page(filter, params.page, params.perPage)
    return {"items": items, "page": params.page, "perPage": params.perPage, "totalItems": total,
            "totalPages": (total + params.perPage - 1) // params.perPage}


@blueprint.get("/api/audit")
@tag(["audit"])
@answers(200, page_of(AuditEntry))
@document_querystring(AuditQuery)
async def list_audit():
    """The audit log, newest first (root and users with manageUsers). Filters: actor (user id),
    project (project id), action (e.g. `auth.update_user`, or `auth.` for all of a plugin),
    method, from/to (ISO date or time, UTC); paged."""
    principal = await require_user()
    if not (principal.is_root or principal.permissions.get("manageUsers")):
        raise forbidden("the audit log needs the manageUsers permission")
    return await _page(_filter(_query()))


@blueprint.get("/api/projects/<pid>/audit")
@tag(["audit"])
@answers(200, page_of(AuditEntry))
@document_querystring(AuditQuery)
async def list_project_audit(pid: str):
    """The audit log of one project, for its members (same filters as /api/audit)."""
    project, _ = await require_project(pid, settings=True)
    query = _query()
    return await _page({**_filter(query), "project.id": project["id"]})
