"""Helpers shared by the auth tests (tests/test_auth_*.py): error envelopes, tokens, users, images."""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
from datetime import datetime, timedelta, timezone

import httpx
import jwt
from PIL import Image

from conftest import JWT_SECRET

# docs/api.md "Auth and users": a user has exactly these keys (never a password hash or token version).
USER_KEYS = {"id", "email", "name", "avatar", "isRoot", "blocked", "permissions", "created", "updated"}
PERMISSION_KEYS = {"createProjects", "manageUsers", "projects"}
ISO_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
PASSWORD = "User-pass-1"


def assert_error(response: httpx.Response, status: int, code: str | None = None, fields=()) -> dict:
    """The response is the REST error envelope with this status (and code, and these fields)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    if code is not None:
        assert error["code"] == code, error
    for name in fields:
        assert name in error.get("fields", {}), error
    return error


def assert_user(user: dict) -> dict:
    """A user document in the API's shape."""
    assert set(user) == USER_KEYS, user
    assert set(user["permissions"]) == PERMISSION_KEYS, user
    assert re.fullmatch(r"[0-9a-f]{24}", user["id"])
    assert re.match(ISO_UTC, user["created"]) and re.match(ISO_UTC, user["updated"]), user
    return user


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_token(sub, tv=0, *, secret: str = JWT_SECRET, algorithm: str = "HS256", lifetime: float = 3600,
               issued: datetime | None = None, drop=(), **extra) -> str:
    """A JWT as the server issues them (sub, tv, iat, exp), with whatever changed that a test needs."""
    issued = issued or datetime.now(timezone.utc)
    claims = {"sub": sub, "tv": tv, "iat": issued, "exp": issued + timedelta(seconds=lifetime), **extra}
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, secret, algorithm=algorithm)


def unsigned_token(claims: dict) -> str:
    """An `alg: none` token: header and claims with an empty signature."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def new_email() -> str:
    return f"auth-{secrets.token_hex(5)}@m3m.test"


def create_user(client: httpx.Client, headers: dict, password: str = PASSWORD, **permissions) -> dict:
    """A user made through the API but not signed in (cheaper than users.make: one hash, no login)."""
    response = client.post(
        "/api/users",
        json={"email": new_email(), "password": password, "name": "Target", "permissions": permissions},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def image_bytes(size=(600, 400), fmt: str = "PNG", mode: str = "RGB", **save) -> bytes:
    """A real image made by Pillow, with a gradient so that it is not trivially compressible."""
    image = Image.new(mode, size)
    if mode in ("RGB", "RGBA"):
        image.putdata([((x * 7) % 256, (y * 5) % 256, (x + y) % 256) + ((200,) if mode == "RGBA" else ())
                       for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()
