"""Auth and users REST endpoints (docs/api.md "Auth and users")."""

from __future__ import annotations

import asyncio
import io
from typing import Annotated

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import Field, StringConstraints
from quart import Blueprint, current_app, request, send_file
from quart_schema import document_querystring, tag

from kernel.api import Answer, PageQuery, Schema, accepts, answers, body, object_id, page_of, paginate
from kernel.errors import Refused, envelope, forbidden, invalid, not_found
from kernel.plugins import app_service, await_me_maybe
from kernel.security import Principal, require_user
from kernel.tenancy import member_projects, resolve_project, set_member_projects
from kernel.times import now

from .service import UserService, load_or_create_secret, public_user
from .throttle import LoginThrottle, TooManyAttempts

blueprint = Blueprint("auth", __name__)

Name = Annotated[str, StringConstraints(max_length=100)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=254)]
ProjectId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
AVATAR_SIDE = 256
# Only these decoders run on uploads: Pillow would also open EPS (through Ghostscript), BMP, TIFF...
AVATAR_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
PAST = {"delete": "deleted", "block": "blocked"}


class Permissions(Schema):
    createProjects: bool = False
    manageUsers: bool = False
    # The projects the user is a member of (their members lists); omitted: left as they are.
    projects: Annotated[list[ProjectId], Field(max_length=10000)] | None = None


class LoginIn(Schema):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class MeIn(Schema):
    name: Name


class PasswordIn(Schema):
    currentPassword: Annotated[str, StringConstraints(max_length=256)]
    newPassword: Annotated[str, StringConstraints(max_length=256)]


class UserIn(Schema):
    email: Email
    password: Annotated[str, StringConstraints(max_length=256)]
    name: Name = ""
    permissions: Permissions = Field(default_factory=Permissions)


class UserPatch(Schema):
    email: Email | None = None
    password: Annotated[str, StringConstraints(max_length=256)] | None = None
    name: Name | None = None
    permissions: Permissions | None = None


class UserPermissions(Answer):
    createProjects: bool
    manageUsers: bool
    projects: list[str]


class User(Answer):
    id: str
    email: str
    name: str
    avatar: str | None
    isRoot: bool
    blocked: bool
    permissions: UserPermissions
    created: str | None
    updated: str | None


class SignedIn(Answer):
    token: str
    user: User


class Setup(Answer):
    hasUsers: bool


class AvatarUpload(Schema):
    file: bytes = Field(json_schema_extra={"format": "binary"})


def _make_service(app) -> UserService:
    settings = app.m3m.settings
    secret = load_or_create_secret(settings.jwt.secret.get_secret_value(), settings.storage.path)  # may create it
    return UserService(app.m3m.db, settings.storage.path, secret, settings.jwt.expiration)


def users(app=None) -> UserService:
    return app_service("m3m.auth", _make_service, app)


def throttle(app=None) -> LoginThrottle:
    return app_service("m3m.auth.throttle", lambda app: LoginThrottle(app.m3m.db, app.m3m.settings.auth), app)


async def move_legacy_grants(app) -> None:
    """Users' own project lists (from before project access was one list, the projects'
    members) become memberships, once; lists naming deleted projects lose those."""
    async with app.app_context():
        async for uid, granted in users(app).legacy_grants():
            current = (await member_projects([uid])).get(uid, [])
            existing = [pid for pid in granted if await resolve_project(pid) is not None]
            await set_member_projects(uid, sorted(set(current) | set(existing)))
            await users(app).drop_legacy_grants(uid)


def can_manage_users(principal: Principal) -> bool:
    return principal.is_root or principal.permissions.get("manageUsers", False)


async def managed_user(uid: str, principal: Principal, action: str) -> dict:
    """The target of a user-management action, with the root rules applied."""
    if not can_manage_users(principal):
        raise forbidden("managing users needs the manageUsers permission")
    doc = await users().get(object_id(uid, "user"))
    if doc is None:
        raise not_found("user")
    if doc.get("isRoot") and not principal.is_root:
        raise forbidden("only the root user may change the root user")
    if doc.get("isRoot") and action in ("delete", "block"):
        raise forbidden(f"the root user cannot be {PAST[action]}")
    if str(doc["_id"]) == principal.id and action in ("delete", "block"):
        raise Refused(409, f"you cannot {action} yourself")
    return doc


async def present(*docs: dict) -> list[dict]:
    """Users as the API shows them, each with the projects they are a member of."""
    memberships = await member_projects([str(doc["_id"]) for doc in docs])
    return [public_user(doc, memberships.get(str(doc["_id"]), [])) for doc in docs]


