"""Direct links: `{server.content_uri}/files/{token}` reaches one file with no login
until it expires, the file leaves its path, or the project's link key is rotated. The token is the
project, the path and the expiry, signed with HMAC-SHA256 under a key kept per project
(`storage_link_keys`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import time

from pymongo.errors import DuplicateKeyError

from kernel.db import put_document
from kernel.errors import Refused, invalid
from kernel.times import now
from kernel.units import parse_duration


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def expiry_seconds(value, limits) -> int:
    """How long a link lives: `expiresIn` in seconds or as a duration ("30m", "7d"); the default
    and the most are files.link_default_expiry and files.link_max_expiry."""
    if value is None:
        return int(limits.link_default_expiry)
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise invalid("expiresIn", "seconds, or a duration like '30m', '7d'") from None
    if not 1 <= seconds <= limits.link_max_expiry:
        raise invalid("expiresIn", f"from 1 second to {int(limits.link_max_expiry)} seconds (files.link_max_expiry)")
    return int(seconds)


def expires_at(value, limits) -> int:
    """The Unix second a link made now with `expiresIn` = value stops working (rounded up, so a
    link never dies before the time asked for)."""
    return math.ceil(time.time() + expiry_seconds(value, limits))


def sign(key: bytes, project_id: str, path: str, expires: int) -> str:
    body = _b64(json.dumps([project_id, path, expires], separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def claims(token: str) -> tuple[str, str, int]:
    """(project id, path, expiry) as the token says, NOT yet verified; 404 for what is no token."""
    try:
        body, _ = token.split(".", 1)
        project_id, path, expires = json.loads(_unb64(body))
        if isinstance(project_id, str) and isinstance(path, str) and isinstance(expires, int):
            return project_id, path, expires
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        pass
    raise Refused(404, "no such link")


def verify(token: str, key: bytes) -> None:
    """Refuses a token not signed with `key` (404: as if it never existed) or expired (410)."""
    body, _, mac = token.partition(".")
    try:
        given = _unb64(mac)
    except (ValueError, binascii.Error):
        given = b""
    if not hmac.compare_digest(given, hmac.new(key, body.encode(), hashlib.sha256).digest()):
        raise Refused(404, "no such link")
    if claims(token)[2] < time.time():
        raise Refused(410, "this link has expired", code="link_expired")


class LinkKeys:
    """The per-project keys, in collection `storage_link_keys`."""

    def __init__(self, db) -> None:
        self.keys = db["storage_link_keys"]

    async def ensure_indexes(self) -> None:
        await self.keys.create_index("project", unique=True)

    async def key(self, project_id: str, create: bool = True) -> bytes | None:
        doc = await self.keys.find_one({"project": project_id})
        if doc is None:
            if not create:
                return None
            try:  # the first link of the project: two at once must agree on one key
                await self.keys.insert_one({"project": project_id, "key": _b64(secrets.token_bytes(32)), "updated": now()})
            except DuplicateKeyError:
                pass
            doc = await self.keys.find_one({"project": project_id})
        return _unb64(doc["key"])

    async def rotate(self, project_id: str) -> bytes:
        """A new key: every link signed with the old one stops working at once."""
        key = secrets.token_bytes(32)
        await put_document(self.keys, {"project": project_id}, {"key": _b64(key), "updated": now()})
        return key

    async def forget(self, project_id: str) -> None:
        await self.keys.delete_many({"project": project_id})
