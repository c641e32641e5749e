"""Users, passwords (argon2) and tokens (JWT): the logic of the auth plugin and its collections.

Collections: `users`, and `auth_root` holding the one document that says who the root user is
(claimed by _id, so two first users created at once cannot both become root).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import timedelta
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from kernel.cache import ShortCache
from kernel.times import iso, now
from kernel.db import replace_fields
from kernel.errors import Refused
from kernel.security import Principal

_hasher = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
PASSWORD_RULE = "at least 8 characters with a letter and a digit or symbol"


def refused(field: str, reason: str, status: int = 422) -> Refused:
    """Input a user can fix (taken email, weak password), about one field."""
    return Refused(status, f"{field} {reason}", fields={field: reason})


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise refused("email", "is not an email address")
    return email


def check_password(password: str) -> str:
    weak = (
        len(password) < 8
        or len(password) > 256
        or not re.search(r"[^\W\d_]", password)
        or not re.search(r"[\d\W_]", password)
    )
    if weak:
        raise refused("password", f"is too weak: use {PASSWORD_RULE}")
    return password


def public_user(doc: dict, projects: list[str]) -> dict:
    """The user as the API shows it; `projects` are the projects they are a member of (kept by
    the projects' members, the one list of project access: kernel.tenancy.member_projects)."""
    perms = doc.get("permissions") or {}
    return {
        "id": str(doc["_id"]),
        "email": doc["email"],
        "name": doc.get("name", ""),
        "avatar": doc.get("avatar"),
        "isRoot": bool(doc.get("isRoot")),
        "blocked": bool(doc.get("blocked")),
        "permissions": {
            "createProjects": bool(perms.get("createProjects")),
            "manageUsers": bool(perms.get("manageUsers")),
            "projects": list(projects),
        },
        "created": iso(doc.get("created")),
        "updated": iso(doc.get("updated")),
    }


def principal_for(doc: dict) -> Principal:
    """The caller; its `user` has no project list (a request rarely needs one: routes that show
    the user fetch it)."""
    user = public_user(doc, [])
    del user["permissions"]["projects"]
    return Principal(
        kind="user", id=user["id"], user=user, is_root=user["isRoot"], permissions=user["permissions"]
    )


class UserService:
    def __init__(self, db, storage_path: Path, jwt_secret: str, jwt_expiration: float) -> None:
        self.users = db["users"]
        self.root_claims = db["auth_root"]
        self.avatars = Path(storage_path) / "avatars"
        self.jwt_secret = jwt_secret
        # The user behind a token, read once a second at most (kernel/cache.py): every write of a
        # user below clears it, so a block, a deletion or a new password counts at the next request.
        self.token_users = ShortCache()
        self.jwt_expiration = jwt_expiration

    async def ensure_indexes(self) -> None:
        await self.users.create_index("email", unique=True)

    async def count(self) -> int:
        return await self.users.count_documents({})

    async def get(self, uid: ObjectId) -> dict | None:
        return await self.users.find_one({"_id": uid})

    async def create(self, email: str, password: str, name: str = "", permissions: dict | None = None) -> dict:
        """A new user; the very first one becomes root. (Their projects are the projects' members.)"""
        email = normalize_email(email)
        check_password(password)
        if await self.users.find_one({"email": email}, {"_id": 1}):
            raise refused("email", "is taken", status=409)
        uid = ObjectId()
        is_root = await self._claim_root(uid)
        stamp = now()
        doc = {
            "_id": uid,
            "email": email,
            "name": name.strip(),
            "passwordHash": await asyncio.to_thread(_hasher.hash, password),
            "avatar": None,
            "isRoot": is_root,
            "blocked": False,
            "permissions": _permissions(permissions),
            "tokenVersion": 0,
            "revision": 0,
            "created": stamp,
            "updated": stamp,
        }
        try:
            await self.users.insert_one(doc)
        except DuplicateKeyError:
            if is_root:
                await self.root_claims.delete_one({"_id": "root", "userId": uid})
            raise refused("email", "is taken", status=409) from None
        return doc

    async def _claim_root(self, uid: ObjectId) -> bool:
        try:
            await self.root_claims.insert_one({"_id": "root", "userId": uid})
            return True
        except DuplicateKeyError:
            return False

    async def update(self, uid: ObjectId, changes: dict) -> dict | None:
        """Apply checked changes: email, name, password, permissions, blocked, avatar."""
        fields: dict = {}
        if "email" in changes:
            fields["email"] = normalize_email(changes["email"])
        if "name" in changes:
            fields["name"] = changes["name"].strip()
        if "permissions" in changes:
            fields["permissions"] = _permissions(changes["permissions"])
        if "blocked" in changes:
            fields["blocked"] = bool(changes["blocked"])
        if "avatar" in changes:
            fields["avatar"] = changes["avatar"]
        if "password" in changes:
            check_password(changes["password"])
            fields["passwordHash"] = await asyncio.to_thread(_hasher.hash, changes["password"])
        # A new password or a block ends every session: tokens carry the version they were issued
        # under. Unblocking does not bring the old tokens back; the user signs in again.
        revoke = "password" in changes or fields.get("blocked") is True

        def change(doc: dict) -> dict:
            new = {**fields, "updated": now()}
            if revoke:
                new["tokenVersion"] = doc.get("tokenVersion", 0) + 1
            return new

        try:
            return await replace_fields(self.users, {"_id": uid}, change)
        except DuplicateKeyError:
            raise refused("email", "is taken", status=409) from None
        finally:
            self.token_users.clear()

    async def legacy_grants(self):
        """(user id, project ids) of users whose document still holds its own project list, from
        before project access was one list (the projects' members); each is moved there once."""
        async for doc in self.users.find({"permissions.projects": {"$exists": True}}, {"permissions": 1}):
            yield str(doc["_id"]), list((doc.get("permissions") or {}).get("projects") or [])

    async def drop_legacy_grants(self, uid: str) -> None:
        await replace_fields(
            self.users,
            {"_id": ObjectId(uid)},
            lambda user: {"permissions": _permissions(user.get("permissions"))},
        )
        self.token_users.clear()

    async def delete(self, uid: ObjectId) -> None:
        await self.users.delete_one({"_id": uid})
        self.token_users.clear()
        (self.avatars / f"{uid}.png").unlink(missing_ok=True)

    async def verify_login(self, email: str, password: str) -> dict | None:
        doc = await self.users.find_one({"email": email.strip().lower()})
        if doc is None:
            # Hash anyway so that unknown emails take as long as wrong passwords.
            await asyncio.to_thread(_hasher.hash, password)
            return None
        if not await self.password_matches(doc, password):
            return None
        return doc

    async def password_matches(self, doc: dict, password: str) -> bool:
        try:
            return await asyncio.to_thread(_hasher.verify, doc["passwordHash"], password)
        except (VerificationError, InvalidHashError):
            return False

    def issue_token(self, doc: dict) -> str:
        issued = now()
        claims = {
            "sub": str(doc["_id"]),
            "tv": doc.get("tokenVersion", 0),
            "iat": issued,
            "exp": issued + timedelta(seconds=self.jwt_expiration),
        }
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")

    async def user_for_token(self, token: str) -> dict:
        """The user a bearer token speaks for; Refused(401) with the reason otherwise."""
        try:
            claims = jwt.decode(token, self.jwt_secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise Refused(401, "the token has expired; sign in again", code="token_expired") from None
        except jwt.InvalidTokenError:
            raise Refused(401, "the token is not valid", code="invalid_token") from None
        try:
            uid = ObjectId(claims["sub"])
        except (InvalidId, TypeError):
            raise Refused(401, "the token is not valid", code="invalid_token") from None
        doc = await self.token_users.get(uid, lambda: self.get(uid))
        if doc is None:
            raise Refused(401, "the token's user no longer exists", code="invalid_token")
        if doc.get("blocked"):
            raise Refused(401, "this user is blocked", code="user_blocked")
        if claims.get("tv", 0) != doc.get("tokenVersion", 0):
            raise Refused(401, "the token was revoked (the password changed); sign in again", code="token_revoked")
        return doc


def _permissions(value: dict | None) -> dict:
    value = value or {}
    return {
        "createProjects": bool(value.get("createProjects", False)),
        "manageUsers": bool(value.get("manageUsers", False)),
    }


def load_or_create_secret(configured: str, storage_path: Path) -> str:
    """jwt.secret from settings, or a random one kept in {storage}/jwt-secret across restarts."""
    if configured:
        return configured
    path = Path(storage_path) / "jwt-secret"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