async def apply(uid, changes: dict) -> dict:
    projects = (changes.get("permissions") or {}).pop("projects", None)
    if projects is not None:
        await set_member_projects(str(uid), projects)
    doc = await users().update(uid, changes)
    if doc is None:
        raise not_found("user")
    return (await present(doc))[0]


# -- signing in and the signed-in user ---------------------------------------------------------


@blueprint.post("/api/auth/login")
@tag(["auth"])
@answers(200, SignedIn)
@body(LoginIn)
async def login(data: LoginIn):
    """Exchange email and password for a JWT. Repeated failures are answered more slowly, then
    refused for a while with a 429 and Retry-After (auth.login_* settings)."""
    email, address = data.email.strip().lower(), request.remote_addr or "unknown"
    try:
        await throttle().check(email, address)
    except TooManyAttempts as exc:
        response = envelope(exc.status, exc.message, exc.code)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    doc = await users().verify_login(data.email, data.password)
    if doc is None:
        await throttle().failed(email, address)
        raise Refused(401, "wrong email or password", code="invalid_credentials")
    await throttle().succeeded(email, address)
    if doc.get("blocked"):
        raise Refused(403, "this user is blocked", code="user_blocked")
    return {"token": users().issue_token(doc), "user": (await present(doc))[0]}


@blueprint.get("/api/auth/setup")
@tag(["auth"])
@answers(200, Setup)
async def setup():
    """Public: whether any user exists yet (the web UI shows its first-run page while none does)."""
    return {"hasUsers": await users().users.find_one({}, {"_id": 1}) is not None}


@blueprint.get("/api/auth/me")
@tag(["auth"])
@answers(200, User)
async def me():
    """The signed-in user."""
    principal = await require_user()
    return (await present(await users().get(object_id(principal.id, "user"))))[0]


@blueprint.patch("/api/auth/me")
@tag(["auth"])
@answers(200, User)
@body(MeIn)
async def update_me(data: MeIn):
    """Change your own name."""
    principal = await require_user()
    return await apply(object_id(principal.id, "user"), {"name": data.name})


@blueprint.post("/api/auth/me/password")
@tag(["auth"])
@answers(200, SignedIn)
@body(PasswordIn)
async def change_password(data: PasswordIn):
    """Change your own password (the current one is required); returns a fresh token."""
    principal = await require_user()
    doc = await users().get(object_id(principal.id, "user"))
    if not await users().password_matches(doc, data.currentPassword):
        raise invalid("currentPassword", "is wrong")
    try:
        doc = await users().update(doc["_id"], {"password": data.newPassword})
    except Refused as exc:  # about `password`: here the field is newPassword
        raise invalid("newPassword", next(iter((exc.fields or {}).values()), exc.message)) from None
    return {"token": users().issue_token(doc), "user": (await present(doc))[0]}


@blueprint.put("/api/auth/me/avatar")
@tag(["auth"])
@answers(200, User)
@accepts("multipart/form-data", AvatarUpload, "the image as the part `file`")
async def upload_avatar():
    """Upload your avatar (multipart field `file`: PNG, JPEG, GIF or WEBP); stored as a 256px PNG."""
    principal = await require_user()
    limit = current_app.m3m.settings.auth.avatar_max_size
    # Refuse a body that cannot fit before reading it (64 KB of room for the multipart envelope);
    # setting request.max_content_length here is too late, Quart sized the body at its start.
    # Connection: close, because the rest of a large body is not read: the client must not send
    # its next request on a connection still carrying this one's bytes (kernel/keepalive.py).
    if (request.content_length or 0) > limit + 64 * 1024:
        response = envelope(413, f"the avatar is larger than {limit} bytes")
        response.headers["Connection"] = "close"
        return response
    files = await request.files
    upload = files.get("file")
    if upload is None:
        raise invalid("file", "is required (multipart/form-data)")
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise Refused(413, f"the avatar is larger than {limit} bytes")
    # Decoded in a thread: a PNG of 120 KB holds 36 million pixels, half a second of decoding that
    # on the event loop stopped every other request of the server (any signed-in user, in a loop).
    await asyncio.to_thread(save_avatar, raw, users().avatars / f"{principal.id}.png")
    url = f"/api/users/{principal.id}/avatar?v={int(now().timestamp() * 1000)}"  # ms: a new URL per upload
    return await apply(object_id(principal.id, "user"), {"avatar": url})


