"""Storage safety: hostile paths over REST and from `$storage`, planted symbolic links, uploads
cut off mid-stream or by a killed server, and the memory of a 200 MB upload. Each check looks
at the disk outside the project's root before and after: nothing there may change."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import Server, free_port, login, new_project, server_env
from runtime_support import new_service, wait_until
from test_storage import Store

# Forms of escaping the root (or of smuggling what the disk should never see), one per line.
HOSTILE = [
    "..", "../x", "../../../victim/sentinel.txt", "a/../../x", "a/b/../../../victim", "./../x", "a//..//x",
    "a/./../../x", "/etc/passwd", "/", "/victim/sentinel.txt", "..\\x", "a\\b", "\\\\server\\share",
    "C:\\Windows", "C:/x", "c:x", "%2e%2e/x", "%2E%2E/x", "..%2fx", "%2e%2e%2f%2e%2e%2fvictim", "%2fetc/passwd",
    "a%2f..%2f..%2fx", "%5c..%5cx", "%252e%252e/x", "%252e%252e%252fvictim", "%25252e%25252e/x", "%00", "a%00b",
    "a\x00b", "\x00", "a\nb", "a\rb", "a\tb", "\x1b[31m", "a\x7fb", "...", "....", ". .", " ", "  /x", "a/.../b",
    "a/ /b", "x" * 256, "é" * 128, "a/" * 2049, "..%c0%af", "%2e./x", ".%2e/x",
]


@pytest.fixture(scope="module")
def owner(users):
    return users.make(createProjects=True)


@pytest.fixture
def world(client, owner, server):
    """A project with a file and a folder, and `victim/` beside the projects holding a sentinel."""
    project = new_project(client, owner["headers"])
    store = Store(client, project, owner["headers"])
    assert store.put("a.txt", "inside").status_code == 201
    assert store.mkdir("dir").status_code == 201
    data = Path(server.env["M3M_STORAGE__PATH"])
    victim = data / "victim"
    (victim / "sub").mkdir(parents=True, exist_ok=True)
    (victim / "sentinel.txt").write_text("do not touch")
    return store, data, data / "projects" / project["id"]


def outside(data: Path, project_folder: Path) -> dict:
    """Every entry under the server's data folder but the project's own tree (and the logs and
    database, which other parts write while the test runs): path -> (kind, size, mtime)."""
    skip = {project_folder / "storage", project_folder / "tmp", project_folder / "thumbs", data / "logs", data / "db"}
    seen = {}
    for folder, dirs, files in os.walk(data):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
        for name in dirs + files:
            info = os.lstat(Path(folder, name))
            seen[str(Path(folder, name).relative_to(data))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return seen


def refused(response, what) -> None:
    assert response.status_code in (400, 409, 422), f"{what}: {response.status_code} {response.text}"
    assert "error" in response.json(), what


def test_the_corpus_is_big_and_each_form_is_refused_by_the_resolver():
    from builtin_plugins.storage.paths import segments
    from kernel.errors import Refused

    assert len(set(HOSTILE)) >= 40
    for path in HOSTILE:
        with pytest.raises(Refused) as caught:
            segments(path)
        assert caught.value.status == 422 and caught.value.fields, repr(path)


def test_hostile_paths_over_rest_change_nothing_outside_the_root(world):
    store, data, folder = world
    before = outside(data, folder)
    for path in HOSTILE:
        what = repr(path)
        refused(store.list(path), f"list {what}")
        refused(store.get(path), f"get {what}")
        refused(store.put(path, "x"), f"put {what}")
        refused(store.mkdir(path), f"mkdir {what}")
        refused(store.delete(path), f"delete {what}")
        refused(store.move("a.txt", path), f"move to {what}")
        refused(store.move(path, "moved"), f"move from {what}")
        refused(store.copy("a.txt", path), f"copy to {what}")
        refused(store.copy(path, "copied"), f"copy from {what}")
        refused(store.link(path), f"link {what}")
        refused(store.thumb(path, "50x50"), f"thumb {what}")
        refused(store.client.get(f"{store.base}/stat", params={"path": path}, headers=store.headers), f"stat {what}")
        if "\x00" not in path and "\r" not in path and "\n" not in path:  # not even sendable as a multipart name
            refused(store.upload("dir", (path, b"x")), f"upload named {what}")
            refused(store.upload(path, ("ok.txt", b"x")), f"upload into {what}")
    assert outside(data, folder) == before
    assert (data / "victim" / "sentinel.txt").read_text() == "do not touch"
    assert sorted(store.names("")) == ["a.txt", "dir"]
    assert store.names("dir") == []


def test_planted_symbolic_links_are_never_followed(world):
    store, data, folder = world
    root = folder / "storage"
    os.symlink(data / "victim", root / "out")  # a folder link pointing out
    os.symlink(data / "victim" / "sentinel.txt", root / "file-out")  # a file link pointing out
    os.symlink(root / "dir", root / "dir-in")  # even one pointing inside
    before = outside(data, folder)
    assert sorted(store.names("")) == ["a.txt", "dir"]  # links are not listed
    refused(store.list("out"), "list a link")
    refused(store.list("out/sub"), "list through a link")
    refused(store.get("out/sentinel.txt"), "read through a link")
    refused(store.get("file-out"), "read a file link")
    refused(store.put("out/new.txt", "x"), "write through a link")
    refused(store.put("file-out", "x"), "replace a file link")
    refused(store.mkdir("out/new"), "mkdir through a link")
    refused(store.move("a.txt", "out/a.txt"), "move into a link")
    refused(store.move("out/sentinel.txt", "stolen.txt"), "move out of a link")
    refused(store.copy("out", "copied"), "copy a link")
    refused(store.copy("out/sentinel.txt", "copied.txt"), "copy through a link")
    refused(store.copy("a.txt", "out/a.txt"), "copy into a link")
    refused(store.delete("out/sentinel.txt"), "delete through a link")
    refused(store.upload("out", ("x.txt", b"x")), "upload into a link")
    refused(store.link("file-out"), "link to a link")
    refused(store.list("dir-in"), "a link inside is a link all the same")
    assert outside(data, folder) == before
    # Deleting a link removes the link, never what it points to.
    assert store.delete("file-out").status_code == 204 and store.delete("out").status_code == 204
    assert not (root / "out").is_symlink() and (data / "victim" / "sentinel.txt").read_text() == "do not touch"
    # A folder swapped for a link between two calls is refused at the second.
    assert store.put("swap/x.txt", "1").status_code == 201
    (root / "swap" / "x.txt").unlink()
    (root / "swap").rmdir()
    os.symlink(data / "victim", root / "swap")
    refused(store.put("swap/x.txt", "2"), "write into a swapped folder")
    assert not (data / "victim" / "x.txt").exists()


STORAGE_PROBE = """
$router.post('/try', async (ctx) => {
  const results = [];
  for (const [op, args] of ctx.body.calls) {
    try {
      const value = await $storage[op](...args);
      results.push({ op, args, ok: true, value });
    } catch (e) { results.push({ op, args, ok: false, message: e.message, code: e.code, status: e.status }); }
  }
  return results;
});
"""


def test_hostile_paths_from_storage_change_nothing_outside_the_root(client, owner, server):
    service = new_service(client, owner["headers"])
    service.deploy(STORAGE_PROBE)
    data = Path(server.env["M3M_STORAGE__PATH"])
    folder = data / "projects" / service.project["id"]
    (data / "victim").mkdir(exist_ok=True)
    (data / "victim" / "sentinel.txt").write_text("do not touch")
    setup = client.post(service.bot("/try"), json={"calls": [["write", ["a.txt", "inside"]], ["mkdir", ["dir"]]]}).json()
    assert all(result["ok"] for result in setup), setup
    os.symlink(data / "victim", folder / "storage" / "out")
    before = outside(data, folder)
    def every_call(path):
        return [["read", [path]], ["readBytes", [path]], ["write", [path, "x"]], ["append", [path, "x"]], ["list", [path]],
                ["stat", [path]], ["mkdir", [path]], ["move", ["a.txt", path]], ["move", [path, "moved"]],
                ["copy", [path, "copied"]], ["copy", ["a.txt", path]], ["url", [path]]]

    calls = [call for path in HOSTILE for call in every_call(path) + [["exists", [path]], ["delete", [path]]]]
    calls += [call for path in ("out", "out/sentinel.txt", "out/sub/new.txt") for call in every_call(path)]
    results = client.post(service.bot("/try"), json={"calls": calls}, timeout=120).json()
    assert len(results) == len(calls)
    for result in results:
        assert not result["ok"], result
        assert result["status"] in (400, 409, 422), result
    assert outside(data, folder) == before
    # The link is there (nothing can be made at its name); deleting it removes the link only.
    link = client.post(service.bot("/try"), json={"calls": [["exists", ["out"]], ["delete", ["out"]], ["exists", ["out"]]]}).json()
    assert [(r["ok"], r.get("value")) for r in link] == [(True, True), (True, None), (True, False)]
    assert (data / "victim" / "sentinel.txt").read_text() == "do not touch"
    listing = client.post(service.bot("/try"), json={"calls": [["list", [""]]]}).json()[0]["value"]
    assert sorted(entry["name"] for entry in listing) == ["a.txt", "dir"]


# -- uploads that do not finish ------------------------------------------------------------------


def raw_upload_start(url: str, headers: dict, path: str, total: int) -> socket.socket:
    """An upload request whose body announces `total` bytes; the caller sends some and hangs up."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    boundary = "CUT" + secrets.token_hex(4)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Type: multipart/form-data; boundary={boundary}",
             f"Content-Length: {total}", *[f"{k}: {v}" for k, v in headers.items()], "", ""]
    sock.sendall("\r\n".join(lines).encode() + head)
    return sock


