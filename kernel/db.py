"""MongoDB through PyMongo's async API; the embedded nx-27017 server when mongodb.uri = "embedded".

Keep query building that depends on server features here, so a gap of nx-27017 is handled once.
"""

from __future__ import annotations

import re

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from typing import TYPE_CHECKING

from .embedded import EmbeddedMongo
from .errors import Refused

if TYPE_CHECKING:  # workers import this module too: they do without dynaconf and pydantic
    from .settings import Settings


# A collection name as m3m's plugins make them (never a system.* one): what a dump of a collection
# in an archive from outside may be called, whichever plugin reads the archive.
COLLECTION_NAME = re.compile(r"^(?!system\.)[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$")


class DatabaseUnavailable(Exception):
    """The database did not answer; the message names the URI and is one line."""


class Database:
    """The client and the m3m database; `db["users"]` is a collection."""

    def __init__(self, uri: str, name: str, timeout: float) -> None:
        self.uri = uri
        self.client = AsyncMongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=int(timeout * 1000),
            connectTimeoutMS=int(timeout * 1000),
        )
        self.db = self.client[name]

    def __getitem__(self, collection: str):
        return self.db[collection]

    async def check(self) -> None:
        try:
            await self.client.admin.command("ping")
        except PyMongoError as exc:
            reason = str(exc).split(", Timeout:")[0].split(" (configured timeouts")[0]
            raise DatabaseUnavailable(f"the database at {self.uri} does not answer: {reason}") from None

    async def close(self) -> None:
        await self.client.close()


def resolve_uri(settings: Settings) -> tuple[str, EmbeddedMongo | None]:
    """The URI to use and, for "embedded", the server this process started (None when reused)."""
    if settings.mongodb.uri != "embedded":
        return settings.mongodb.uri, None
    embedded = EmbeddedMongo(settings.storage.path / "db")
    uri = embedded.running_uri()
    if uri:
        return uri, None
    return embedded.start(timeout=max(settings.mongodb.timeout, 15)), embedded


def concurrent_change(what: str) -> Refused:
    """The document kept changing under us: a 409, and the client tries again."""
    return Refused(409, f"{what} kept changing; try again")


async def replace_fields(collection, filter: dict, fields, *, attempts: int = 10) -> dict | None:
    """Change fields of the one document matching `filter`; returns it after the change, None
    when nothing matches, DuplicateKeyError when a unique index refuses the change.

    `fields` is a dict, or a function of the current document giving the dict. The document is
    written back whole with replace_one, guarded by its `revision` counter so that concurrent
    changes cannot undo each other (a 409 Refused after `attempts`). Not `$set`: nx-27017
    stores a `$set` datetime as text and a boolean as 0/1 (docs/database.md).
    """
    for _ in range(attempts):
        doc = await collection.find_one(filter)
        if doc is None:
            return None
        revision = doc.get("revision")
        guard = {"_id": doc["_id"], "revision": revision if revision is not None else {"$exists": False}}
        changes = fields(doc) if callable(fields) else fields
        new = {**doc, **changes, "revision": (revision or 0) + 1}
        if (await collection.replace_one(guard, new)).matched_count:
            return new
    raise concurrent_change(f"{collection.name} document")


async def put_document(collection, key: dict, fields: dict) -> dict:
    """Create the document identified by `key` (unique) with `fields`, or change those fields."""
    for _ in range(10):
        doc = await replace_fields(collection, key, fields)
        if doc is not None:
            return doc
        doc = {**key, **fields, "revision": 0}
        try:
            await collection.insert_one(doc)
            return doc
        except DuplicateKeyError:
            continue  # created by a concurrent writer: change it instead
    raise concurrent_change(f"{collection.name} document")
