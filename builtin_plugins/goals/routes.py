"""Goals and statistics REST endpoints (docs/api.md "Goals and statistics")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from quart import Blueprint, request
from quart_schema import document_querystring, tag

from kernel.api import Answer, Schema, answers, body, object_id
from builtin_plugins.projects.colors import check_color
from kernel.errors import forbidden, invalid, not_found
from kernel.plugins import app_service
from kernel.security import require_user
from kernel.tenancy import may_reach, require_project, resolve_project

from .service import KEY, MAX_KEY, GoalService, check_key, period, public_goal

blueprint = Blueprint("goals", __name__)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Key = Annotated[str, AfterValidator(check_key)]
Color = Annotated[str | None, AfterValidator(check_color)]
Description = Annotated[str, StringConstraints(max_length=5000)]
GoalType = Literal["counter", "daily_counter"]
ProjectRefs = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=1000)]


class GoalIn(Schema):
    name: Name
    key: Key = Field(validation_alias="slug")
    color: Color = None
    type: GoalType = "counter"
    description: Description = ""


class GlobalGoalIn(GoalIn):
    allowedProjects: ProjectRefs = []


class GoalPatch(Schema):
    # Omitted keys stay; explicit nulls for name/slug/type are 422 (defaults are not validated).
    name: Name = None
    key: Key = Field(None, validation_alias="slug")
    color: Color = None
    type: GoalType = None
    description: Description = None


class GlobalGoalPatch(GoalPatch):
    allowedProjects: ProjectRefs = None


class IncrementIn(Schema):
    value: int = 1  # GoalService checks the step (check_step)


class Goal(Answer):
    id: str
    name: str
    key: str
    slug: str
    color: str | None
    type: GoalType
    description: str
    projectRef: str | None
    allowedProjects: list[str]
    created: str | None
    updated: str | None


class Goals(Answer):
    items: list[Goal]


class Counted(Answer):
    goal: str
    value: int


class Day(Answer):
    date: str
    value: int


class GoalStatistics(Goal):
    total: int
    daily: list[Day] | None = None  # daily counters only


class Statistics(Answer):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    items: list[GoalStatistics]


class StatisticsQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    goals: Annotated[str, StringConstraints(min_length=1)]  # slugs, comma-separated (at most 50)
    from_: date | None = Field(None, alias="from")  # default: 30 days before `to`
    to: date | None = None  # default: today
    project: str | None = None  # only this project's counts (an id or slug)


def goals(app=None) -> GoalService:
    return app_service("m3m.goals", lambda app: GoalService(app.m3m.db), app)



async def project_ids(refs: list[str]) -> list[str]:
    """allowedProjects given by id or slug -> ids; an unknown project is a 422."""
    ids = []
    for ref in refs:
        project = await resolve_project(ref)
        if project is None:
            raise invalid("allowedProjects", f"no project {ref!r}")
        ids.append(project["id"])
    return sorted(set(ids))


async def require_root():
    principal = await require_user()
    if not principal.is_root:
        raise forbidden("only the root user manages global goals")
    return principal


# -- global goals ------------------------------------------------------------------------------


@blueprint.get("/api/goals")
@tag(["goals"])
@answers(200, Goals)
async def list_global_goals():
    """Global goals (any signed-in user)."""
    await require_user()
    return {"items": [public_goal(doc) for doc in await goals().list(None)]}


@blueprint.post("/api/goals")
@tag(["goals"])
@answers(201, Goal)
@body(GlobalGoalIn)
async def create_global_goal(data: GlobalGoalIn):
    """Create a global goal with the projects allowed to write to it (root only)."""
    await require_root()
    fields = data.model_dump()
    fields["allowedProjects"] = await project_ids(data.allowedProjects)
    doc = await goals().create(fields, None)
    return public_goal(doc), 201


@blueprint.get("/api/goals/<gid>")
@tag(["goals"])
@answers(200, Goal)
async def get_global_goal(gid: str):
    await require_user()
    doc = await goals().get(object_id(gid, "goal"), None)
    if doc is None:
        raise not_found("goal")
    return public_goal(doc)


@blueprint.patch("/api/goals/<gid>")
@tag(["goals"])
@answers(200, Goal)
@body(GlobalGoalPatch)
async def update_global_goal(gid: str, data: GlobalGoalPatch):
    await require_root()
    changes = data.model_dump(exclude_unset=True)
    if "allowedProjects" in changes:
        changes["allowedProjects"] = await project_ids(changes["allowedProjects"])
    return public_goal(await _update(gid, None, changes))


@blueprint.delete("/api/goals/<gid>")
@tag(["goals"])
@answers(204)
async def delete_global_goal(gid: str):
    await require_root()
    return await _delete(gid, None)


# -- project goals -----------------------------------------------------------------------------


@blueprint.get("/api/projects/<pid>/goals")
@tag(["goals"])
@answers(200, Goals)
async def list_project_goals(pid: str):
    """The project's own goals."""
    project, _ = await require_project(pid)
    return {"items": [public_goal(doc, project["slug"]) for doc in await goals().list(project["id"])]}