def test_an_upload_cut_off_mid_stream_leaves_nothing(world, server):
    store, data, folder = world
    sock = raw_upload_start(server.url, store.headers, f"{store.base}/files?path=dir", 20 * 1024 * 1024)
    sock.sendall(b"x" * (4 * 1024 * 1024))
    wait_until(lambda: any((folder / "tmp").glob("*.part")), 10, "the upload to reach the disk")
    sock.close()
    wait_until(lambda: not any((folder / "tmp").glob("*")), 10, "the cut upload's temporary file to go")
    assert store.names("dir") == []


def test_a_killed_server_leaves_no_temporary_file_after_the_next_start(mongo_uri, tmp_path, owner):
    env = server_env(tmp_path / "storage", free_port(), mongo_uri)
    srv = Server(env, tmp_path).wait_ready()
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            headers = login(http, owner["email"], owner["password"])
            project = new_project(http, headers)
        folder = tmp_path / "storage" / "projects" / project["id"]
        sock = raw_upload_start(srv.url, headers, f"/api/projects/{project['id']}/storage/files?path=", 50 * 1024 * 1024)
        sock.sendall(b"y" * (4 * 1024 * 1024))
        wait_until(lambda: any((folder / "tmp").glob("*.part")), 10, "the upload to reach the disk")
        srv.stop(signal.SIGKILL)
        sock.close()
        assert any((folder / "tmp").glob("*.part"))  # what a crash leaves
        srv = Server(env, tmp_path).wait_ready()
        assert not any((folder / "tmp").glob("*"))  # swept at start
        assert not any((folder / "storage").glob("*"))
    finally:
        srv.stop()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_a_200_mb_upload_keeps_the_server_memory_flat(world, server):
    store, _, folder = world
    size, chunk = 200 * 1024 * 1024, b"z" * (1024 * 1024)
    boundary = "FLAT" + secrets.token_hex(4)

    def body():
        yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n".encode()
        for _ in range(size // len(chunk)):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    before, peak, done = rss_kb(server.process.pid), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(server.process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        response = httpx.post(f"{server.url}{store.base}/files", params={"path": "big"}, content=body(), timeout=300,
                              headers={**store.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    finally:
        done.set()
        watcher.join()
    assert response.status_code == 201, response.text
    assert (folder / "storage" / "big" / "big.bin").stat().st_size == size
    grown_mb = (peak[0] - before) / 1024
    assert grown_mb < 64, f"the server grew by {grown_mb:.0f} MB during a 200 MB upload"
    print(json.dumps({"upload_mb": 200, "server_rss_growth_mb": round(grown_mb, 1)}))
