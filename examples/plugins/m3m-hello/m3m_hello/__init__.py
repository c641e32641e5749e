"""m3m-hello: hookimpls only, each importing what it needs when called (m3m imports every
plugin at start, in the server and in each worker: a plugin's import should cost nothing)."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import HelloSettings

    return {"hello": HelloSettings}  # the [hello] section; M3M_HELLO__GREETING overrides it


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]
