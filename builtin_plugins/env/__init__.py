"""Per-project environment variables, typed."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .routes import env

    await env(app).ensure_indexes()


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import env

    await env(app).delete_project(project_id)


@hookimpl(optionalhook=True)
def m3m_project_collections():
    # A json variable's value is its user's JSON, keys with $ or dots included.
    return {"env": {"field": "project", "data": ["value"]}}