def save_avatar(raw: bytes, path) -> None:
    """The uploaded image as a PNG of at most AVATAR_SIDE pixels a side at `path`; a 422 if it is none."""
    try:
        image = Image.open(io.BytesIO(raw), formats=AVATAR_FORMATS)
        if image.width * image.height > 40_000_000:
            raise invalid("file", "the image has too many pixels")
        image.thumbnail((AVATAR_SIDE, AVATAR_SIDE))
        image = ImageOps.exif_transpose(image)  # phone photos are stored sideways with an EXIF Orientation
        image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, SyntaxError, EOFError):
        # Pillow reports a broken PNG chunk with SyntaxError and some truncations with EOFError.
        raise invalid("file", "is not an image (PNG, JPEG, GIF or WEBP)") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")


@blueprint.delete("/api/auth/me/avatar")
@tag(["auth"])
@answers(200, User)
async def delete_avatar():
    """Remove your avatar."""
    principal = await require_user()
    (users().avatars / f"{principal.id}.png").unlink(missing_ok=True)
    return await apply(object_id(principal.id, "user"), {"avatar": None})


@blueprint.get("/api/users/<uid>/avatar")
@tag(["users"])
@answers(200, media="image/png")
async def get_avatar(uid: str):
    """A user's avatar image (public, so that <img> tags need no token)."""
    path = users().avatars / f"{object_id(uid, 'avatar')}.png"
    if not path.is_file():
        raise not_found("avatar")
    return await send_file(path, mimetype="image/png")


# -- user management ---------------------------------------------------------------------------


@blueprint.get("/api/users")
@tag(["users"])
@answers(200, page_of(User))
@document_querystring(PageQuery)
async def list_users():
    """All users, paginated (needs manageUsers)."""
    principal = await require_user()
    if not can_manage_users(principal):
        raise forbidden("listing users needs the manageUsers permission")
    page = await paginate(users().users, {}, lambda doc: doc, sort=[("created", 1), ("_id", 1)])
    return {**page, "items": await present(*page["items"])}


@blueprint.post("/api/users")
@tag(["users"])
@answers(201, User)
@body(UserIn)
async def create_user(data: UserIn):
    """Add an admin with chosen permissions (needs manageUsers)."""
    principal = await require_user()
    if not can_manage_users(principal):
        raise forbidden("adding users needs the manageUsers permission")
    permissions = data.permissions.model_dump()
    projects = permissions.pop("projects") or []
    doc = await users().create(data.email, data.password, data.name, permissions)
    try:
        await set_member_projects(str(doc["_id"]), projects)
    except Refused:  # an unknown project: the user is not half made
        await users().delete(doc["_id"])
        raise
    return (await present(doc))[0], 201


@blueprint.get("/api/users/<uid>")
@tag(["users"])
@answers(200, User)
async def get_user(uid: str):
    """One user: yourself, or anyone with manageUsers."""
    principal = await require_user()
    if uid != principal.id and not can_manage_users(principal):
        raise forbidden("seeing other users needs the manageUsers permission")
    doc = await users().get(object_id(uid, "user"))
    if doc is None:
        raise not_found("user")
    return (await present(doc))[0]


@blueprint.patch("/api/users/<uid>")
@tag(["users"])
@answers(200, User)
@body(UserPatch)
async def update_user(uid: str, data: UserPatch):
    """Edit a user's email, name, password or permissions (needs manageUsers; root only by root)."""
    principal = await require_user()
    doc = await managed_user(uid, principal, "edit")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "permissions" in changes and str(doc["_id"]) == principal.id and not principal.is_root:
        raise forbidden("you cannot change your own permissions")
    return await apply(doc["_id"], changes)


@blueprint.delete("/api/users/<uid>")
@tag(["users"])
@answers(204)
async def delete_user(uid: str):
    """Delete a user (needs manageUsers; never the root user, never yourself)."""
    principal = await require_user()
    doc = await managed_user(uid, principal, "delete")
    await users().delete(doc["_id"])
    app = current_app._get_current_object()
    for result in app.m3m.pm.hook.m3m_user_deleted(app=app, user_id=str(doc["_id"])):
        await await_me_maybe(result)
    return "", 204


@blueprint.post("/api/users/<uid>/block")
@tag(["users"])
@answers(200, User)
async def block_user(uid: str):
    """Block a user: their tokens stop working at once (never the root user, never yourself)."""
    principal = await require_user()
    doc = await managed_user(uid, principal, "block")
    return await apply(doc["_id"], {"blocked": True})


@blueprint.post("/api/users/<uid>/unblock")
@tag(["users"])
@answers(200, User)
async def unblock_user(uid: str):
    """Unblock a user."""
    principal = await require_user()
    doc = await managed_user(uid, principal, "unblock")
    return await apply(doc["_id"], {"blocked": False})
