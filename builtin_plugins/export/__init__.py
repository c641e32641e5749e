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
    import shutil

    from .service import scratch_dir

    for leftover in scratch_dir(app).glob("*"):  # exports and imports a crash interrupted
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
