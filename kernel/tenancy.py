"""Projects as every feature sees them: `{pid}` (id or slug) -> the project, if the caller may reach it.

The projects plugin answers m3m_resolve_project; the kernel applies the access rules here once,
so goals, env, storage, pipeline and runtime all refuse the same callers the same way:
- root reaches every project;
- a user reaches projects they are a member of or were granted (permissions.projects);
- a project's API key reaches that project's data and runtime endpoints, never its settings.
"""

from __future__ import annotations

from quart import current_app

from .errors import ApiError
from .plugins import first_result
from .security import Principal, require_principal


async def resolve_project(ref: str) -> dict | None:
    """The project named by id or slug, as {id, slug, name, color, members, ...}, or None."""
    app = current_app._get_current_object()
    return await first_result(app.m3m.pm.hook.m3m_resolve_project(app=app, ref=ref))


def may_reach(principal: Principal, project: dict) -> bool:
    if principal.kind == "api_key":
        return principal.project_id == project["id"]
    return (
        principal.is_root
        or principal.id in project.get("members", ())
        or project["id"] in principal.permissions.get("projects", ())
    )


async def require_project(ref: str, *, settings: bool = False) -> tuple[dict, Principal]:
    """The project and the caller, or 401/403/404. `settings=True` refuses API keys.

    A project the caller may not see answers 404, as if it did not exist.
    """
    principal = await require_principal()
    project = await resolve_project(ref)
    if project is None or not may_reach(principal, project):
        raise ApiError(404, "project not found")
    if settings and principal.kind == "api_key":
        raise ApiError(403, "an API key cannot change the project's settings")
    return project, principal
