"""The signed-in user: GET/PATCH /api/auth/me, tokens, the password and the avatar (docs/api.md "Auth and users")."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from PIL import Image

from auth_support import (PASSWORD, assert_error, assert_user, bearer, image_bytes, login, make_token,
                          unsigned_token)
from conftest import ROOT_EMAIL

AVATAR_LIMIT = 2 * 1024 * 1024  # settings.toml: auth.avatar_max_size = "2MB"


@pytest.fixture(scope="module")
def member(users):
    """A plain admin shared by the tests that leave it as they found it."""
    return users.make()


@pytest.fixture
def fresh(users):
    """A signed-in user of one's own, for tests that change the password or the avatar."""
    return users.make()


def me(client, headers):
    return client.get("/api/auth/me", headers=headers)


# -- GET /api/auth/me and tokens ---------------------------------------------------------------


def test_me_is_the_signed_in_user(client, member, root_headers):
    response = me(client, member["headers"])
    assert response.status_code == 200, response.text
    user = assert_user(response.json())
    assert user["id"] == member["id"] and user["email"] == member["email"]
    assert user["isRoot"] is False and user["blocked"] is False
    assert me(client, root_headers).json()["email"] == ROOT_EMAIL


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic cm9vdDpwYXNz"},
     {"Authorization": "Token abc"}],
)
def test_without_a_bearer_token_it_is_401(client, headers):
    assert_error(me(client, headers), 401, "unauthorized")


def test_a_token_made_like_the_servers_works(client, member):
    # The control for the forged tokens below: the same recipe with the right secret is accepted.
    assert me(client, bearer(make_token(member["id"]))).json()["id"] == member["id"]
    assert me(client, {"Authorization": "bearer " + make_token(member["id"])}).status_code == 200


def test_an_expired_token_is_401_token_expired(client, member):
    issued = datetime.now(timezone.utc) - timedelta(hours=2)
    token = make_token(member["id"], issued=issued, lifetime=3600)
    assert_error(me(client, bearer(token)), 401, "token_expired")


def forged_tokens(member_id: str, root_id: str) -> dict[str, str]:
    good = make_token(member_id)
    with warnings.catch_warnings():  # PyJWT finds the test secret short for HS512; it is meant to be refused
        warnings.simplefilter("ignore")
        hs512 = make_token(member_id, algorithm="HS512")
    header, claims, signature = good.split(".")
    as_root = make_token(root_id).split(".")[1]
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    return {
        "claims swapped for root's": f"{header}.{as_root}.{signature}",
        "signature changed": f"{header}.{claims}.{flipped}",
        "signature removed": f"{header}.{claims}.",
        "other secret": make_token(member_id, secret="another-secret-" + "y" * 32),
        "alg none": unsigned_token({"sub": root_id, "tv": 0, "exp": 4102444800}),
        "alg HS512": hs512,
        "no exp": make_token(member_id, drop=["exp"]),
        "no sub": make_token(member_id, drop=["sub"]),
        "sub not an id": make_token("root"),
        "sub a number": make_token(12345),
        "sub of nobody": make_token("0123456789abcdef01234567"),
        "garbage": "garbage",
        "three dots": "a.b.c",
        "json": '{"sub": "x"}',
        "long": "x" * 5000,
    }


@pytest.mark.parametrize("kind", list(forged_tokens("0" * 24, "1" * 24)))
def test_forged_or_broken_tokens_are_401_invalid_token(client, member, root_headers, kind):
    root_id = me(client, root_headers).json()["id"]
    token = forged_tokens(member["id"], root_id)[kind]
    assert_error(me(client, bearer(token)), 401, "invalid_token")


def test_a_token_of_an_old_version_is_revoked(client, member, mongo):
    version = mongo.users.find_one({"email": member["email"]})["tokenVersion"]
    assert_error(me(client, bearer(make_token(member["id"], tv=version + 1))), 401, "token_revoked")


def test_a_deleted_users_token_is_401(client, root_headers, fresh):
    assert client.delete(f"/api/users/{fresh['id']}", headers=root_headers).status_code == 204
    assert_error(me(client, fresh["headers"]), 401, "invalid_token")


# -- PATCH /api/auth/me ------------------------------------------------------------------------


