"""Backups through the API, for root (docs/api.md "Backups", docs/operations.md)."""

from __future__ import annotations

from quart import Blueprint, send_file
from quart_schema import tag

from kernel.api import Answer, answers, disposition
from kernel.errors import forbidden, not_found
from kernel.plugins import app_service
from kernel.security import require_user

from .pause import Pause
from .service import Backups

blueprint = Blueprint("backup", __name__)


class Totals(Answer):
    collections: int
    documents: int
    files: int
    bytes: int


class Backup(Answer):
    name: str
    created: str
    size: int  # bytes of the archive
    m3mVersion: str
    totals: Totals


class BackupList(Answer):
    items: list[Backup]


def backups(app=None) -> Backups:
    return app_service("m3m.backup", Backups, app)


def pause(app=None) -> Pause:
    return backups(app).pause


async def require_root():
    principal = await require_user()
    if not principal.is_root:
        raise forbidden("backups are for the root user")


@blueprint.post("/api/backups")
@tag(["backups"])
@answers(201, Backup)
async def create_backup():
    """Make a backup now (the database and the storage tree; changes wait while it is made)."""
    await require_root()
    return await backups().create(), 201


@blueprint.get("/api/backups")
@tag(["backups"])
@answers(200, BackupList)
async def list_backups():
    """The backups kept in backup.path, newest first."""
    await require_root()
    return {"items": backups().list()}


@blueprint.get("/api/backups/<name>")
@tag(["backups"])
@answers(200, media="application/gzip")
async def download_backup(name: str):
    """Download a backup (.tar.gz)."""
    await require_root()
    path = backups().path_of(name)
    if path is None:
        raise not_found("backup")
    response = await send_file(path, mimetype="application/gzip")
    response.headers["Content-Disposition"] = disposition(name)
    return response


@blueprint.delete("/api/backups/<name>")
@tag(["backups"])
@answers(204)
async def delete_backup(name: str):
    """Delete a backup."""
    await require_root()
    if not backups().delete(name):
        raise not_found("backup")
    return "", 204
