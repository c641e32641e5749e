"""Projects: name, unique slug, color, members and a hashed API key. Collection `projects`."""

from __future__ import annotations

import hashlib
import re
import secrets

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from kernel.times import iso, now
from kernel.db import replace_fields

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
API_KEY_PREFIX = "m3m_"


class SlugTaken(Exception):
    """Another project has this slug."""


def check_slug(value: str) -> str:
    """For pydantic validators: lowercase letters, digits and dashes, never an id look-alike."""
    if not SLUG.match(value):
        raise ValueError("use 1-63 lowercase letters, digits and dashes, starting with a letter or digit")
    if OBJECT_ID.match(value):
        raise ValueError("must not look like an id (24 hex characters)")
    return value


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

    async def ensure_indexes(self) -> None:
        await self.projects.create_index("slug", unique=True)
        await self.projects.create_index("apiKeyHash", unique=True, sparse=True)

    async def find(self, ref: str) -> dict | None:
        """By id or slug (slugs never look like ids, so the two cannot be confused)."""
        if OBJECT_ID.match(ref):
            try:
                return await self.projects.find_one({"_id": ObjectId(ref)})
            except InvalidId:
                return None
        return await self.projects.find_one({"slug": ref})

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
            raise SlugTaken() from None
        return doc

    async def update(self, pid: ObjectId, changes: dict) -> dict | None:
        try:
            return await replace_fields(self.projects, {"_id": pid}, {**changes, "updated": now()})
        except DuplicateKeyError:
            raise SlugTaken() from None

    async def new_api_key(self, pid: ObjectId) -> str:
        """A fresh key; only its hash is stored, so the old key stops working at once."""
        api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        await self.update(pid, {"apiKeyHash": hash_key(api_key)})
        return api_key

    async def by_api_key(self, api_key: str) -> dict | None:
        return await self.projects.find_one({"apiKeyHash": hash_key(api_key)})

    async def delete(self, pid: ObjectId) -> None:
        await self.projects.delete_one({"_id": pid})

    def visible_filter(self, user_id: str, granted: list[str]) -> dict:
        """Mongo filter of the projects a non-root user may see."""
        ids = []
        for value in granted:
            try:
                ids.append(ObjectId(value))
            except InvalidId:
                continue
        return {"$or": [{"members": user_id}, {"_id": {"$in": ids}}]}
