"""GET /api/projects/{pid}/hello?name=Ann: a project's greeting, under m3m's access rule (a
caller who may not reach the project gets the same 404 as for one that does not exist)."""

from quart import Blueprint, current_app, request
from quart_schema import tag

from kernel.tenancy import require_project

from .greeting import greet

blueprint = Blueprint("hello", __name__)


@blueprint.get("/api/projects/<pid>/hello")
@tag(["hello"])
async def hello(pid: str):
    """A greeting from the project: {project, greeting}."""
    project, _ = await require_project(pid)
    settings = current_app.m3m.settings.hello
    return {"project": project["slug"], "greeting": greet(settings.greeting, request.args.get("name", ""), settings.max_name)}
