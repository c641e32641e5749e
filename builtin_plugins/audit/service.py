"""The audit log's collection `audit`: writing entries, finding them, keeping them bounded."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from datetime import timedelta

from bson import ObjectId

from kernel.times import iso, now

log = logging.getLogger("m3m.audit")
REDACTED = "[redacted]"


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


class AuditService:
    def __init__(self, db, settings) -> None:
        self.entries = db["audit"]
        self.settings = settings  # the [audit] section
        self.redact = {_plain(name) for name in settings.redact}
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.entries.create_index([("time", -1)])
        await self.entries.create_index([("project.id", 1), ("time", -1)])
        await self.entries.create_index([("actor.id", 1), ("time", -1)])
        self._task = asyncio.create_task(self._prune_forever())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

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
        text = json.dumps(value, default=str, sort_keys=True)
        if len(text) > self.settings.max_value_size:
            return {"truncated": True, "size": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}
        return value

    def _redacted(self, value, hide_values: bool):
        if isinstance(value, dict):
            return {
                key: REDACTED if _plain(key) in self.redact or (hide_values and key == "value")
                else self._redacted(item, hide_values)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._redacted(item, hide_values) for item in value]
        return value

    async def record(self, entry: dict) -> None:
        await self.entries.insert_one({"time": now(), **entry})

    async def find_page(self, filter: dict, page: int, per_page: int) -> tuple[list[dict], int]:
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
