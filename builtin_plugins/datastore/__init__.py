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


@hookimpl(optionalhook=True)
async def m3m_service_notice(app, project_id, topic, data):
    from .binding import NOTICE
    from .routes import events, models

    if topic != NOTICE or not isinstance(data, dict) or data.get("action") not in ("create", "update", "delete"):
        return
    # Only a model of the service's own project: a worker is not trusted with another's stream.
    model = next((model for model in (await models(app).by_slug(project_id)).values() if model["_id"] == data.get("model")), None)
    if model is not None and isinstance(data.get("record"), dict):
        events(app).publish(model, data["action"], data["record"])


@hookimpl(optionalhook=True)
def m3m_project_collections():
    # The project's models, and every record of each (one collection per model: records.collection).
    return {"datastore_models": {"field": "projectRef"}, "records_{id}": {"each": "datastore_models"}}
