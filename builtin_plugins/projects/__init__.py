"""Projects: the unit every feature hangs off; members, API keys and the delete cascade."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .routes import projects

    await projects(app).ensure_indexes()


@hookimpl
async def m3m_authenticate(request, app):
    api_key = request.headers.get("X-API-Key", "").strip()
    if not api_key:
        return None
    from kernel.errors import ApiError
    from kernel.security import Principal

    from .routes import projects

    doc = await projects(app).by_api_key(api_key)
    if doc is None:
        raise ApiError(401, "the API key is not valid", code="invalid_api_key")
    return Principal(kind="api_key", id=str(doc["_id"]), project_id=str(doc["_id"]))


@hookimpl
async def m3m_resolve_project(app, ref):
    from .routes import projects
    from .service import public_project

    doc = await projects(app).find(ref)
    return public_project(doc) if doc else None
