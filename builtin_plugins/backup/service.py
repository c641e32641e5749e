"""Backups kept by the server in backup.path: made on request or on a schedule, listed, pruned."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path

from .archive import make_backup
from .pause import Pause

log = logging.getLogger("m3m.backup")
# ASCII digits only, the whole name (fullmatch: "$" alone would let a trailing newline in).
NAME = re.compile(r"m3m-[0-9]{8}-[0-9]{6}-[0-9]{6}\.tar\.gz")


def transient_collections(pm) -> frozenset[str]:
    """The collections the plugins declare transient (m3m_transient_collections): left out."""
    return frozenset(name for names in pm.hook.m3m_transient_collections() for name in names or ())


def backups_dir(settings) -> Path:
    return Path(settings.backup.path) if settings.backup.path else Path(settings.storage.path) / "backups"


class Backups:
    def __init__(self, app) -> None:
        self.app = app
        self.settings = app.m3m.settings
        self.folder = backups_dir(self.settings)
        self.pause = Pause(self.settings.storage.path, self._holders, self.settings.backup.pause_timeout)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    def _holders(self, timeout: float) -> list:
        """What holds the writes made outside the API (services') while a backup reads."""
        return [held for held in self.app.m3m.pm.hook.m3m_writes_held(app=self.app, timeout=timeout) if held is not None]

    async def start(self) -> None:
        await self.pause.start()
        for partial in self.folder.glob("*.partial"):  # left by a crash in the middle of one
            partial.unlink(missing_ok=True)
        if self.settings.backup.every:
            self._task = asyncio.create_task(self._on_schedule())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.pause.stop()

    async def _on_schedule(self) -> None:
        every = self.settings.backup.every
        while True:
            latest = self.list()
            age = (datetime.now(timezone.utc) - datetime.fromisoformat(latest[0]["created"])).total_seconds() if latest else every
            await asyncio.sleep(max(every - age, 0))
            try:
                await self.create()
            except Exception:
                log.exception("the scheduled backup failed")
                await asyncio.sleep(min(every, 300))

    async def create(self) -> dict:
        """A new backup in the folder, changes through the API paused while it is made."""
        async with self._lock:
            name = datetime.now(timezone.utc).strftime("m3m-%Y%m%d-%H%M%S-%f.tar.gz")
            target = self.folder / name
            async with self.pause.paused(self.settings.backup.pause_timeout):
                manifest = await asyncio.to_thread(
                    make_backup, self.app.m3m.db.uri, self.settings.mongodb.database, self.settings.storage.path,
                    target, self.settings.backup.exclude, transient_collections(self.app.m3m.pm))
            entry = describe(target, manifest)
            (self.folder / f"{name}.json").write_text(json.dumps(entry))
            self.prune()
            return entry

    def list(self) -> list[dict]:
        entries = []
        for sidecar in self.folder.glob("m3m-*.tar.gz.json"):
            archive = sidecar.with_suffix("")
            if NAME.fullmatch(archive.name) and archive.is_file():
                try:
                    entries.append(json.loads(sidecar.read_text()))
                except ValueError:
                    continue
        return sorted(entries, key=lambda entry: entry["name"], reverse=True)

    def path_of(self, name: str) -> Path | None:
        path = self.folder / name
        return path if NAME.fullmatch(name) and path.is_file() else None

    def delete(self, name: str) -> bool:
        path = self.path_of(name)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        (self.folder / f"{name}.json").unlink(missing_ok=True)
        return True

    def prune(self) -> None:
        for entry in self.list()[self.settings.backup.keep:]:
            self.delete(entry["name"])


def describe(archive: Path, manifest: dict) -> dict:
    return {"name": archive.name, "created": manifest["created"], "size": archive.stat().st_size,
            "m3mVersion": manifest["m3mVersion"], "totals": manifest["totals"]}
