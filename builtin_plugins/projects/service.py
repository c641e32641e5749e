"""Projects: name, unique slug, color, members and a hashed API key. Collection `projects`."""

from __future__ import annotations

import hashlib
import re
import secrets

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from kernel.cache import ShortCache
from kernel.times import iso, now
from kernel.db import replace_fields
from kernel.errors import Refused, conflict

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
API_KEY_PREFIX = "m3m_"


def check_slug(value: str) -> str:
    """For pydantic validators: lowercase letters, digits and dashes, never an id look-alike."""
    if not SLUG.match(value):
        raise ValueError("use 1-63 lowercase letters, digits and dashes, starting with a letter or digit")
    if OBJECT_ID.match(value):
        raise ValueError("must not look like an id (24 hex characters)")
    return value


def slug_taken():
    return conflict("is taken by another project", field="slug")


def hash_key(api_key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough: nobody can guess one to try offline.
    return hashlib.sha256(api_key.encode()).hexdigest()


def public_project(doc: dict) -> dict:
    return {
        "id": str(doc["_id"]),
        "name": doc["name"],
        "slug": doc["slug"],
        "color": doc.get("color"),
        "members": [str(uid) for uid in doc.get("members", [])],
        "hasApiKey": bool(doc.get("apiKeyHash")),
        "createdBy": str(doc["createdBy"]) if doc.get("createdBy") else None,
        "created": iso(doc.get("created")),
        "updated": iso(doc.get("updated")),
    }


class ProjectService:
    def __init__(self, db) -> None:
        self.projects = db["projects"]
        # Projects by id, slug or API key, read once a second at most (kernel/cache.py): each
        # write below clears it, so a new key, a rename or a member taken out counts at once.
        self.known = ShortCache()

    async def ensure_indexes(self) -> None:
        await self.projects.create_index("slug", unique=True)
        await self.projects.create_index("apiKeyHash", unique=True, sparse=True)

    async def find(self, ref: str) -> dict | None:
        """By id or slug (slugs never look like ids, so the two cannot be confused)."""
        if OBJECT_ID.match(ref):
            try:
                pid = ObjectId(ref)
            except InvalidId:
                return None
            return await self.known.get(("id", ref), lambda: self.projects.find_one({"_id": pid}))
        return await self.known.get(("slug", ref), lambda: self.projects.find_one({"slug": ref}))

    async def create(self, name: str, slug: str, color: str | None, creator: str | None) -> dict:
        stamp = now()
        doc = {
            "_id": ObjectId(),
            "name": name,
            "slug": slug,
            "color": color,
            "members": [creator] if creator else [],
            "createdBy": creator,
            "created": stamp,
            "updated": stamp,
        }
        try:
            await self.projects.insert_one(doc)
        except DuplicateKeyError:
            raise slug_taken() from None
        self.known.clear()
        return doc

    async def update(self, pid: ObjectId, changes: dict) -> dict | None:
        try:
            return await replace_fields(self.projects, {"_id": pid}, {**changes, "updated": now()})
        except DuplicateKeyError:
            raise slug_taken() from None
        finally:
            self.known.clear()

    async def new_api_key(self, pid: ObjectId) -> str:
        """A fresh key; only its hash is stored, so the old key stops working at once."""
        api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        await self.update(pid, {"apiKeyHash": hash_key(api_key)})
        return api_key

    async def by_api_key(self, api_key: str) -> dict | None:
        digest = hash_key(api_key)
        return await self.known.get(("key", digest), lambda: self.projects.find_one({"apiKeyHash": digest}))

    async def delete(self, pid: ObjectId) -> None:
        await self.projects.delete_one({"_id": pid})
        self.known.clear()

    @staticmethod
    def reach_filter(rule: tuple[str, str] | None) -> dict:
        """kernel.tenancy.reach as a query: the projects that rule lets through."""
        if rule is None:
            return {}
        field, value = rule
        if field == "id":
            return {"_id": ObjectId(value)} if OBJECT_ID.match(value or "") else {"_id": None}
        return {"members": value}

    # -- members: the one list of project access ----------------------------------------------

    async def set_members(self, pid: ObjectId, members: list[str]) -> dict | None:
        """Replace the members. The creator stays one while they are (their account's deletion
        removes them), so a project is never left without the person who made it by mistake."""

        def change(doc: dict) -> dict:
            creator = doc.get("createdBy")
            if creator and creator in doc.get("members", []) and creator not in members:
                raise Refused(422, "the project's creator stays a member", field="members")
            return {"members": sorted(set(members)), "updated": now()}

        try:
            return await replace_fields(self.projects, {"_id": pid}, change)
        finally:
            self.known.clear()

    async def member_projects(self, user_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {uid: [] for uid in user_ids}
        cursor = self.projects.find({"members": {"$in": list(user_ids)}}, {"members": 1}).sort([("_id", 1)])
        async for doc in cursor:
            for uid in doc.get("members", []):
                if uid in found:
                    found[uid].append(str(doc["_id"]))
        return found

    async def set_member_projects(self, user_id: str, project_ids: list[str]) -> None:
        """The user is a member of exactly these projects: checked first, then changed one by one."""
        wanted = {ObjectId(pid) for pid in project_ids if OBJECT_ID.match(pid)}
        known = {doc["_id"] async for doc in self.projects.find({"_id": {"$in": list(wanted)}}, {"_id": 1})}
        unknown = [pid for pid in project_ids if not OBJECT_ID.match(pid) or ObjectId(pid) not in known]
        if unknown:
            raise Refused(422, f"no project {unknown[0]}", field="permissions.projects")
        current = {doc["_id"] async for doc in self.projects.find({"members": user_id}, {"_id": 1})}
        for pid in current - wanted:
            doc = await self.projects.find_one({"_id": pid})
            if doc and doc.get("createdBy") == user_id:
                raise Refused(422, f"the creator of project {doc['slug']} stays its member", field="permissions.projects")
        for pid in wanted - current:
            await self._change_members(pid, lambda members: members | {user_id})
        for pid in current - wanted:
            await self._change_members(pid, lambda members: members - {user_id})

    async def _change_members(self, pid: ObjectId, change) -> None:
        try:
            await replace_fields(
                self.projects, {"_id": pid}, lambda doc: {"members": sorted(change(set(doc.get("members", [])))), "updated": now()}
            )
        finally:
            self.known.clear()

    async def remove_member(self, user_id: str) -> None:
        """The user's account is gone: out of every project's members."""
        async for doc in self.projects.find({"members": user_id}, {"_id": 1}):
            await self._change_members(doc["_id"], lambda members: members - {user_id})

    async def adopt(self, project_id: str, user_id: str) -> None:
        """An imported project: its importer is its creator and only member (the users of the
        instance it came from mean nothing here)."""
        await replace_fields(self.projects, {"_id": ObjectId(project_id)},
                             {"members": [user_id], "createdBy": user_id, "updated": now()})
        self.known.clear()
