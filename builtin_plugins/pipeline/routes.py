"""Pipeline REST endpoints (docs/api.md "Pipeline"): branches, releases, the starter template."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator
from quart import Blueprint, current_app
from quart_schema import tag

from kernel.api import Answer, Schema, answers, body
from kernel.errors import Refused, conflict, invalid, not_found
from kernel.plugins import app_service, first_result, hook_results
from kernel.tenancy import require_project

from .service import (
    FIRST_BRANCH,
    TAGS,
    TEMPLATE,
    PipelineService,
    check_branch,
    parse_version,
    public_branch,
    public_release,
)

blueprint = Blueprint("pipeline", __name__)

BranchName = Annotated[str, AfterValidator(check_branch)]
Version = Annotated[str, StringConstraints(pattern=r"^\d{1,6}\.\d{1,6}$")]
Tag = Literal["stable", "not-fix", "night-build", "develop"]


class CodeIn(Schema):
    code: str


class Source(Schema):
    """Exactly one of release or branch."""

    release: Version | None = None
    branch: BranchName | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.release is None) == (self.branch is None):
            raise ValueError("give either release or branch")
        return self

    def as_dict(self) -> dict:
        return {"release": self.release} if self.release else {"branch": self.branch}


class BranchIn(Schema):
    name: BranchName
    from_: Source = Field(alias="from")


class ReleaseIn(Schema):
    branch: BranchName
    bump: Literal["minor", "major"] = "minor"
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""
    tags: list[Tag] = Field(default_factory=list, max_length=len(TAGS))


class Branch(Answer):
    name: str
    base: dict[str, str] | None  # {release} or {branch} it was made from
    size: int  # bytes of its code
    created: str | None
    updated: str | None
    code: str


class BranchSummary(Answer):
    name: str
    base: dict[str, str] | None
    size: int
    created: str | None
    updated: str | None


class Author(Answer):
    id: str | None
    email: str | None
    name: str | None


class ReleaseSummary(Answer):
    version: str
    branch: str
    comment: str
    tags: list[Tag]
    author: Author | None
    created: str | None
    active: bool


class Release(ReleaseSummary):
    code: str


class Overview(Answer):
    branches: list[BranchSummary]
    releases: list[ReleaseSummary]
    activeRelease: str | None
    running: bool


class Template(Answer):
    code: str
    branch: str


def pipeline(app=None) -> PipelineService:
    return app_service("m3m.pipeline", lambda app: PipelineService(app.m3m.db), app)



async def runtime_state(project_id: str) -> dict:
    """{activeRelease, running} from the runtime plugin (m3m_runtime_state); none loaded: nothing runs."""
    app = current_app._get_current_object()
    state = await first_result(hook_results(app.m3m.pm, "m3m_runtime_state", app=app, project_id=project_id))
    state = state or {}
    return {"activeRelease": state.get("release"), "running": bool(state.get("running"))}


def check_size(code: str) -> str:
    limit = current_app.m3m.settings.pipeline.max_code_size
    if len(code.encode()) > limit:
        raise Refused(413, f"the code is larger than {limit} bytes", fields={"code": f"at most {limit} bytes"})
    return code


@blueprint.get("/api/projects/<pid>/pipeline")
@tag(["pipeline"])
@answers(200, Overview)
async def overview(pid: str):
    """Branches, releases (newest first), the active release and whether it runs."""
    project, _ = await require_project(pid)
    state = await runtime_state(project["id"])
    return {
        "branches": [public_branch(doc, with_code=False) for doc in await pipeline().list_branches(project["id"])],
        "releases": [
            public_release(doc, state["activeRelease"], with_code=False)
            for doc in await pipeline().list_releases(project["id"])
        ],
        **state,
    }


@blueprint.get("/api/projects/<pid>/pipeline/template")
@tag(["pipeline"])
@answers(200, Template)
async def template(pid: str):
    """The starter code the editor shows while a project has no branch."""
    await require_project(pid)
    return {"code": TEMPLATE, "branch": FIRST_BRANCH}


@blueprint.get("/api/projects/<pid>/pipeline/branches/<name>")
@tag(["pipeline"])
@answers(200, Branch)
async def get_branch(pid: str, name: str):
    project, _ = await require_project(pid)
    doc = await pipeline().branch(project["id"], name)
    if doc is None:
        raise not_found("branch")
    return public_branch(doc)


@blueprint.put("/api/projects/<pid>/pipeline/branches/<name>")
@tag(["pipeline"])
@answers(200, Branch, description="Saved")
@answers(201, Branch, description="Created")
@body(CodeIn)
async def save_branch(pid: str, name: str, data: CodeIn):
    """Save the draft; creates the branch if it is new (the first save makes "develop")."""
    project, _ = await require_project(pid)
    try:
        check_branch(name)
    except ValueError as exc:
        raise invalid("name", str(exc)) from None
    doc, created = await pipeline().save(project["id"], name, check_size(data.code))
    return public_branch(doc), 201 if created else 200


@blueprint.post("/api/projects/<pid>/pipeline/branches")
@tag(["pipeline"])
@answers(201, Branch)
@body(BranchIn)
async def create_branch(pid: str, data: BranchIn):
    """A new branch from a release or from another branch."""
    project, _ = await require_project(pid)
    doc = await pipeline().create_branch(project["id"], data.name, data.from_.as_dict())
    return public_branch(doc), 201


@blueprint.post("/api/projects/<pid>/pipeline/branches/<name>/reset")
@tag(["pipeline"])
@answers(200, Branch)
@body(Source)
async def reset_branch(pid: str, name: str, data: Source):
    """Replace the branch's draft with a release's or another branch's code."""
    project, _ = await require_project(pid)
    return public_branch(await pipeline().reset(project["id"], name, data.as_dict()))


