"""While a backup reads the database, changes through the API wait (so the archive does not hold
half of a change), and the backup waits for the changes in flight to end; so do the writes of
services, through the m3m_writes_held hook (the runtime holds every worker's writes).

The server pauses itself for a backup it makes (POST /api/backups, the schedule). `m3m backup`
in another process asks through files in {storage.path}: it writes `.backup-pause` (its pid),
each running server (`.server-{pid}`) answers with `.backup-paused-{pid}` once nothing is in
flight, and removes it when the pause file is gone. A pause whose process died is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path

from quart import Blueprint, current_app, g, request

from kernel.errors import Refused, envelope

log = logging.getLogger("m3m.backup")
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
gate = Blueprint("backup_gate", __name__)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class Pause:
    """One per server: the changes in flight, and whether a backup holds them back."""

    def __init__(self, storage: Path, holders: Callable[[float], list] = lambda timeout: [], timeout: float = 30.0) -> None:
        self.storage = Path(storage)
        self.timeout = timeout  # how long a pause waits for the writes under way (backup.pause_timeout)
        self.holders = holders  # holders(timeout): async context managers holding other writes (m3m_writes_held)
        self._held: AsyncExitStack | None = None
        self.file = self.storage / ".backup-pause"
        self.marker = self.storage / f".server-{os.getpid()}"
        self.answer = self.storage / f".backup-paused-{os.getpid()}"
        self.in_flight = 0
        self.own = 0  # pauses of this server's own backups
        # Whether `m3m backup` asks for a pause, as the poller (_answer_forever) last read it: a
        # change reads this flag, not the file. The backup waits for this server's answer, and
        # the flag is up before the answer is written, so no change starts after the answer.
        self.asked = False
        self._task: asyncio.Task | None = None

    def requested(self) -> bool:
        return bool(self.own) or self.asked

    def _asked_by_file(self) -> bool:
        pid = _pid_in(self.file)
        if pid is None:
            return False
        if not alive(pid):  # a backup that died: its pause ends with it
            self.file.unlink(missing_ok=True)
            return False
        return True

    async def start(self) -> None:
        self.storage.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(str(os.getpid()))
        self._task = asyncio.create_task(self._answer_forever())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self._let_go()
        self.marker.unlink(missing_ok=True)
        self.answer.unlink(missing_ok=True)

    async def _answer_forever(self) -> None:
        while True:
            self.asked = self.file.exists() and self._asked_by_file()
            if self.asked and self.in_flight == 0:
                if not self.answer.exists():
                    await self._let_go()
                    self._held = AsyncExitStack()
                    await self._hold_others(self._held, self.timeout / 2)  # answered before `m3m backup` gives up
                    self.answer.write_text(str(os.getpid()))
            elif self.answer.exists() and not self.file.exists():
                self.answer.unlink(missing_ok=True)
                await self._let_go()
            await asyncio.sleep(0.05)

    async def _hold_others(self, stack: AsyncExitStack, timeout: float) -> int:
        """Services' writes wait too (m3m_writes_held), until `stack` closes; answers how many
        were still under way after `timeout`."""
        left = 0
        for holder in self.holders(timeout):
            left += await stack.enter_async_context(holder) or 0
        if left:
            log.warning("backup: %d writes of services were still under way after %.0f s", left, timeout)
        return left

    async def _let_go(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            await held.aclose()

    async def wait_until_free(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.requested():
            if time.monotonic() > deadline:
                error = Refused(503, "a backup is being made; try again shortly", code="backup_in_progress")
                error.retry_after = 5
                raise error
            await asyncio.sleep(0.05)

    @asynccontextmanager
    async def paused(self, timeout: float):
        """This server's own backup: hold new changes, wait for those in flight (but this one)."""
        self.own += 1
        try:
            deadline = time.monotonic() + timeout
            while self.in_flight > 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            async with AsyncExitStack() as held:
                await self._hold_others(held, max(deadline - time.monotonic(), 1.0))
                yield
        finally:
            self.own -= 1


def _changes() -> bool:
    return request.method in CHANGES and request.path.startswith("/api/") and request.endpoint not in (
        "backup.create_backup",)


@gate.before_app_request
async def _hold():
    if not _changes():
        return
    from .routes import pause

    try:
        await pause().wait_until_free(current_app.m3m.settings.backup.pause_timeout)
    except Refused as exc:
        response = envelope(exc.status, exc.message, exc.code)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    pause().in_flight += 1
    g.m3m_backup_counted = True


@gate.teardown_app_request
async def _release(exc) -> None:
    if g.get("m3m_backup_counted"):
        from .routes import pause

        pause().in_flight -= 1


@contextmanager
def paused_servers(storage: Path, timeout: float = 30):
    """For `m3m backup` in its own process: pause every running server of this storage, wait for
    each one's answer, yield the pids of those that answered, then end the pause."""
    storage = Path(storage)
    pause_file = storage / ".backup-pause"
    storage.mkdir(parents=True, exist_ok=True)
    holder = _pid_in(pause_file)
    if holder and holder != os.getpid() and alive(holder):
        raise RuntimeError(f"another backup (pid {holder}) is being made")
    pause_file.write_text(f"{os.getpid()} {time.time()}")
    try:
        servers = [pid for pid in (_pid_in(m) for m in storage.glob(".server-*")) if pid and alive(pid)]
        deadline = time.monotonic() + timeout
        waiting = set(servers)
        while waiting and time.monotonic() < deadline:
            waiting = {pid for pid in waiting if alive(pid) and not (storage / f".backup-paused-{pid}").exists()}
            time.sleep(0.05)
        if waiting:
            raise RuntimeError(f"the server (pid {sorted(waiting)}) did not pause within {timeout:.0f} s")
        yield servers
    finally:
        pause_file.unlink(missing_ok=True)
