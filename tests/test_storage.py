"""Project storage over real HTTP: folders, uploads, downloads with ranges, text saves, moves,
copies, deletes, listings, MIME types, thumbnails, direct links and permissions (docs/storage.md)."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from conftest import Server, free_port, login, new_project, server_env


@pytest.fixture
def project(client, owner):
    return new_project(client, owner["headers"], "st")


class Store:
    """The storage API of one project, as one caller."""

    def __init__(self, client: httpx.Client, project: dict, headers: dict) -> None:
        self.client, self.project, self.headers = client, project, headers
        self.base = f"/api/projects/{project['id']}/storage"

    def list(self, path="", **params):
        return self.client.get(self.base, params={"path": path, **params}, headers=self.headers)

    def mkdir(self, path):
        return self.client.post(f"{self.base}/dirs", json={"path": path}, headers=self.headers)

    def put(self, path, content: bytes | str):
        return self.client.put(f"{self.base}/content", params={"path": path}, content=content, headers=self.headers)

    def get(self, path, headers=None, **params):
        return self.client.get(f"{self.base}/content", params={"path": path, **params}, headers={**self.headers, **(headers or {})})

    def upload(self, folder, *files, **params):
        return self.client.post(
            f"{self.base}/files", params={"path": folder, **params},
            files=[("file", (name, data)) for name, data in files], headers=self.headers,
        )

    def move(self, source, target):
        return self.client.post(f"{self.base}/move", json={"from": source, "to": target}, headers=self.headers)

    def copy(self, source, target):
        return self.client.post(f"{self.base}/copy", json={"from": source, "to": target}, headers=self.headers)

    def delete(self, path):
        return self.client.delete(self.base, params={"path": path}, headers=self.headers)

    def thumb(self, path, size):
        return self.client.get(f"{self.base}/thumb", params={"path": path, "size": size}, headers=self.headers)

    def link(self, path, expires_in=None):
        body = {"path": path} if expires_in is None else {"path": path, "expiresIn": expires_in}
        return self.client.post(f"{self.base}/link", json=body, headers=self.headers)

    def names(self, path="", **params) -> list[str]:
        response = self.list(path, **params)
        assert response.status_code == 200, response.text
        return [entry["name"] for entry in response.json()["entries"]]


@pytest.fixture
def store(client, owner, project):
    return Store(client, project, owner["headers"])


def image_bytes(kind: str, size=(300, 200), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    image = Image.new(mode, size, (200, 30, 30))
    image.paste((20, 90, 200), (0, 0, size[0] // 2, size[1]))  # two halves: a crop shows
    image.save(buffer, format=kind)
    return buffer.getvalue()


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    error = response.json()["error"]
    if code:
        assert error["code"] == code, error
    return error


# -- folders, files, listings --------------------------------------------------------------------


def test_folders_files_and_the_listing(store):
    assert store.mkdir("docs/2025/jan").status_code == 201
    assert store.mkdir("docs/2025/jan").status_code == 201  # again: fine
    assert store.put("docs/readme.md", "# hi").status_code == 201
    assert store.put("docs/readme.md", "# hello").status_code == 200  # replaced
    assert store.put("docs/zeta.txt", "z" * 10).status_code == 201
    assert store.put("docs/Alpha.json", '{"a": 1}').status_code == 201
    listing = store.list("docs").json()
    assert listing["path"] == "docs" and listing["totalItems"] == 4
    assert [e["name"] for e in listing["entries"]] == ["2025", "Alpha.json", "readme.md", "zeta.txt"]  # folders first
    entry = listing["entries"][2]
    assert set(entry) == {"name", "path", "type", "size", "mime", "modified"}
    assert (entry["path"], entry["type"], entry["size"], entry["mime"]) == ("docs/readme.md", "file", 7, "text/markdown")
    assert listing["entries"][0]["type"] == "dir" and listing["entries"][0]["mime"] is None
    assert store.names("docs", sort="-size") == ["2025", "zeta.txt", "Alpha.json", "readme.md"]
    assert store.names("docs", sort="-name") == ["2025", "zeta.txt", "readme.md", "Alpha.json"]
    assert store.names("docs", sort="modified") == ["2025", "readme.md", "zeta.txt", "Alpha.json"]
    assert store.names("docs", search="ME") == ["readme.md"] and store.names("docs", search="alpha") == ["Alpha.json"]  # any case
    paged = store.list("docs", page=2, perPage=3).json()
    assert [e["name"] for e in paged["entries"]] == ["zeta.txt"] and paged["totalPages"] == 2
    assert store.names("") == ["docs"]
    error_of(store.list("docs", sort="colour"), 422)
    error_of(store.list("docs", perPage=0), 422)
    error_of(store.list("nope"), 404, "not_found")
    error_of(store.list("docs/zeta.txt"), 409)
    error_of(store.mkdir("docs/zeta.txt/inner"), 409)
    error_of(store.mkdir(""), 422)


def test_a_folder_is_made_from_a_bare_path_without_a_leading_slash_error(store):
    """The seed's bug: creating a folder answered `Path required`. Here a folder is {path}."""
    response = store.mkdir("new folder")
    assert response.status_code == 201 and response.json()["name"] == "new folder"
    error = error_of(store.client.post(f"{store.base}/dirs", json={}, headers=store.headers), 422)
    assert error["fields"] == {"path": "Field required"}


