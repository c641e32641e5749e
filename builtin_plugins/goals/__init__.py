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


@hookimpl(optionalhook=True)
def m3m_project_collections():
    from .service import check_imported

    # Statistics of the project's own goals; its counts in global goals stay with the instance.
    return {"goals": {"field": "projectRef", "check": check_imported},
            "goal_stats": {"field": "project", "references": {"goal": "goals"}}}
