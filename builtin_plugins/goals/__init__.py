"""Goals (global and per project) with statistics counters."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .routes import goals

    await goals(app).ensure_indexes()


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import goals

    await goals(app).delete_project(project_id)
