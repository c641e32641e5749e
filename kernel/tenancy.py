"""Projects as every feature sees them: `{pid}` (id or slug) -> the project, if the caller may reach it.

The projects plugin answers m3m_resolve_project and keeps each project's members, the one list
of project access. The rule of who reaches what lives here once (`reach`), so every feature
refuses the same callers the same way, and the project list shows exactly the projects the
same rule lets through:
- root reaches every project;
- a user reaches the projects whose members include them;
- a project's API key reaches that project's endpoints, never its settings.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from quart import current_app, has_request_context, request

from .cache import TTL
from .errors import Refused
from .plugins import first_result
from .security import Principal, require_principal


def reach(principal: Principal) -> tuple[str, str] | None:
    """The projects `principal` reaches: None for every project, ("id", project id) for an API
    key's own project, ("members", user id) for the projects listing the user as a member."""
    if principal.kind == "api_key":
        return "id", principal.project_id
    if principal.is_root:
        return None
    return "members", principal.id


def may_reach(principal: Principal, project: dict) -> bool:
    rule = reach(principal)
    if rule is None:
        return True
    field, value = rule
    return project["id"] == value if field == "id" else value in project.get("members", ())


async def resolve_project(ref: str) -> dict | None:
    """The project named by id or slug, as {id, slug, name, color, members, ...}, or None.

    Found once per request (a plugin's before-request function and the route both ask, before
    the route changes anything; a route that changes its project answers from its own write)."""
    app = current_app._get_current_object()
    found = request.__dict__.setdefault("m3m_projects", {}) if has_request_context() else {}
    if ref not in found:
        found[ref] = await first_result(app.m3m.pm.hook.m3m_resolve_project(app=app, ref=ref))
    return found[ref]


async def require_project(ref: str, *, settings: bool = False) -> tuple[dict, Principal]:
    """The project and the caller, or 401/403/404. `settings=True` refuses API keys.

    A project the caller may not see answers 404, as if it did not exist.
    """
    principal = await require_principal()
    project = await resolve_project(ref)
    if project is None or not may_reach(principal, project):
        raise Refused(404, "project not found")
    if settings and principal.kind == "api_key":
        raise Refused(403, "an API key cannot change the project's settings")
    return project, principal


def while_reachable(project_id: str, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A long answer of project `project_id` (a server-sent event stream) for the current caller,
    ended as soon as that caller may no longer reach the project. A stream is opened once and
    can stay open for days: the caller is asked again (its credential through m3m_authenticate,
    then `may_reach`) before a chunk goes out whenever the last answer is older than the caches'
    TTL. So a blocked or deleted user, a member taken out, a rotated API key or an expired token
    stops receiving within about a second (kernel/cache.py), instead of never. Call it within
    the route (the stream itself runs after the route has returned): it keeps the app and the
    request's credential for the asking."""
    return _while_reachable(current_app._get_current_object(), request._get_current_object(), project_id, chunks)


async def _while_reachable(app, asked_by, project_id: str, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    checked = time.monotonic()
    try:
        async for chunk in chunks:
            if time.monotonic() - checked >= TTL:
                if not await _reaches(app, asked_by, project_id):
                    return
                checked = time.monotonic()
            yield chunk
    finally:
        await chunks.aclose()  # the stream's own clean-up (it unsubscribes) runs now


async def _reaches(app, asked_by, project_id: str) -> bool:
    try:
        principal = await first_result(app.m3m.pm.hook.m3m_authenticate(request=asked_by, app=app))
    except Refused:  # a token now refused (blocked, revoked, expired) or a key no longer valid
        return False
    project = await first_result(app.m3m.pm.hook.m3m_resolve_project(app=app, ref=project_id))
    return principal is not None and project is not None and may_reach(principal, project)


async def member_projects(user_ids: list[str]) -> dict[str, list[str]]:
    """{user id: [project ids]} of the projects each user is a member of."""
    app = current_app._get_current_object()
    return await first_result(app.m3m.pm.hook.m3m_member_projects(app=app, user_ids=user_ids)) or {}


async def set_member_projects(user_id: str, project_ids: list[str]) -> None:
    """Make the user a member of exactly these projects (Refused(422) for an unknown one)."""
    app = current_app._get_current_object()
    results = app.m3m.pm.hook.m3m_set_member_projects(app=app, user_id=user_id, project_ids=project_ids)
    if await first_result(results) is None and project_ids:
        raise Refused(422, "no plugin keeps projects' members", field="permissions.projects")
