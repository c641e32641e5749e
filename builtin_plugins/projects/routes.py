"""Projects REST endpoints (docs/api.md "Projects")."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from quart import Blueprint, current_app
from quart_schema import document_querystring, tag

from kernel.plugins import app_service
from kernel.api import Answer, PageQuery, Schema, answers, body, object_id, page_of, paginate
from kernel.errors import forbidden
from kernel.plugins import await_me_maybe
from kernel.security import require_principal, require_user
from kernel.tenancy import reach, require_project

from .colors import COLORS, check_color
from .service import ProjectService, check_slug, public_project

blueprint = Blueprint("projects", __name__)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Slug = Annotated[str, AfterValidator(check_slug)]
Color = Annotated[str | None, AfterValidator(check_color)]
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]


class ProjectIn(Schema):
    name: Name
    slug: Slug
    color: Color = None


class ProjectPatch(Schema):
    # Omitted keys stay as they are; an explicit null name or slug is a 422 (defaults are not validated).
    name: Name = None
    slug: Slug = None
    color: Color = None


def check_imported(doc: dict) -> None:
    """An imported project's document holds what POST /api/projects takes (ValueError else)."""
    ProjectIn.model_validate({key: doc.get(key) for key in ("name", "slug", "color")})


class MembersIn(Schema):
    members: list[UserId] = Field(max_length=10000)


class Project(Answer):
    id: str
    name: str
    slug: str
    color: str | None
    members: list[str]
    hasApiKey: bool
    createdBy: str | None
    created: str | None
    updated: str | None


class Members(Answer):
    members: list[str]


class ApiKey(Answer):
    apiKey: str


class NamedColor(Answer):
    name: str
    hex: str


class Colors(Answer):
    items: list[NamedColor]


def projects(app=None) -> ProjectService:
    return app_service("m3m.projects", lambda app: ProjectService(app.m3m.db), app)


@blueprint.get("/api/projects")
@tag(["projects"])
@answers(200, page_of(Project))
@document_querystring(PageQuery)
async def list_projects():
    """The projects the caller may see (an API key sees its own project)."""
    principal = await require_principal()
    query = projects().reach_filter(reach(principal))
    return await paginate(projects().projects, query, public_project, sort=[("name", 1), ("_id", 1)])


@blueprint.post("/api/projects")
@tag(["projects"])
@answers(201, Project)
@body(ProjectIn)
async def create_project(data: ProjectIn):
    """Create a project (needs createProjects); its creator becomes a member."""
    principal = await require_user()
    if not (principal.is_root or principal.permissions.get("createProjects")):
        raise forbidden("creating projects needs the createProjects permission")
    doc = await projects().create(data.name, data.slug, data.color, principal.id)
    return public_project(doc), 201


@blueprint.get("/api/projects/<pid>")
@tag(["projects"])
@answers(200, Project)
async def get_project(pid: str):
    """One project, by id or slug."""
    project, _ = await require_project(pid)
    return project


@blueprint.patch("/api/projects/<pid>")
@tag(["projects"])
@answers(200, Project)
@body(ProjectPatch)
async def update_project(pid: str, data: ProjectPatch):
    """Rename, recolor or re-slug a project (slug stays unique)."""
    project, _ = await require_project(pid, settings=True)
    changes = data.model_dump(exclude_unset=True)
    doc = await projects().update(object_id(project["id"], "project"), changes)
    return public_project(doc)


@blueprint.delete("/api/projects/<pid>")
@tag(["projects"])
@answers(204)
async def delete_project(pid: str):
    """Delete a project and, through m3m_project_deleted, everything every feature keeps for it."""
    project, principal = await require_project(pid, settings=True)
    if not (principal.is_root or principal.permissions.get("createProjects")):
        raise forbidden("deleting projects needs the createProjects permission")
    await projects().delete(object_id(project["id"], "project"))
    app = current_app._get_current_object()
    for result in app.m3m.pm.hook.m3m_project_deleted(app=app, project_id=project["id"]):
        await await_me_maybe(result)
    return "", 204


@blueprint.get("/api/projects/<pid>/members")
@tag(["projects"])
@answers(200, Members)
async def get_members(pid: str):
    """The user ids that are members of the project."""
    project, _ = await require_project(pid)
    return {"members": project["members"]}


@blueprint.put("/api/projects/<pid>/members")
@tag(["projects"])
@answers(200, Members)
@body(MembersIn)
async def set_members(pid: str, data: MembersIn):
    """Replace the members (grant and revoke access); the creator stays a member."""
    project, _ = await require_project(pid, settings=True)
    doc = await projects().set_members(object_id(project["id"], "project"), data.members)
    return {"members": public_project(doc)["members"]}


@blueprint.post("/api/projects/<pid>/api-key")
@tag(["projects"])
@answers(200, ApiKey)
async def regenerate_api_key(pid: str):
    """A new private API key (shown once); the previous one stops working at once."""
    project, _ = await require_project(pid, settings=True)
    return {"apiKey": await projects().new_api_key(object_id(project["id"], "project"))}


@blueprint.get("/api/colors")
@tag(["projects"])
@answers(200, Colors)
async def colors():
    """The 16 named colors projects (and goals) may carry, or null."""
    return {"items": [{"name": name, "hex": value} for name, value in COLORS.items()]}
