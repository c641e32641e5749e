"""Runtime control: start/stop services, their logs and typings, /bot-{pid}/ routes, and the
core runtime APIs $service, $router and $logger."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


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

    live = runtime(app).supervisor.state(project_id)
    if live:
        return {"release": live["release"], "running": live["state"] == "running"}
    stored = await runtime(app).stored(project_id)
    return {"release": stored.get("release"), "running": False} if stored else None


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import runtime

    await runtime(app).forget(project_id)


@hookimpl
def m3m_runtime_bindings(ctx):
    from .runtime import binding

    return binding(ctx)


@hookimpl
def m3m_runtime_typings(project):
    from .runtime import TYPINGS

    return TYPINGS
