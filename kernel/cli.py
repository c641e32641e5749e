"""The `m3m` command: serve, plugins, and whatever plugins add through m3m_cli (new-admin, ...)."""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import cached_property

import click

from .db import Database, DatabaseUnavailable, resolve_uri
from .embedded import EmbeddedError
from .plugins import PluginError, build_plugin_manager, describe_plugins, plugins_report
from .settings import Settings, SettingsError, load_settings

# What m3m writes is the operator's alone: files 0600, folders 0700, whatever plugin or process
# writes them (the server, its child processes, the embedded database, every command), since each
# inherits the umask of the command that started it. The storage tree holds the embedded
# database's files and every plugin's secrets and data (docs/operations.md "File modes").
PRIVATE_UMASK = 0o077


class CliContext:
    """Shared by every command: the settings and a database opened for the command."""

    def __init__(self, settings_file: str | None) -> None:
        self.settings_file = settings_file

    @cached_property
    def settings(self) -> Settings:
        try:
            return load_settings(self.settings_file)
        except (SettingsError, PluginError) as exc:
            raise click.ClickException(str(exc)) from None

    @asynccontextmanager
    async def database(self):
        """The database for one command: the running embedded server's, or one started for it."""
        private_storage(self.settings)
        try:
            uri, embedded = resolve_uri(self.settings)
        except EmbeddedError as exc:
            raise click.ClickException(str(exc)) from None
        database = Database(uri, self.settings.mongodb.database, self.settings.mongodb.timeout)
        try:
            await database.check()
            yield database
        except DatabaseUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await database.close()
            if embedded:
                embedded.stop()


class M3mGroup(click.Group):
    """Plugins' commands are added when the group is first asked for its commands."""

    _loaded = False

    def _load_plugin_commands(self, ctx: click.Context) -> None:
        if self._loaded:
            return
        self._loaded = True
        blocked = ()
        try:
            blocked = load_settings(ctx.params.get("settings_file")).plugins.blocked
        except (SettingsError, PluginError):
            pass  # the command itself will report it
        try:
            pm = build_plugin_manager(blocked)
        except PluginError as exc:
            raise click.ClickException(str(exc)) from None
        pm.hook.m3m_cli(cli=self)

    def list_commands(self, ctx):
        self._load_plugin_commands(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._load_plugin_commands(ctx)
        return super().get_command(ctx, name)


@click.group(cls=M3mGroup)
@click.option(
    "--settings",
    "settings_file",
    # No checks by click here: its usage error takes four lines; load_settings says it in one.
    type=str,
    metavar="FILE",
    envvar="M3M_SETTINGS",
    help="A TOML file whose keys override settings.toml.",
)
@click.pass_context
def cli(ctx: click.Context, settings_file: str | None) -> None:
    """m3m: write, version, run and observe small JavaScript services."""
    os.umask(PRIVATE_UMASK)
    ctx.obj = CliContext(settings_file)


def private_storage(settings: Settings) -> None:
    """The storage root made, or made private again: 0700 (a tree an older m3m made is 0755, its
    files 0644; with the root closed, other users reach none of them)."""
    root = settings.storage.path
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(root, 0o700)
    except PermissionError:  # not this user's folder (a mount): say so, and go on
        click.echo(f"warning: {root} is not this user's: cannot make it private (chmod 700 it)", err=True)


@cli.command()
@click.pass_obj
def serve(obj: CliContext) -> None:
    """Start the server (and the embedded database when mongodb.uri is "embedded")."""
    settings = obj.settings
    _log_to_terminal()
    private_storage(settings)
    # The app's modules load in a thread while the embedded database (its own Python process)
    # starts, rather than one after the other (docs/performance.md "Autostart"). The database
    # is started from this thread: its PR_SET_PDEATHSIG follows the thread that spawned it.
    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(importlib.import_module, "kernel.app")
        try:
            uri, embedded = resolve_uri(settings)
        except EmbeddedError as exc:
            raise click.ClickException(str(exc)) from None
        create_app = loading.result().create_app
    from .http_server import StartupFailed

    if embedded:
        click.echo(f"embedded database (nx-27017) at {uri}, data in {embedded.data_dir}")
    try:
        app = create_app(settings, uri)
        app.before_serving(_freeze_startup_objects)  # after the kernel's startup: registered after it
        asyncio.run(_serve(app, settings))
    except (DatabaseUnavailable, PluginError) as exc:
        raise click.ClickException(str(exc)) from None
    except StartupFailed as exc:
        # A startup hook raised: Quart has logged its traceback; say once, plainly, that we stop.
        raise click.ClickException(f"the server did not start: {exc}") from None
    finally:
        if embedded:
            embedded.stop()
            click.echo("embedded database stopped")


async def _freeze_startup_objects() -> None:
    """What exists once the server has started (modules, the app, the plugins: ~90,000 objects)
    lives as long as the process. Frozen, a full collection no longer walks it: before, each
    took 60-80 ms, every few seconds under load, with every request in flight waiting
    (docs/performance.md "Tail latency"). Only the serving process does this, not tests that
    build many apps in one process."""
    gc.freeze()


def _log_to_terminal() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"))
    logger = logging.getLogger("m3m")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


async def _serve(app, settings: Settings) -> None:
    from .http_server import serve as serve_http

    await app.m3m.db.check()  # one clear line now, rather than a failed lifespan later
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    click.echo(f"m3m is running at {settings.server.uri} (listening on {settings.server.host}:{settings.server.port})")
    server = settings.server
    await serve_http(app, server.host, server.port, stop, max_head=server.max_head, head_timeout=server.head_timeout)


@cli.command("plugins")
@click.pass_obj
def plugins_command(obj: CliContext) -> None:
    """List the loaded plugins with their versions and hooks."""
    try:
        pm = build_plugin_manager(obj.settings.plugins.blocked)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None
    for row in describe_plugins(pm):
        click.echo(f"{row['name']:<16} {row['source']:<10} {row['version']:<14} {', '.join(row['hooks'])}")
    for key, rows in asyncio.run(plugins_report(pm, obj.settings)).items():
        click.echo(f"\n{key}:")
        for row in rows:
            label = row.get("name") or row.get("file", "?")
            where = row.get("file", "")
            if row.get("status") == "broken":
                click.echo(f"{label:<16} broken     {where}: {row.get('reason', '')}")
            else:
                functions = ", ".join(f["name"] for f in row.get("manifest", {}).get("functions", []) if isinstance(f, dict))
                click.echo(f"{label:<16} {row.get('status', ''):<10} {row.get('version', ''):<14} {where}  {functions}")


@cli.command("settings")
@click.pass_obj
def settings_command(obj: CliContext) -> None:
    """Print every settings section (the kernel's and the plugins') with the values in effect, as
    TOML: durations in seconds, sizes in bytes."""
    for section, values in obj.settings.model_dump(mode="json", exclude={"source_file"}).items():
        if not isinstance(values, dict):
            continue
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value)}")
        click.echo()


def main() -> None:
    cli(prog_name="m3m")


if __name__ == "__main__":
    sys.exit(main())