def test_patch_me_changes_the_name(client, member):
    response = client.patch("/api/auth/me", json={"name": "  New Name  "}, headers=member["headers"])
    assert response.status_code == 200, response.text
    user = assert_user(response.json())
    assert user["name"] == "New Name" and user["id"] == member["id"]
    assert user["updated"] >= member["updated"]
    assert me(client, member["headers"]).json()["name"] == "New Name"
    # The token still works (a name change revokes nothing) and the rest is unchanged.
    assert {k: v for k, v in me(client, member["headers"]).json().items() if k not in ("name", "updated")} == {
        k: v for k, v in member.items() if k not in ("name", "updated", "headers", "password")}
    assert client.patch("/api/auth/me", json={"name": ""}, headers=member["headers"]).json()["name"] == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "name"), ({"name": None}, "name"), ({"name": 3}, "name"), ({"name": "n" * 101}, "name"),
     ({"name": "ok", "email": "x@m3m.test"}, "email"), ({"name": "ok", "permissions": {"manageUsers": True}},
                                                         "permissions"),
     ({"name": "ok", "isRoot": True}, "isRoot")],
)
def test_patch_me_refuses_other_fields_and_bad_names(client, member, payload, field):
    before = me(client, member["headers"]).json()
    response = client.patch("/api/auth/me", json=payload, headers=member["headers"])
    assert_error(response, 422, "validation_failed", [field])
    assert me(client, member["headers"]).json() == before


def test_patch_me_needs_a_user(client):
    assert_error(client.patch("/api/auth/me", json={"name": "x"}), 401, "unauthorized")


# -- POST /api/auth/me/password ----------------------------------------------------------------


def test_a_password_change_revokes_old_tokens_and_returns_a_new_one(client, fresh):
    other_session = login(client, fresh["email"], PASSWORD).json()["token"]
    response = client.post("/api/auth/me/password", json={"currentPassword": PASSWORD, "newPassword": "Brand-new-2"},
                           headers=fresh["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "user"} and assert_user(body["user"])["id"] == fresh["id"]

    assert_error(me(client, fresh["headers"]), 401, "token_revoked")
    assert_error(me(client, bearer(other_session)), 401, "token_revoked")
    assert me(client, bearer(body["token"])).json()["id"] == fresh["id"]
    assert_error(login(client, fresh["email"], PASSWORD), 401, "invalid_credentials")
    assert login(client, fresh["email"], "Brand-new-2").status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"currentPassword": "Wrong-pass-1", "newPassword": "Brand-new-2"}, "currentPassword"),
     ({"currentPassword": "", "newPassword": "Brand-new-2"}, "currentPassword"),
     ({"currentPassword": PASSWORD, "newPassword": "short"}, "newPassword"),
     ({"currentPassword": PASSWORD, "newPassword": "nodigitsatall"}, "newPassword"),
     ({"currentPassword": PASSWORD, "newPassword": ""}, "newPassword"),
     ({"currentPassword": PASSWORD, "newPassword": "A-1" + "x" * 300}, "newPassword"),
     ({"currentPassword": PASSWORD}, "newPassword"),
     ({"newPassword": "Brand-new-2"}, "currentPassword"),
     ({"currentPassword": PASSWORD, "newPassword": "Brand-new-2", "confirm": "x"}, "confirm")],
)
def test_a_refused_password_change_changes_nothing(client, member, payload, field):
    response = client.post("/api/auth/me/password", json=payload, headers=member["headers"])
    assert_error(response, 422, "validation_failed", [field])
    assert me(client, member["headers"]).status_code == 200
    assert login(client, member["email"], PASSWORD).status_code == 200


def test_a_password_change_needs_a_user(client):
    response = client.post("/api/auth/me/password", json={"currentPassword": "a", "newPassword": "Brand-new-2"})
    assert_error(response, 401, "unauthorized")


# -- the avatar --------------------------------------------------------------------------------


def upload(client, headers, data: bytes, name="avatar.png", content_type="image/png", field="file"):
    return client.put("/api/auth/me/avatar", files={field: (name, data, content_type)}, headers=headers)


