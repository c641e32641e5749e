"""The data store: a project's typed models, their records through REST (PocketBase's filter
grammar, compiled in filter.py), and `$database.<model>` for services (docs/datastore.md)."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_add_hookspecs(pm):
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def m3m_settings():
    from .settings import DatastoreSettings

    return {"datastore": DatastoreSettings}


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .routes import models

    await models(app).ensure_indexes()


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import models

    await models(app).delete_project(project_id)
