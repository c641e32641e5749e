"""A short-lived cache of what nearly every request reads again from the database: who a
credential speaks for, the project named in the path, the project's own definitions. One rule
for all of them, here:

- an entry lives `TTL` seconds at most, so a change this process did not make (another process
  writing the same database: `m3m restore`, a second server) shows within that time;
- the code that writes the cached thing calls `clear()` on its cache after the write, so in this
  process a change is seen by the very next request (a blocked user, a revoked key, a changed
  member list or definition);
- a read that began before a `clear()` does not store what it read (it may be the old state),
  and nothing is stored for a miss (None), so a thing created meanwhile is found at once.

The cached values are shared between requests: callers read them and never change them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

TTL = 1.0  # seconds: how stale a change made by another process may be seen
SIZE = 4096  # entries kept at most; past it the cache starts again empty


class ShortCache:
    def __init__(self, ttl: float = TTL, size: int = SIZE) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict[Hashable, tuple[float, Any]] = {}
        self.generation = 0  # moved on by every clear(): reads begun before it store nothing

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        """The value for `key`: a fresh cached one, else `await load()` (stored unless None)."""
        entry = self.entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        generation = self.generation
        value = await load()
        if value is not None and generation == self.generation:
            if len(self.entries) >= self.size:
                self.entries.clear()
            self.entries[key] = (time.monotonic() + self.ttl, value)
        return value

    def clear(self) -> None:
        """Forget everything: the cached thing was written (call it after the write)."""
        self.generation += 1
        self.entries.clear()
