"""Anonymous thumbnail requests cannot fill the server's disk (the storage's thumbnail cache).

The attacker is anyone holding a direct link to an image (`/files/{token}`, made to be shared:
a website shows the image with it): `?thumb=WxH` takes any of millions of sizes, and each size
was made once and kept, in a cache beside the project's files that no quota counts. Twenty
requests left 227 MB beside a 12 MB image; a script asking size after size fills the disk that
every project and the database share. Now only the newest files.thumb_cache thumbnails of a file
are kept (another size is made again when asked)."""

from __future__ import annotations

import io
import os

import httpx
import pytest
from PIL import Image

from conftest import new_project
from ops_support import Instance

KEPT = 3


@pytest.fixture(scope="module")
def shared(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("thumbs"), "thumbs", M3M_FILES__THUMB_CACHE=str(KEPT)).start()
    project = new_project(instance.client, instance.headers, "pics")
    image = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(image, "PNG")
    sent = instance.client.post(f"/api/projects/{project['id']}/storage/files", headers=instance.headers,
                                files={"file": ("noise.png", image.getvalue(), "image/png")})
    assert sent.status_code == 201, sent.text
    link = instance.client.post(f"/api/projects/{project['id']}/storage/link", json={"path": "noise.png"}, headers=instance.headers)
    assert link.status_code == 200, link.text
    yield instance, project, link.json()["url"]
    instance.stop()


def cached(instance: Instance, project: dict) -> list[int]:
    folder = instance.storage / "projects" / project["id"] / "thumbs"
    return [entry.stat().st_size for entry in folder.rglob("*") if entry.is_file()]


def test_many_sizes_asked_anonymously_keep_a_bounded_cache(shared):
    instance, project, url = shared
    with httpx.Client(timeout=60) as anonymous:
        for width in range(100, 130):
            answer = anonymous.get(url, params={"thumb": f"{width}x90"})
            assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
            assert Image.open(io.BytesIO(answer.content)).size == (width, 90)
    assert len(cached(instance, project)) == KEPT


def test_the_newest_sizes_stay_cached(shared):
    """The cache still works: the last size asked is answered from it (its file is the one kept)."""
    instance, project, url = shared
    with httpx.Client(timeout=60) as anonymous:
        first = anonymous.get(url, params={"thumb": "64x64"})
        folder = instance.storage / "projects" / project["id"] / "thumbs"
        [made] = [entry for entry in folder.rglob("*64x64*")]
        again = anonymous.get(url, params={"thumb": "64x64"})
    assert first.content == again.content == made.read_bytes()
    assert len(cached(instance, project)) == KEPT