@blueprint.delete("/api/projects/<pid>/pipeline/branches/<name>")
@tag(["pipeline"])
@answers(204)
async def delete_branch(pid: str, name: str):
    """Delete a branch, never the last one."""
    project, _ = await require_project(pid)
    await pipeline().delete_branch(project["id"], name)
    return "", 204


@blueprint.post("/api/projects/<pid>/pipeline/releases")
@tag(["pipeline"])
@answers(201, Release)
@body(ReleaseIn)
async def create_release(pid: str, data: ReleaseIn):
    """Release a branch's code: the first release is 1.0, then a minor or major bump."""
    project, principal = await require_project(pid)
    author = (
        {"id": principal.id, "email": principal.user["email"], "name": principal.user["name"]}
        if principal.user
        else {"id": None, "email": None, "name": "API key"}
    )
    doc = await pipeline().create_release(
        project["id"], data.branch, data.bump, data.comment, sorted(set(data.tags)), author
    )
    state = await runtime_state(project["id"])
    return public_release(doc, state["activeRelease"]), 201


@blueprint.get("/api/projects/<pid>/pipeline/releases/<version>")
@tag(["pipeline"])
@answers(200, Release)
async def get_release(pid: str, version: str):
    project, _ = await require_project(pid)
    doc = await pipeline().release(project["id"], version) if parse_version(version) else None
    if doc is None:
        raise not_found("release")
    return public_release(doc, (await runtime_state(project["id"]))["activeRelease"])


@blueprint.delete("/api/projects/<pid>/pipeline/releases/<version>")
@tag(["pipeline"])
@answers(204)
async def delete_release(pid: str, version: str):
    """Delete a release; not the active one while the service runs (409)."""
    project, _ = await require_project(pid)
    doc = await pipeline().release(project["id"], version) if parse_version(version) else None
    if doc is None:
        raise not_found("release")
    state = await runtime_state(project["id"])
    if state["running"] and state["activeRelease"] == version:
        raise conflict(f"release {version} is running; stop the service first")
    await pipeline().delete_release(project["id"], version)
    return "", 204