def test_upload_several_files_download_with_type_length_name_and_ranges(store):
    png = image_bytes("PNG")
    made = store.upload("in", ("a.txt", b"alpha"), ("pic.png", png), ("sub/deep/b.csv", b"x,y\n1,2\n"))
    assert made.status_code == 201, made.text
    assert [item["path"] for item in made.json()["items"]] == ["in/a.txt", "in/pic.png", "in/sub/deep/b.csv"]
    response = store.get("in/pic.png")
    assert response.content == png
    assert response.headers["content-type"] == "image/png"
    assert int(response.headers["content-length"]) == len(png)
    assert response.headers["content-disposition"] == "attachment; filename=\"pic.png\"; filename*=UTF-8''pic.png"
    assert response.headers["x-content-type-options"] == "nosniff" and "sandbox" in response.headers["content-security-policy"]
    part = store.get("in/a.txt", headers={"Range": "bytes=1-3"})
    assert part.status_code == 206 and part.content == b"lph" and part.headers["content-range"] == "bytes 1-3/5"
    assert store.get("in/a.txt", headers={"Range": "bytes=-2"}).content == b"ha"
    assert store.get("in/a.txt", headers={"Range": "bytes=9-20"}).status_code == 416
    assert store.get("in/sub/deep/b.csv").headers["content-type"].startswith("text/csv")
    unicode = store.put("in/отчёт 2025.txt", "ok")
    assert unicode.status_code == 201
    assert "%D0%BE%D1%82%D1%87%D1%91%D1%82%202025.txt" in store.get("in/отчёт 2025.txt").headers["content-disposition"]
    # overwrite=false refuses a taken name; the default replaces it
    error_of(store.upload("in", ("a.txt", b"again"), overwrite="false"), 409)
    assert store.get("in/a.txt").content == b"alpha"
    assert store.upload("in", ("a.txt", b"again")).status_code == 201
    assert store.get("in/a.txt").content == b"again"


def test_bad_uploads_are_4xx(store):
    error_of(store.client.post(f"{store.base}/files", params={"path": "x"}, content=b"raw", headers=store.headers), 415)
    error_of(store.client.post(f"{store.base}/files", params={"path": "x"}, data={"note": "no file"}, files=[("other", ("", b""))],
                               headers=store.headers), 422)
    error_of(store.upload("x", ("../escape.txt", b"no")), 422)
    error_of(store.upload("x/../..", ("a.txt", b"no")), 422)
    body = b"--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.txt\"\r\n\r\nshort"
    cut = store.client.post(f"{store.base}/files", params={"path": "x"}, content=body,
                            headers={**store.headers, "Content-Type": "multipart/form-data; boundary=BOUND"})
    error_of(cut, 400)
    assert "x" not in store.names("")  # nothing half made


