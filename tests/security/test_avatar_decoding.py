"""An avatar is decoded off the event loop (auth's avatar upload).

The attacker is any signed-in admin, with no permission at all: PUT /api/auth/me/avatar takes a
PNG of up to 2 MB, and a 120 KB PNG holds 36 million pixels (one colour compresses well). Its
decoding took half a second, on the server's event loop: every other request of the server, the
API and the services' routes alike, waited (measured on a real server: a ping answered in
0.48 s instead of 0.03 s while three such uploads ran). Uploaded in a loop, the server answers
no one. Now the image is decoded in a thread and the loop stays free.

In-process (the app of kernel.app with the real database): Pillow's decoding is watched for the
thread it runs on, which is what a second process could not see."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image, ImageFile
from quart.datastructures import FileStorage

from conftest import TEST_DB
from kernel.app import create_app
from kernel.settings import load_settings


@pytest.fixture
async def app(mongo_uri, tmp_path):
    # A database of its own: its user must not be the first of the session's (the first user is root).
    database = f"{TEST_DB}_avatar_decoding"
    settings = load_settings(mongodb={"uri": mongo_uri, "database": database}, storage={"path": str(tmp_path)},
                             jwt={"secret": "in-process-secret-" + "z" * 32})
    app = create_app(settings)
    yield app
    await app.m3m.db.client.drop_database(database)
    await app.m3m.db.close()


async def test_a_heavy_avatar_is_decoded_off_the_event_loop(app, monkeypatch):
    from builtin_plugins.auth.routes import users

    email = "avatar-decoder@m3m.test"
    await app.m3m.db["users"].delete_many({"email": email})
    await users(app).create(email, "User-pass-1", "A", {})
    client = app.test_client()
    token = (await (await client.post("/api/auth/login", json={"email": email, "password": "User-pass-1"})).get_json())["token"]

    decoded_on = []
    original = ImageFile.ImageFile.load

    def watched_load(image):
        decoded_on.append(threading.get_ident())
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    png = io.BytesIO()
    Image.new("RGB", (6000, 6000), (10, 200, 30)).save(png, "PNG")
    answer = await client.put("/api/auth/me/avatar", headers={"Authorization": f"Bearer {token}"},
                              files={"file": FileStorage(io.BytesIO(png.getvalue()), filename="a.png", content_type="image/png")})
    assert answer.status_code == 200, await answer.get_data()
    assert (await answer.get_json())["avatar"].startswith("/api/users/")
    assert decoded_on, "the image was not decoded"
    assert threading.get_ident() not in decoded_on, "the avatar was decoded on the event loop's thread"
