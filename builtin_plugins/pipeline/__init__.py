"""Service code: branches with drafts, immutable releases, the starter template."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import PipelineSettings

    return {"pipeline": PipelineSettings}


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .routes import pipeline

    await pipeline(app).ensure_indexes()


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import pipeline

    await pipeline(app).delete_project(project_id)


@hookimpl(optionalhook=True)  # the runtime's hook: absent while the runtime is blocked
async def m3m_release(app, project_id, version):
    from .routes import pipeline

    doc = await pipeline(app).release(project_id, version)
    return {"version": doc["version"], "code": doc["code"]} if doc else None


@hookimpl(optionalhook=True)
def m3m_project_collections():
    # A release's author is a label (name, email); the id of a user of this instance is left out.
    return {"pipeline_branches": {"field": "project"}, "pipeline_releases": {"field": "project", "omit": ["author.id"]}}
