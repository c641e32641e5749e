"""Runtime control: start/stop services, their logs and typings, /bot-{pid}/ routes, and the
core runtime APIs $service, $router and $logger."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_add_hookspecs(pm):
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def m3m_settings():
    from .settings import RuntimeSettings

    return {"runtime": RuntimeSettings}


@hookimpl
def m3m_blueprints(app):
    from .metrics_routes import blueprint as metrics
    from .routes import blueprint
    from .runs_routes import blueprint as runs

    return [blueprint, metrics, runs]


@hookimpl
def m3m_asgi_routes(app):
    from .routes import runtime
    from .service_routes import PREFIX, asgi_handler

    return {PREFIX: asgi_handler(runtime, app)}


@hookimpl
def m3m_content_prefixes():
    from .service_routes import PREFIX

    return [PREFIX]  # the services' pages: on server.content_uri when it is set


@hookimpl
async def m3m_startup(app):
    from .routes import runtime

    await runtime(app).open()


@hookimpl
async def m3m_shutdown(app):
    from .routes import runtime

    await runtime(app).close()


@hookimpl
async def m3m_runtime_state(app, project_id):
    from .routes import runtime

    return await runtime(app).release_state(project_id)


@hookimpl(optionalhook=True)
def m3m_writes_held(app, timeout):
    from .routes import runtime

    return runtime(app).supervisor.writes_held_back(timeout)


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import runtime

    await runtime(app).forget(project_id)


@hookimpl(optionalhook=True)
def m3m_project_collections():
    # `cpu`, the project's CPU share, is the operator's to give: it never travels in an archive.
    return {"runtime_services": {"field": "project", "omit": ["pid", "startedAt", "restarts", "reason", "cpu"]}}


@hookimpl(optionalhook=True)
async def m3m_project_imported(app, project_id, user_id):
    from .routes import runtime

    await runtime(app).resume(project_id)