@blueprint.post("/api/projects/<pid>/goals")
@tag(["goals"])
@answers(201, Goal)
@body(GoalIn)
async def create_project_goal(pid: str, data: GoalIn):
    """Create a goal of the project; its slug becomes {project-slug}-{slug}."""
    project, _ = await require_project(pid)
    doc = await goals().create(data.model_dump(), project["id"])
    return public_goal(doc, project["slug"]), 201


@blueprint.get("/api/projects/<pid>/goals/<gid>")
@tag(["goals"])
@answers(200, Goal)
async def get_project_goal(pid: str, gid: str):
    project, _ = await require_project(pid)
    doc = await goals().get(object_id(gid, "goal"), project["id"])
    if doc is None:
        raise not_found("goal")
    return public_goal(doc, project["slug"])


@blueprint.patch("/api/projects/<pid>/goals/<gid>")
@tag(["goals"])
@answers(200, Goal)
@body(GoalPatch)
async def update_project_goal(pid: str, gid: str, data: GoalPatch):
    project, _ = await require_project(pid)
    return public_goal(await _update(gid, project["id"], data.model_dump(exclude_unset=True)), project["slug"])


@blueprint.delete("/api/projects/<pid>/goals/<gid>")
@tag(["goals"])
@answers(204)
async def delete_project_goal(pid: str, gid: str):
    project, _ = await require_project(pid)
    return await _delete(gid, project["id"])


@blueprint.post("/api/projects/<pid>/goals/<goal>/increment")
@tag(["goals"])
@answers(200, Counted)
@body(IncrementIn)
async def increment_goal(pid: str, goal: str, data: IncrementIn):
    """Count for the project: `goal` is a goal id, the project's own key, or a global goal's slug
    that this project is allowed to write to. Answers the counter's new value (today's, if daily)."""
    project, _ = await require_project(pid)
    doc = await goals().writable_goal(project, goal)
    value = await goals().increment(doc, project["id"], data.value)
    return {"goal": str(doc["_id"]), "value": value}


async def _update(gid: str, project_id: str | None, changes: dict) -> dict:
    if await goals().get(object_id(gid, "goal"), project_id) is None:
        raise not_found("goal")
    return await goals().update(object_id(gid, "goal"), changes)


async def _delete(gid: str, project_id: str | None):
    doc = await goals().get(object_id(gid, "goal"), project_id)
    if doc is None:
        raise not_found("goal")
    await goals().delete(doc["_id"])
    return "", 204


# -- statistics --------------------------------------------------------------------------------


async def _goal_by_slug(slug: str, principal) -> tuple[dict, dict | None] | None:
    """A goal by its public slug (global key, or {project-slug}-{key}) that the caller may see."""
    doc = await goals().find_key(slug, None)
    if doc:
        return doc, None
    # Project slugs contain dashes too: try every split of the slug into project and key whose
    # key may be one. A key is at most 63 characters (KEY), so at most 32 splits are tried however
    # long the slug: before, `a-a-a-...` of 4,000 parts cost 4,000 project look-ups (4 s of the
    # database for one of the 50 slugs a request may name, from any signed-in user).
    parts = slug.split("-")
    cuts = []
    for cut in range(len(parts) - 1, 0, -1):
        key = "-".join(parts[cut:])
        if len(key) > MAX_KEY:
            break
        if KEY.match(key):
            cuts.append((cut, key))
    for cut, key in reversed(cuts):
        project = await resolve_project("-".join(parts[:cut]))
        if project is None or not may_reach(principal, project):
            continue
        doc = await goals().find_key(key, project["id"])
        if doc:
            return doc, project
    return None


@blueprint.get("/api/goals/stats")
@tag(["goals"])
@answers(200, Statistics)
@document_querystring(StatisticsQuery)
async def statistics():
    """?goals=slug1,slug2&from=YYYY-MM-DD&to=YYYY-MM-DD[&project=pid]: per goal the total and,
    for daily counters, every day of the period (days with nothing are 0). Default: the last 30 days."""
    principal = await require_user()
    slugs = [s.strip() for s in request.args.get("goals", "").split(",") if s.strip()]
    if not slugs:
        raise invalid("goals", "name at least one goal slug, comma-separated")
    if len(slugs) > 50:
        raise invalid("goals", "at most 50 goals at once")
    start, end = period(request.args.get("from"), request.args.get("to"))
    only_project = None
    if request.args.get("project"):
        only_project, _ = await require_project(request.args["project"])
    items = []
    for slug in slugs:
        found = await _goal_by_slug(slug, principal)
        if found is None:
            raise invalid("goals", f"no goal {slug!r}")
        doc, project = found
        stats = await goals().statistics(doc, start, end, only_project["id"] if only_project else None)
        items.append({**public_goal(doc, project["slug"] if project else None), **stats})
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items}
