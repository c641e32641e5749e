"""MongoDB through PyMongo's async API; the embedded nx-27017 server when mongodb.uri = "embedded".

Keep query building that depends on server features here, so a gap of nx-27017 is handled once.
"""

from __future__ import annotations

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from .embedded import EmbeddedMongo
from .settings import Settings


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
