"""`m3m backup FILE` (while the server runs, or not) and `m3m restore FILE [--force]`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from kernel.plugins import build_plugin_manager

from .archive import ArchiveError, make_backup, restore
from .pause import alive, paused_servers
from .service import transient_collections


def _running_servers(storage: Path) -> list[int]:
    pids = []
    for marker in Path(storage).glob(".server-*"):
        try:
            pid = int(marker.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if alive(pid):
            pids.append(pid)
    return pids


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup_command(obj, file: Path) -> None:
    """Write a backup of the database and the storage tree to FILE (.tar.gz)."""
    settings = obj.settings
    transient = transient_collections(build_plugin_manager(settings.plugins.blocked))

    async def run():
        async with obj.database() as db:
            try:
                with paused_servers(settings.storage.path, settings.backup.pause_timeout):
                    return await asyncio.to_thread(make_backup, db.uri, settings.mongodb.database,
                                                   settings.storage.path, file, settings.backup.exclude, transient)
            except (RuntimeError, ArchiveError, OSError) as exc:
                raise click.ClickException(str(exc)) from None

    manifest = asyncio.run(run())
    totals = manifest["totals"]
    click.echo(f"backed up {totals['documents']} documents in {totals['collections']} collections and"
               f" {totals['files']} files ({totals['bytes']} bytes) to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace whatever this instance holds.")
@click.pass_obj
def restore_command(obj, file: Path, force: bool) -> None:
    """Restore a backup into this instance (stopped, and empty unless --force)."""
    settings = obj.settings
    transient = transient_collections(build_plugin_manager(settings.plugins.blocked))
    running = _running_servers(settings.storage.path)
    if running:
        raise click.ClickException(f"m3m serve is running on this storage (pid {running[0]}); stop it first")

    async def run():
        async with obj.database() as db:
            try:
                return await asyncio.to_thread(restore, db.uri, settings.mongodb.database, settings.storage.path,
                                               file, settings.backup.exclude, force,
                                               max_bytes=settings.backup.max_restore_size,
                                               max_members=settings.backup.max_restore_members, transient=transient)
            except (ArchiveError, OSError) as exc:
                raise click.ClickException(str(exc)) from None

    manifest = asyncio.run(run())
    totals = manifest["totals"]
    click.echo(f"restored {totals['documents']} documents in {totals['collections']} collections and"
               f" {totals['files']} files from the backup of {manifest['created']}; start with m3m serve")
