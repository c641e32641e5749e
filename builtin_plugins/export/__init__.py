"""Project export/import: one archive with a project's documents (whatever plugins declare) and
files, imported into another m3m under a free slug."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_add_hookspecs(pm):
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def m3m_settings():
    from .settings import ExportSettings

    return {"export": ExportSettings}


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .service import scratch_dir

    for leftover in scratch_dir(app).glob("*"):  # exports and imports a crash interrupted
        leftover.unlink(missing_ok=True)
