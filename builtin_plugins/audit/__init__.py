"""The audit log: every change made through the API, recorded with who, when, from where, and
the before/after of small values (never a password or key); `GET /api/audit`."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import AuditSettings

    return {"audit": AuditSettings}


@hookimpl
def m3m_blueprints(app):
    from .recorder import recorder
    from .routes import blueprint

    return [blueprint, recorder]


@hookimpl
async def m3m_startup(app):
    from .routes import audit

    await audit(app).start()


@hookimpl
async def m3m_shutdown(app):
    from .routes import audit

    await audit(app).stop()


@hookimpl(optionalhook=True)
def m3m_writes_held(app, timeout):
    from .routes import audit

    return audit(app).flushed()
