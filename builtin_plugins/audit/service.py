"""The audit log's collection `audit`: writing entries, finding them, keeping them bounded.

Entries are written after their answer, in batches: `record` queues one, a writer task stores
what has queued every `audit.write_delay` with one `insert_many`. A request no longer waits for
its entry, and a burst of changes costs the database one write instead of one each
(docs/operations.md "Audit log", docs/performance.md). Whoever reads the log (the API, a backup's
pause, the server's stop) flushes the queue first, so what was answered is what they see."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from contextlib import asynccontextmanager
from datetime import timedelta

from bson import ObjectId
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError

from kernel.times import iso, now

log = logging.getLogger("m3m.audit")
REDACTED = "[redacted]"
DUPLICATE_KEY = 11000
RETRY_SECONDS = 5  # after a failed write of the queue


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


class AuditService:
    def __init__(self, db, settings) -> None:
        self.entries = db["audit"]
        self.settings = settings  # the [audit] section
        self.redact = {_plain(name) for name in settings.redact}
        self._task: asyncio.Task | None = None
        self._pending: list[dict] = []  # recorded, not yet stored
        self._queued = asyncio.Event()
        self._writing = asyncio.Lock()  # one insert_many at a time, so a flush waits for the one under way
        self._writer: asyncio.Task | None = None

    async def start(self) -> None:
        await self.entries.create_index([("time", -1)])
        await self.entries.create_index([("project.id", 1), ("time", -1)])
        await self.entries.create_index([("actor.id", 1), ("time", -1)])
        self._task = asyncio.create_task(self._prune_forever())
        self._writer = asyncio.create_task(self._write_forever())

    async def stop(self) -> None:
        for task in (self._task, self._writer):
            if task:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        self._writer = None
        try:
            await self.flush()
        except Exception:  # the database away at the stop: said, not in the way of the shutdown
            log.warning("audit: %d entries were not stored before the stop", len(self._pending), exc_info=True)

    async def _prune_forever(self) -> None:
        while True:
            try:
                await self.prune()
            except Exception:  # the database away for a while: try again next time
                log.warning("pruning the audit log failed", exc_info=True)
            await asyncio.sleep(self.settings.prune_every)

    async def prune(self) -> int:
        """Delete entries past the retention, then the oldest past max_entries.

        By _id, found first: nx-27017's delete_many with a range on a datetime deleted every
        document (measured; its count_documents with the same filter was right)."""
        old = {"time": {"$lt": now() - timedelta(seconds=self.settings.retention)}}
        deleted = await self._delete(self.entries.find(old, {"_id": 1}))
        excess = await self.entries.count_documents({}) - self.settings.max_entries
        if excess > 0:
            oldest = self.entries.find({}, {"_id": 1}).sort([("time", 1), ("_id", 1)]).limit(excess)
            deleted += await self._delete(oldest)
        return deleted

    async def _delete(self, cursor, batch: int = 1000) -> int:
        deleted, ids = 0, []
        async for doc in cursor:
            ids.append(doc["_id"])
            if len(ids) >= batch:
                deleted += (await self.entries.delete_many({"_id": {"$in": ids}})).deleted_count
                ids = []
        if ids:
            deleted += (await self.entries.delete_many({"_id": {"$in": ids}})).deleted_count
        return deleted

    def clean(self, value, hide_values: bool = False):
        """The value with secrets replaced and anything large kept as its size and hash."""
        value = self._redacted(value, hide_values)
        size = len(json.dumps(value, default=str))  # the order of keys changes no length: sorted only to hash
        if size > self.settings.max_value_size:
            text = json.dumps(value, default=str, sort_keys=True)
            return {"truncated": True, "size": size, "sha256": hashlib.sha256(text.encode()).hexdigest()}
        return value

    def _redacted(self, value, hide_values: bool):
        if isinstance(value, dict):
            return {
                # A NUL can be in a JSON key, never in a stored one: shown as U+FFFD.
                key.replace("\x00", "\ufffd"): REDACTED if _plain(key) in self.redact or (hide_values and key == "value")
                else self._redacted(item, hide_values)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._redacted(item, hide_values) for item in value]
        return value

    async def record(self, entry: dict) -> None:
        """Queue the entry, stamped now (when its change was answered)."""
        self._pending.append({"_id": ObjectId(), "time": now(), **entry})
        if len(self._pending) > self.settings.max_pending:  # the database away for long: keep the newest
            dropped = len(self._pending) - self.settings.max_pending
            del self._pending[:dropped]
            log.warning("audit: %d entries dropped, the database has not taken them", dropped)
        if self._writer is None:  # not started (a plain service, a command): no one would write it later
            await self.flush()
        else:
            self._queued.set()

    async def _write_forever(self) -> None:
        while True:
            await self._queued.wait()
            await asyncio.sleep(self.settings.write_delay)  # what else comes meanwhile goes in the same write
            try:
                await self.flush()
            except Exception:  # kept queued: tried again a little later (the database away, most likely)
                log.warning("audit: writing %d entries failed; trying again in %d s", len(self._pending), RETRY_SECONDS, exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    async def flush(self) -> None:
        """Store every entry queued so far (and wait for a write under way)."""
        async with self._writing:
            self._queued.clear()
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await self.entries.insert_many(batch, ordered=False)
            except ConnectionFailure:  # the database away: kept, in order, for the next write
                self._pending[:0] = batch
                if self._writer is not None:
                    self._queued.set()
                raise
            except asyncio.CancelledError:  # the server stopping: its last flush writes them
                self._pending[:0] = batch
                raise
            except BulkWriteError as exc:
                # Ids are set when queued: an entry a failed write stored already is a duplicate now.
                refused = [error for error in exc.details.get("writeErrors", []) if error.get("code") != DUPLICATE_KEY]
                if refused:
                    log.warning("audit: %d entries refused by the database: %s", len(refused), refused[0].get("errmsg"))
            except Exception:  # an entry that can never be stored must not hold back the others
                await self._store_one_by_one(batch)

    async def _store_one_by_one(self, batch: list[dict]) -> None:
        for n, entry in enumerate(batch):
            try:
                await self.entries.insert_one(entry)
            except DuplicateKeyError:
                pass
            except ConnectionFailure:
                self._pending[:0] = batch[n:]
                raise
            except Exception:
                log.warning("audit: the entry of %s %s was not stored", entry.get("method"), entry.get("path"), exc_info=True)

    @asynccontextmanager
    async def flushed(self):
        """For a backup (m3m_writes_held): the entries of every change answered before it are
        stored before it reads. The changes themselves wait for the backup's pause."""
        await self.flush()
        yield 0

    async def find_page(self, filter: dict, page: int, per_page: int) -> tuple[list[dict], int]:
        await self.flush()
        total = await self.entries.count_documents(filter)
        cursor = self.entries.find(filter).sort([("time", -1), ("_id", -1)]).skip((page - 1) * per_page).limit(per_page)
        return [public_entry(doc) async for doc in cursor], total


def public_entry(doc: dict) -> dict:
    return {
        "id": str(doc["_id"]) if isinstance(doc["_id"], ObjectId) else doc["_id"],
        "time": iso(doc["time"]),
        "actor": doc.get("actor"),
        "ip": doc.get("ip"),
        "action": doc.get("action"),
        "method": doc.get("method"),
        "path": doc.get("path"),
        "route": doc.get("route"),
        "status": doc.get("status"),
        "project": doc.get("project"),
        "target": doc.get("target"),
        "query": doc.get("query") or {},
        "request": doc.get("request"),
        "before": doc.get("before"),
        "after": doc.get("after"),
    }
