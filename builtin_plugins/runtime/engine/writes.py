"""The write gate of a worker: while a backup reads the database and the files, the host
operations that change stored state (each binding names them: `Binding.writes`) wait at the
gate, and the backup waits for those already past it. A service keeps answering meanwhile: its
reads, its outgoing HTTP and its timers go on; only its writes are held, for as long as the
backup reads (docs/operations.md "Consistency")."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager


class WriteGate:
    def __init__(self, held: bool = False) -> None:
        self.open = asyncio.Event()
        if not held:
            self.open.set()
        self.passing = 0  # writes past the gate, not yet done
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def held(self) -> bool:
        return not self.open.is_set()

    @asynccontextmanager
    async def write(self):
        """Around one write: waits while the gate is held."""
        while not self.open.is_set():
            await self.open.wait()
        self.passing += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.passing -= 1
            if self.passing == 0:
                self._idle.set()

    def shut(self) -> None:
        self.open.clear()

    async def hold(self, timeout: float) -> int:
        """Close the gate, wait up to `timeout` for the writes past it; answers how many are left."""
        self.shut()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.passing

    def release(self) -> None:
        self.open.set()