def test_move_copy_delete(store):
    store.put("a/one.txt", "1")
    store.put("a/b/two.txt", "22")
    assert store.move("a/one.txt", "a/uno.txt").json()["path"] == "a/uno.txt"
    assert store.copy("a", "c").status_code == 201
    assert store.names("c") == ["b", "uno.txt"] and store.get("c/b/two.txt").content == b"22"
    assert store.move("c", "d/e/f").status_code == 200
    assert store.names("d/e/f/b") == ["two.txt"] and "c" not in store.names("")
    error_of(store.move("a", "a/b/inside"), 422)
    error_of(store.copy("a", "a/inside"), 422)
    error_of(store.move("a/uno.txt", "a/b"), 409)  # the target exists
    error_of(store.copy("a", "d"), 409)
    error_of(store.move("nope", "x"), 404)
    error_of(store.move("", "x"), 422)
    assert store.delete("d").status_code == 204
    assert store.names("") == ["a"]
    assert store.delete("a/uno.txt").status_code == 204
    error_of(store.delete("a/uno.txt"), 404)
    error_of(store.delete(""), 422)


def test_an_image_name_is_trusted_only_for_image_bytes(store):
    store.put("fake.png", b"<html><script>alert(1)</script></html>")
    entry = store.client.get(f"{store.base}/stat", params={"path": "fake.png"}, headers=store.headers).json()
    assert entry["mime"] == "application/octet-stream"
    served = store.get("fake.png", inline="1")
    assert served.headers["content-type"] == "application/octet-stream"
    store.put("page.html", b"<script>alert(1)</script>")
    page = store.get("page.html", inline="1")
    assert page.headers["content-disposition"].startswith("attachment")  # never a live page of the m3m origin
    assert "sandbox" in page.headers["content-security-policy"]
    store.put("real.png", image_bytes("PNG"))
    assert store.get("real.png", inline="1").headers["content-disposition"].startswith("inline")


