"""Environment REST endpoints (docs/api.md "Environment")."""

from __future__ import annotations

from typing import Any, Literal

from quart import Blueprint
from quart_schema import tag

from kernel.plugins import app_service
from kernel.api import Answer, Schema, answers, body
from kernel.errors import invalid, not_found
from kernel.tenancy import require_project

from .service import KEY, EnvService, coerce, public_var

blueprint = Blueprint("env", __name__)


class VariableIn(Schema):
    type: Literal["string", "text", "json", "integer", "float", "boolean"]
    value: Any


class Variable(Answer):
    key: str
    type: Literal["string", "text", "json", "integer", "float", "boolean"]
    value: Any
    updated: str | None


def env(app=None) -> EnvService:
    return app_service("m3m.env", lambda app: EnvService(app.m3m.db), app)


def check_key(key: str) -> str:
    if not KEY.match(key) or len(key) > 128:
        raise invalid("key", "use letters, digits and _, not starting with a digit (at most 128)")
    return key


@blueprint.get("/api/projects/<pid>/env")
@tag(["env"])
@answers(200, list[Variable])
async def list_env(pid: str):
    """The project's variables: [{key, type, value}]."""
    project, _ = await require_project(pid)
    return [public_var(doc) for doc in await env().list(project["id"])]


@blueprint.put("/api/projects/<pid>/env/<key>")
@tag(["env"])
@answers(200, Variable)
@body(VariableIn)
async def put_env(pid: str, key: str, data: VariableIn):
    """Create or replace a variable; a value that does not fit its type is a 422."""
    project, _ = await require_project(pid)
    check_key(key)
    try:
        value = coerce(data.type, data.value)
    except ValueError as exc:
        raise invalid("value", str(exc)) from None
    return public_var(await env().put(project["id"], key, data.type, value))


@blueprint.delete("/api/projects/<pid>/env/<key>")
@tag(["env"])
@answers(204)
async def delete_env(pid: str, key: str):
    project, _ = await require_project(pid)
    if not await env().delete(project["id"], key):
        raise not_found("variable")
    return "", 204
