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
    from kernel.errors import Refused
    from kernel.security import Principal

    from .routes import projects

    doc = await projects(app).by_api_key(api_key)
    if doc is None:
        raise Refused(401, "the API key is not valid", code="invalid_api_key")
    return Principal(kind="api_key", id=str(doc["_id"]), project_id=str(doc["_id"]))


@hookimpl
async def m3m_resolve_project(app, ref):
    from .routes import projects
    from .service import public_project

    doc = await projects(app).find(ref)
    return public_project(doc) if doc else None


@hookimpl
async def m3m_member_projects(app, user_ids):
    from .routes import projects

    return await projects(app).member_projects(user_ids)


@hookimpl
async def m3m_set_member_projects(app, user_id, project_ids):
    from .routes import projects

    await projects(app).set_member_projects(user_id, project_ids)
    return True


@hookimpl
async def m3m_user_deleted(app, user_id):
    from .routes import projects

    await projects(app).remove_member(user_id)


@hookimpl(optionalhook=True)
def m3m_project_collections():
    from .routes import check_imported

    # The API key's hash is never exported (the copy gets a key of its own when asked), nor the
    # members and creator: users of this instance; m3m_project_imported makes the importer both.
    return {"projects": {"field": "_id", "omit": ["apiKeyHash", "members", "createdBy"], "unique": "slug",
                         "check": check_imported}}


@hookimpl(optionalhook=True)
async def m3m_project_imported(app, project_id, user_id):
    from .routes import projects

    await projects(app).adopt(project_id, user_id)
