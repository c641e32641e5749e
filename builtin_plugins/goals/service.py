"""Goals and their statistics. Collections `goals` and `goal_stats`.

A goal is global (projectRef null; slug = its key) or belongs to a project (slug =
`{project-slug}-{key}`, computed on read so that renaming the project never leaves stale slugs).
Statistics are one document per (goal, project, day) for daily counters and per (goal, project)
for plain counters, grown with atomic `$inc` upserts so concurrent writers lose nothing.

References are id strings and "no project"/"no day" is "" (docs/database.md: nx-27017 matches
neither ObjectId values outside _id nor null, and lets nulls repeat in unique indexes).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from kernel.db import concurrent_change, replace_fields
from kernel.errors import Refused
from kernel.times import iso, now

MAX_KEY = 63  # characters of a goal's key
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TYPES = ("counter", "daily_counter")
MAX_STEP = 1_000_000_000  # the most one increment adds or takes
MAX_PERIOD_DAYS = 366  # the longest period statistics cover
DEFAULT_PERIOD_DAYS = 30
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_key(value: str) -> str:
    if not KEY.match(value):
        raise ValueError("use 1-63 lowercase letters, digits and dashes, starting with a letter or digit")
    return value


GLOBAL = ""  # projectRef of a global goal


def parse_day(value, name: str, default: date) -> date:
    """A day given as YYYY-MM-DD (None: the default); else a 422 naming `name`."""
    if value is None or value == "":
        return default
    if isinstance(value, str) and DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Refused(422, f"{name} must be a date YYYY-MM-DD", field=name)


def period(start, end) -> tuple[date, date]:
    """The statistics period from `from` and `to` (days or None): by default the last 30 days up
    to `to` (today); at most MAX_PERIOD_DAYS; refused with a 422 naming the field otherwise."""
    last = parse_day(end, "to", now().date())
    first = parse_day(start, "from", last - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if first > last:
        raise Refused(422, "from must not be after to", field="from")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise Refused(422, f"the period is at most {MAX_PERIOD_DAYS} days", field="from")
    return first, last


def check_step(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_STEP:
        raise Refused(422, f"the value must be an integer between -{MAX_STEP} and {MAX_STEP}", field="value")
    return value


def public_goal(doc: dict, project_slug: str | None = None) -> dict:
    project = doc.get("projectRef") or None
    return {
        "id": str(doc["_id"]),
        "name": doc["name"],
        "key": doc["key"],
        "slug": f"{project_slug}-{doc['key']}" if project and project_slug else doc["key"],
        "color": doc.get("color"),
        "type": doc["type"],
        "description": doc.get("description", ""),
        "projectRef": project,
        "allowedProjects": list(doc.get("allowedProjects", [])),
        "created": iso(doc.get("created")),
        "updated": iso(doc.get("updated")),
    }


def check_imported(doc: dict) -> None:
    """An imported goal (m3m_project_collections) has a key, and is the project's own: only a
    global goal lists the projects that may count into it."""
    check_key(doc.get("key") if isinstance(doc.get("key"), str) else "")
    if doc.get("allowedProjects"):
        raise ValueError("allowedProjects: a project's own goal lists no project")


class GoalService:
    def __init__(self, db) -> None:
        self.goals = db["goals"]
        self.stats = db["goal_stats"]

    async def ensure_indexes(self) -> None:
        # One key per project, and one in the global namespace (projectRef "").
        await self.goals.create_index([("projectRef", 1), ("key", 1)], unique=True)
        await self.stats.create_index([("goal", 1), ("project", 1), ("day", 1)], unique=True)

    async def create(self, fields: dict, project_id: str | None) -> dict:
        stamp = now()
        doc = {
            "_id": ObjectId(),
            **fields,
            "projectRef": project_id or GLOBAL,
            "allowedProjects": [] if project_id else list(fields.get("allowedProjects", [])),
            "created": stamp,
            "updated": stamp,
        }
        try:
            await self.goals.insert_one(doc)
        except DuplicateKeyError:
            raise Refused(409, "key is taken", field="key") from None
        return doc

    async def get(self, gid: ObjectId, project_id: str | None) -> dict | None:
        return await self.goals.find_one({"_id": gid, "projectRef": project_id or GLOBAL})

    async def find_key(self, key: str, project_id: str | None) -> dict | None:
        return await self.goals.find_one({"key": key, "projectRef": project_id or GLOBAL})

    async def list(self, project_id: str | None) -> list[dict]:
        query = {"projectRef": project_id or GLOBAL}
        return [doc async for doc in self.goals.find(query).sort([("key", 1)])]

    async def update(self, gid: ObjectId, changes: dict) -> dict | None:
        try:
            return await replace_fields(self.goals, {"_id": gid}, {**changes, "updated": now()})
        except DuplicateKeyError:
            raise Refused(409, "key is taken", field="key") from None

    async def delete(self, gid: ObjectId) -> None:
        await self.goals.delete_one({"_id": gid})
        await self.stats.delete_many({"goal": str(gid)})

    async def delete_project(self, project_id: str) -> None:
        """The cascade: the project's goals with their statistics, its share of global goals."""
        owned = [str(doc["_id"]) async for doc in self.goals.find({"projectRef": project_id}, {"_id": 1})]
        await self.stats.delete_many({"goal": {"$in": owned}})
        await self.stats.delete_many({"project": project_id})
        await self.goals.delete_many({"projectRef": project_id})
        await self.goals.update_many({"allowedProjects": project_id}, {"$pull": {"allowedProjects": project_id}})

    async def writable_goal(self, project: dict, ref) -> dict:
        """The goal `project` ({id, slug}) counts into, named by its id, the project's own key or
        full slug ({project-slug}-{key}), or a global goal's slug that lists the project in
        allowedProjects. The one rule for REST and $goals; refuses every other goal."""
        if not isinstance(ref, str) or not ref:
            raise Refused(422, "the goal must be a slug (a non-empty string)", field="goal")
        project_id = project["id"]
        doc = None
        if ObjectId.is_valid(ref):
            doc = await self.goals.find_one({"_id": ObjectId(ref)})
        if doc is None:
            doc = await self.find_key(ref, project_id)
        if doc is None and ref.startswith(project["slug"] + "-"):
            doc = await self.find_key(ref[len(project["slug"]) + 1:], project_id)
        if doc is None:
            doc = await self.find_key(ref, None)
        if doc is None:
            raise Refused(404, f"goal {ref!r} not found")
        if doc["projectRef"] == GLOBAL and project_id not in doc.get("allowedProjects", []):
            raise Refused(403, f"this project may not write to the global goal {doc['key']!r}")
        if doc["projectRef"] not in (GLOBAL, project_id):
            raise Refused(403, "this project may not write to another project's goal")
        return doc

    async def increment(self, goal: dict, project_id: str, value: int = 1) -> int:
        """Add `value` atomically; daily counters into today's (UTC) bucket. Returns the bucket's value."""
        check_step(value)
        key = {
            "goal": str(goal["_id"]),
            "project": project_id,
            "day": now().date().isoformat() if goal["type"] == "daily_counter" else "",
        }
        for _ in range(5):
            try:
                doc = await self.stats.find_one_and_update(
                    key, {"$inc": {"value": value}}, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                doc = None
            if doc is not None:
                return doc["value"]
            # Two first writers raced to create the bucket (nx-27017 answers None instead of
            # raising); the loser's retry finds the bucket and increments it.
        raise concurrent_change("the counter")

    async def statistics(self, goal: dict, start: date, end: date, project_id: str | None = None) -> dict:
        """Total (all time for counters; over the period for daily ones) and, for daily ones, every day."""
        query: dict = {"goal": str(goal["_id"])}
        if project_id:
            query["project"] = project_id
        if goal["type"] == "counter":
            total = sum([doc.get("value", 0) async for doc in self.stats.find(query)])
            return {"total": total}
        query["day"] = {"$gte": start.isoformat(), "$lte": end.isoformat()}
        per_day: dict[str, int] = {}
        async for doc in self.stats.find(query):
            per_day[doc["day"]] = per_day.get(doc["day"], 0) + doc.get("value", 0)
        days = []
        current = start
        while current <= end:
            days.append({"date": current.isoformat(), "value": per_day.get(current.isoformat(), 0)})
            current += timedelta(days=1)
        return {"total": sum(per_day.values()), "daily": days}
