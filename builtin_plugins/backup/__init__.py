"""Backups: `m3m backup` / `m3m restore`, and /api/backups with a schedule and a retention count."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_add_hookspecs(pm):
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def m3m_settings():
    from .settings import BackupSettings

    return {"backup": BackupSettings}


@hookimpl
def m3m_blueprints(app):
    from .pause import gate
    from .routes import blueprint

    return [blueprint, gate]


@hookimpl
async def m3m_startup(app):
    from .routes import backups

    await backups(app).start()


@hookimpl
async def m3m_shutdown(app):
    from .routes import backups

    await backups(app).stop()


@hookimpl
def m3m_cli(cli):
    from .cli import backup_command, restore_command

    cli.add_command(backup_command)
    cli.add_command(restore_command)