def fetch_avatar(client, url: str) -> Image.Image:
    response = client.get(url)  # public: <img> tags send no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize(
    ("fmt", "size", "mode", "expected"),
    [("PNG", (600, 400), "RGB", (256, 171)), ("JPEG", (300, 1200), "RGB", (64, 256)),
     ("PNG", (100, 80), "RGBA", (100, 80)), ("GIF", (512, 512), "P", (256, 256)),
     ("WEBP", (257, 257), "RGB", (256, 256))],
)
def test_an_uploaded_avatar_is_stored_as_a_png_of_at_most_256px(client, fresh, fmt, size, mode, expected):
    response = upload(client, fresh["headers"], image_bytes(size, fmt, mode), name=f"a.{fmt.lower()}",
                      content_type=f"image/{fmt.lower()}")
    assert response.status_code == 200, response.text
    user = assert_user(response.json())
    assert user["avatar"].startswith(f"/api/users/{fresh['id']}/avatar")
    assert me(client, fresh["headers"]).json()["avatar"] == user["avatar"]
    assert fetch_avatar(client, user["avatar"]).size == expected


def test_a_jpeg_avatar_is_turned_upright(client, fresh):
    # Phones save photos sideways with an EXIF Orientation tag; 6 means "rotate 90 degrees clockwise".
    exif = Image.Exif()
    exif[0x0112] = 6
    raw = image_bytes((200, 100), "JPEG", exif=exif.tobytes())
    response = upload(client, fresh["headers"], raw, name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 200, response.text
    assert fetch_avatar(client, response.json()["avatar"]).size == (100, 200)


def test_a_new_avatar_replaces_the_old_one(client, fresh):
    first = upload(client, fresh["headers"], image_bytes((300, 300))).json()["avatar"]
    second = upload(client, fresh["headers"], image_bytes((50, 40))).json()["avatar"]
    assert second != first  # a new URL, or browsers keep showing the cached old picture
    assert fetch_avatar(client, second).size == (50, 40)
    assert fetch_avatar(client, first).size == (50, 40)  # one file per user; ?v= only busts caches


def test_delete_avatar_clears_it(client, fresh):
    url = upload(client, fresh["headers"], image_bytes((64, 64))).json()["avatar"]
    response = client.delete("/api/auth/me/avatar", headers=fresh["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["avatar"] is None
    assert me(client, fresh["headers"]).json()["avatar"] is None
    assert_error(client.get(url), 404, "not_found")
    # Deleting again is harmless.
    assert client.delete("/api/auth/me/avatar", headers=fresh["headers"]).json()["avatar"] is None


def test_a_deleted_users_avatar_goes_too(client, fresh, root_headers):
    url = upload(client, fresh["headers"], image_bytes((64, 64))).json()["avatar"]
    assert client.delete(f"/api/users/{fresh['id']}", headers=root_headers).status_code == 204
    assert_error(client.get(url), 404, "not_found")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size (a decompression bomb needs no more than its header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def broken_png_chunk() -> bytes:
    """A PNG whose image data is split in two chunks, the second with a garbage chunk type."""
    raw = image_bytes((60, 40))
    start = raw.index(b"IDAT")
    length = struct.unpack(">I", raw[start - 4:start])[0]
    data = raw[start + 4:start + 4 + length]
    first = struct.pack(">I", length // 2) + b"IDAT" + data[:length // 2]
    first += struct.pack(">I", zlib.crc32(b"IDAT" + data[:length // 2]))
    second = struct.pack(">I", length - length // 2) + b"\x17\x90\x96\x96" + data[length // 2:] + b"\0" * 4
    return raw[:start - 4] + first + second + raw[start + 4 + length + 4:]


def bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    return out.getvalue()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\nshowpage\n"


@pytest.mark.parametrize(
    ("kind", "data"),
    [("text", b"hello, this is not an image"), ("empty", b""), ("fake png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100),
     ("truncated png", image_bytes((300, 300))[:400]), ("truncated jpeg", image_bytes((300, 300), "JPEG")[:300]),
     ("broken png chunk", broken_png_chunk()), ("bomb header", png_header_only(20000, 20000)),
     ("too many pixels", png_header_only(8000, 6000)),
     ("bmp", bmp()), ("eps", EPS), ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')],
)
def test_anything_but_a_png_jpeg_gif_or_webp_is_422(client, member, kind, data):
    response = upload(client, member["headers"], data)
    assert_error(response, 422, "validation_failed", ["file"])
    assert me(client, member["headers"]).json()["avatar"] is None


def test_an_avatar_over_the_limit_is_413(client, fresh):
    url = upload(client, fresh["headers"], image_bytes((32, 32))).json()["avatar"]
    # Just over the limit (inside the room left for the multipart envelope), far over it, and over
    # server.max_body (16MB): always the avatar's own message, refused before the body is read.
    for size in (AVATAR_LIMIT + 1, 5 * AVATAR_LIMIT, 9 * AVATAR_LIMIT):
        data = image_bytes((16, 16)) + b"\0" * (size - len(image_bytes((16, 16))))
        response = upload(client, fresh["headers"], data)
        assert "avatar" in assert_error(response, 413, "payload_too_large")["message"]
        if size > AVATAR_LIMIT + 64 * 1024:  # answered unread: the connection must not be reused
            assert response.headers["connection"] == "close"
    assert me(client, fresh["headers"]).json()["avatar"] == url
    assert fetch_avatar(client, url).size == (32, 32)


def test_an_avatar_at_the_limit_is_accepted(client, fresh):
    data = image_bytes((16, 16))
    response = upload(client, fresh["headers"], data + b"\0" * (AVATAR_LIMIT - len(data)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "request_kwargs",
    [{"files": {"avatar": ("a.png", image_bytes((8, 8)), "image/png")}},
     {"data": {"file": "not a file"}},
     {"json": {"file": "aGVsbG8="}},
     {}],
)
def test_an_upload_without_the_file_field_is_422(client, member, request_kwargs):
    response = client.put("/api/auth/me/avatar", headers=member["headers"], **request_kwargs)
    assert_error(response, 422, "validation_failed", ["file"])


def test_avatar_routes_need_a_user(client):
    assert_error(upload(client, {}, image_bytes((8, 8))), 401, "unauthorized")
    assert_error(client.delete("/api/auth/me/avatar"), 401, "unauthorized")


@pytest.mark.parametrize("uid", ["0123456789abcdef01234567", "nope", "..%2F..%2Fjwt-secret", "%2e%2e"])
def test_a_missing_avatar_is_404(client, member, uid):
    assert_error(client.get(f"/api/users/{uid}/avatar"), 404)
    assert_error(client.get(f"/api/users/{member['id']}/avatar"), 404, "not_found")


# -- never a 500, never a stack trace ----------------------------------------------------------

ROUTES = [
    ("POST", "/api/auth/login"), ("GET", "/api/auth/me"), ("PATCH", "/api/auth/me"),
    ("POST", "/api/auth/me/password"), ("PUT", "/api/auth/me/avatar"), ("DELETE", "/api/auth/me/avatar"),
    ("GET", "/api/users"), ("POST", "/api/users"), ("GET", "/api/users/{uid}"), ("PATCH", "/api/users/{uid}"),
    ("POST", "/api/users/{uid}/block"), ("POST", "/api/users/{uid}/unblock"), ("GET", "/api/users/{uid}/avatar"),
]
BAD_BODIES = [
    ({"Content-Type": "application/json"}, b"{"),
    ({"Content-Type": "application/json"}, b'{"a": ' * 5000 + b"1" + b"}" * 5000),
    ({"Content-Type": "application/json"}, b'{"email": {"$gt": ""}, "password": {"$gt": ""}, "name": [1],'
                                           b' "permissions": {"projects": [{"$ne": 1}]}}'),
    ({"Content-Type": "application/json"}, b'{"email": "\\ud800@x.y", "password": "\\u0000", "name": "\\u0000"}'),
    ({"Content-Type": "application/json"}, b"\x00\x01\x02"),
    ({"Content-Type": "multipart/form-data"}, b"--x\r\nnonsense"),
    ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n"),
    ({"Content-Type": "multipart/form-data; boundary=x"}, b"garbage without a boundary"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, b"file=%ZZ&name=%00"),
    ({"Content-Type": "text/plain; charset=nonsense"}, b"\xff\xfe"),
]


@pytest.mark.parametrize(("headers", "raw"), BAD_BODIES)
def test_bad_input_never_gives_a_500(server, fresh, headers, raw):
    log_before = len(server.output())
    # A client of its own, and a connection per request: a server may drop a keep-alive
    # connection when the answer (a 401, or a GET that ignores its body) comes before the body
    # was read (Hypercorn did, kernel/keepalive.py), and httpx would fail on the next request.
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method, path in ROUTES:
            for auth in ({}, fresh["headers"]):
                response = client.request(method, path.format(uid=fresh["id"]), content=raw,
                                          headers={**headers, **auth, "Connection": "close"})
                assert response.status_code < 500, (method, path, response.text)
                assert "Traceback" not in response.text and 'File "' not in response.text
                if response.status_code >= 400:
                    assert_error(response, response.status_code)
    assert "unhandled error" not in server.output()[log_before:]
