"""Who is calling: the kernel asks the m3m_authenticate hook and keeps the answer for the request.

The kernel knows no credential format: each plugin that issues credentials reads its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from quart import current_app, g, request

from .errors import Refused
from .plugins import first_result


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user, or a project's API key (kind="api_key")."""

    kind: str
    id: str
    user: dict | None = None
    is_root: bool = False
    permissions: dict = field(default_factory=dict)
    project_id: str | None = None


async def current_principal() -> Principal | None:
    if "m3m_principal" not in g:
        app = current_app._get_current_object()
        g.m3m_principal = await first_result(app.m3m.pm.hook.m3m_authenticate(request=request, app=app))
    return g.m3m_principal


async def require_principal() -> Principal:
    principal = await current_principal()
    if principal is None:
        raise Refused(401, "sign in first: send Authorization: Bearer <token>")
    return principal


async def require_user() -> Principal:
    """A signed-in user; a project API key is not enough."""
    principal = await require_principal()
    if principal.kind != "user":
        raise Refused(403, "this endpoint needs a signed-in user, not an API key")
    return principal


def login_required(func):
    """Route decorator: 401 for anonymous callers; the route reads the caller with current_principal()."""

    @wraps(func)
    async def wrapper(*args, **kwargs):
        await require_principal()
        return await func(*args, **kwargs)

    return wrapper