def test_concurrent_writes_leave_one_whole_version(store):
    versions = [bytes([65 + n]) * (3 * 1024 * 1024) for n in range(4)]
    results = []

    def write(data):
        with httpx.Client(base_url=str(store.client.base_url), timeout=60) as http:
            results.append(http.put(f"{store.base}/content", params={"path": "race.bin"}, content=data, headers=store.headers).status_code)

    threads = [threading.Thread(target=write, args=(data,)) for data in versions * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Exactly one of the racing writers created the file; the others replaced it (paths.place).
    assert sorted(results) == [200] * 7 + [201], results
    assert store.get("race.bin").content in versions


# -- thumbnails ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, name", [("JPEG", "p.jpg"), ("PNG", "p.png"), ("GIF", "p.gif"), ("WEBP", "p.webp"), ("BMP", "p.bmp")])
def test_thumbnails_of_each_type_in_each_mode(store, kind, name):
    store.put(name, image_bytes(kind))  # 300 x 200
    expected = {"50x50": (50, 50), "60x0": (60, 40), "0x50": (75, 50), "50x50f": (50, 33), "600x600f": (300, 200)}
    for size, dimensions in expected.items():
        response = store.thumb(name, size)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/")
        assert Image.open(io.BytesIO(response.content)).size == dimensions, (name, size)
    crop = Image.open(io.BytesIO(store.thumb(name, "50x50").content)).convert("RGB")
    assert crop.getpixel((2, 25))[2] > 150 and crop.getpixel((47, 25))[0] > 150  # both halves, centred


def test_thumbnails_follow_changes_and_refuse_what_is_not_a_good_image(store, server):
    store.put("change.png", image_bytes("PNG", (300, 200)))
    assert Image.open(io.BytesIO(store.thumb("change.png", "100x0").content)).size == (100, 67)
    store.put("change.png", image_bytes("PNG", (200, 400)))
    assert Image.open(io.BytesIO(store.thumb("change.png", "100x0").content)).size == (100, 200)
    cache = Path(server.env["M3M_STORAGE__PATH"]) / "projects" / store.project["id"] / "thumbs"
    assert cache.is_dir() and not any((Path(server.env["M3M_STORAGE__PATH"]) / "projects" / store.project["id"] / "storage").rglob("*100x0*"))
    for size in ("50", "50x", "0x0", "50x0f", "5000x50", "ax50"):
        error_of(store.thumb("change.png", size), 422)
    store.put("notes.txt", "not an image")
    error_of(store.thumb("notes.txt", "50x50"), 422)
    jpeg = image_bytes("JPEG", (800, 600))
    store.put("cut.jpg", jpeg[: len(jpeg) // 2])
    assert "not an image" in error_of(store.thumb("cut.jpg", "50x50"), 422)["message"]
    store.put("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    error_of(store.thumb("broken.png", "50x50"), 422)
    started = time.monotonic()
    store.put("bomb.png", bomb_png(60000, 60000))
    error = error_of(store.thumb("bomb.png", "50x50"), 422)
    assert "60000x60000" in error["message"] or "decompression" in error["message"]
    assert time.monotonic() - started < 30  # refused from the header, not after decoding 3.6 gigapixels
    error_of(store.thumb("missing.png", "50x50"), 404)


def bomb_png(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` x `height` pixels (its data is one zlib stream of zeros)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * ((width // 8 + 1) * 64), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


# -- direct links --------------------------------------------------------------------------------


def test_direct_links_need_no_login_and_stop_when_they_should(store, client):
    store.put("share/report.csv", "a,b\n")
    store.put("share/photo.png", image_bytes("PNG"))
    made = store.link("share/report.csv", "1h")
    assert made.status_code == 200, made.text
    url = made.json()["url"]
    assert url.startswith(str(client.base_url).rstrip("/") + "/files/")
    anonymous = httpx.get(url)
    assert anonymous.status_code == 200 and anonymous.content == b"a,b\n"
    assert anonymous.headers["content-disposition"].startswith("inline") and "sandbox" in anonymous.headers["content-security-policy"]
    assert httpx.get(url, params={"download": "1"}).headers["content-disposition"].startswith("attachment")
    photo = store.link("share/photo.png").json()["url"]
    assert Image.open(io.BytesIO(httpx.get(photo, params={"thumb": "40x40"}).content)).size == (40, 40)
    # a tampered token is no token
    body, mac = url.rsplit("/", 1)[1].split(".")
    assert httpx.get(url.replace(mac, mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"))).status_code == 404
    assert httpx.get(f"{str(client.base_url).rstrip('/')}/files/not-a-token").status_code == 404
    # moved, deleted: gone
    store.move("share/report.csv", "share/moved.csv")
    assert httpx.get(url).status_code == 404
    store.move("share/moved.csv", "share/report.csv")
    assert httpx.get(url).status_code == 200  # the link names the path
    store.delete("share/report.csv")
    assert httpx.get(url).status_code == 404
    # expired
    store.put("share/soon.txt", "x")
    made = store.link("share/soon.txt", 3).json()
    assert made["expires"] >= time.time() + 2.9
    assert httpx.get(made["url"]).status_code == 200
    soon = made["url"]
    time.sleep(max(0.0, made["expires"] - time.time()) + 1.1)
    assert error_of(httpx.get(soon), 410, "link_expired")
    # the key rotated: every link dies at once
    assert httpx.get(photo).status_code == 200
    assert store.client.post(f"{store.base}/link-key", headers=store.headers).status_code == 200
    assert httpx.get(photo).status_code == 404
    assert httpx.get(store.link("share/photo.png").json()["url"]).status_code == 200  # new links work
    # what a link may name
    error_of(store.link("share"), 409)
    error_of(store.link("nope.txt"), 404)
    for expires in (0, -5, "soon", 10**9):
        error_of(store.link("share/photo.png", expires), 422)


# -- permissions ---------------------------------------------------------------------------------


def test_who_reaches_a_project_storage(client, users, owner, project, root_headers):
    Store(client, project, owner["headers"]).put("p.txt", "private")
    member = users.make()
    client.put(f"/api/projects/{project['id']}/members", json={"members": [owner["id"], member["id"]]}, headers=owner["headers"])
    stranger = users.make()
    blocked = users.make()
    client.post(f"/api/users/{blocked['id']}/block", headers=root_headers)
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    other = new_project(client, owner["headers"], "st")
    other_key = client.post(f"/api/projects/{other['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    expected = {
        "root": (root_headers, 200), "owner": (owner["headers"], 200), "member": (member["headers"], 200),
        "api key": ({"X-API-Key": key}, 200), "stranger": (stranger["headers"], 404), "blocked": (blocked["headers"], 401),
        "other key": ({"X-API-Key": other_key}, 404), "anonymous": ({}, 401),
    }
    for who, (headers, status) in expected.items():
        store = Store(client, project, headers)
        assert store.get("p.txt").status_code == status, who
        assert store.list("").status_code == status, who
        written = store.put(f"by-{who.replace(' ', '-')}.txt", "x")
        assert written.status_code == (201 if status == 200 else status), who
        assert store.thumb("p.txt", "50x50").status_code == (422 if status == 200 else status), who
        assert store.link("p.txt").status_code == status, who
    assert sorted(Store(client, project, owner["headers"]).names("")) == sorted(
        ["by-api-key.txt", "by-member.txt", "by-owner.txt", "by-root.txt", "p.txt"])
    # an API key reaches the files, not the project's settings: it cannot kill every link
    assert client.post(f"/api/projects/{project['id']}/storage/link-key", headers={"X-API-Key": key}).status_code == 403


def test_the_project_delete_takes_its_files(client, owner, server):
    project = new_project(client, owner["headers"], "st")
    Store(client, project, owner["headers"]).put("doomed/file.txt", "x")
    folder = Path(server.env["M3M_STORAGE__PATH"]) / "projects" / project["id"]
    assert (folder / "storage" / "doomed" / "file.txt").is_file()
    assert client.delete(f"/api/projects/{project['id']}", headers=owner["headers"]).status_code == 204
    assert not folder.exists()


# -- limits (a server of its own) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_server(mongo_uri, tmp_path_factory, owner):
    root = tmp_path_factory.mktemp("small-storage")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_FILES__MAX_UPLOAD="300KB", M3M_FILES__MAX_TEXT="100KB",
                     M3M_FILES__MAX_PROJECT_SIZE="500KB", M3M_FILES__MAX_PAGE="5")
    srv = Server(env, root).wait_ready()
    yield srv
    srv.stop()


def test_limits_upload_text_project_size_and_page(small_server, owner):
    with httpx.Client(base_url=small_server.url, timeout=30) as http:
        headers = login(http, owner["email"], owner["password"])
        store = Store(http, new_project(http, headers), headers)
        assert "307200" in error_of(store.upload("", ("big.bin", b"x" * 310_000)), 413)["message"]
        assert store.names("") == []
        error_of(store.put("big.txt", "x" * 110_000), 413)
        for n in range(4):
            assert store.upload("", (f"f{n}.bin", b"x" * 120_000)).status_code == 201
        full = error_of(store.upload("", ("f4.bin", b"x" * 200_000)), 507, "storage_full")
        assert "512000" in full["message"]
        assert sorted(store.names("")) == ["f0.bin", "f1.bin", "f2.bin", "f3.bin"]  # nothing of the refused one
        error_of(store.put("more.txt", "x" * 50_000), 507)
        error_of(store.copy("f0.bin", "f0-copy.bin"), 507)
        error_of(store.list("", perPage=6), 422)
        assert store.list("", perPage=5).status_code == 200
        usage = http.get(f"{store.base}/usage", headers=headers).json()
        assert usage == {"bytes": 480_000, "files": 4, "limit": 512000}
