"""Names that turn into dots (issue [13] finding 11): look-alike characters that become `..`, `.`,
`/`, `\\` or a drive letter under Unicode compatibility normalisation (NFKC), which another tool,
a file system or a user's download may apply. The attacker is a member (REST), a service's own
code (`$storage`) and a member importing an archive; each name must be refused as its NFKC form
would be, and nothing may appear outside the project's root."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import unicodedata
from pathlib import Path

import pytest

from conftest import new_project
from runtime_support import new_service
from test_storage import Store

# Each is harmless as written on Linux, and a way out (or a different name) once normalised.
LOOKALIKES = [
    "\uff0e\uff0e",  # fullwidth full stops: ".."
    "\uff0e\uff0e/victim/sentinel.txt",
    "a/\uff0e\uff0e/\uff0e\uff0e/victim",
    "\u2025",  # two dot leader: ".."
    "\u2025/x",
    "\u2024\u2024/x",  # one dot leaders: ".."
    "\ufe52\ufe52/x",  # small full stops: ".."
    "\u2026",  # ellipsis: "...", a name of dots only
    "\uff0e",  # a fullwidth full stop alone: "." (the folder itself)
    "a/\ufe52/b",
    "\uff0fetc/passwd",  # fullwidth solidus: "/etc/passwd"
    "a\uff0f..\uff0f..\uff0fx",
    "a\uff0fb",  # one name here, two folders once normalised
    "a\uff3cb",  # fullwidth reverse solidus: "a\\b"
    "\uff0e\uff0e\uff3cx",
    "\ufe68x",  # small reverse solidus
    "\uff23\uff1a\uff3cWindows",  # fullwidth "C:\\Windows"
    "\uff05\uff12\uff45\uff05\uff12\uff45/x",  # fullwidth "%2e%2e/x": percent-encoded once normalised
    "\u3000",  # ideographic space: a name of spaces only
]


def test_every_lookalike_is_refused_as_its_normal_form_would_be():
    from builtin_plugins.storage.paths import segments
    from kernel.errors import Refused

    for name in LOOKALIKES:
        assert unicodedata.normalize("NFKC", name) != name, repr(name)
        with pytest.raises(Refused) as caught:
            segments(name)
        assert caught.value.status == 422 and "NFKC" in caught.value.fields["path"], (name, caught.value.fields)
    # Fullwidth letters, CJK punctuation and accents are names like any other: they stay as written.
    for name in ("\uff52\uff45\uff50\uff4f\uff52\uff54\uff0e\uff54\uff58\uff54", "\u8cc7\u6599\uff08\uff11\uff09.txt", "cafe\u0301.txt"):
        assert segments(name) == (unicodedata.normalize("NFC", name),)


def outside(data: Path, project_folder: Path) -> dict:
    """Every entry under the server's data folder but the project's own tree and what other parts
    write meanwhile (logs, database): path -> (mode, size, mtime)."""
    skip = {project_folder / "storage", project_folder / "tmp", project_folder / "thumbs", data / "logs", data / "db"}
    seen = {}
    for entry in sorted(data.rglob("*")):
        if any(entry == folder or folder in entry.parents for folder in skip):
            continue
        info = entry.lstat()
        seen[str(entry.relative_to(data))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return seen


def refused(response, what: str) -> None:
    assert response.status_code in (400, 409, 422), f"{what}: {response.status_code} {response.text}"
    assert "error" in response.json(), what


@pytest.fixture
def world(client, owner, server):
    project = new_project(client, owner["headers"])
    store = Store(client, project, owner["headers"])
    assert store.put("a.txt", "inside").status_code == 201
    assert store.mkdir("dir").status_code == 201
    data = Path(server.env["M3M_STORAGE__PATH"])
    (data / "victim").mkdir(exist_ok=True)
    (data / "victim" / "sentinel.txt").write_text("do not touch")
    return store, data, data / "projects" / project["id"]


@pytest.fixture(scope="module")
def owner(users):
    return users.make(createProjects=True)


def test_lookalike_names_over_rest_are_refused_and_change_nothing(world):
    store, data, folder = world
    before = outside(data, folder)
    for name in LOOKALIKES:
        what = repr(name)
        refused(store.put(name, "x"), f"put {what}")
        refused(store.mkdir(name), f"mkdir {what}")
        refused(store.get(name), f"get {what}")
        refused(store.list(name), f"list {what}")
        refused(store.delete(name), f"delete {what}")
        refused(store.move("a.txt", name), f"move to {what}")
        refused(store.copy("a.txt", name), f"copy to {what}")
        refused(store.link(name), f"link {what}")
        refused(store.upload("dir", (name, b"x")), f"upload named {what}")
        refused(store.upload(name, ("ok.txt", b"x")), f"upload into {what}")
    assert outside(data, folder) == before
    assert sorted(store.names("")) == ["a.txt", "dir"] and store.names("dir") == []


PROBE = """
$router.post('/try', async (ctx) => {
  const results = [];
  for (const [op, args] of ctx.body.calls) {
    try { results.push({ op, args, ok: true, value: await $storage[op](...args) }); }
    catch (e) { results.push({ op, args, ok: false, message: e.message, status: e.status }); }
  }
  return results;
});
"""


def test_lookalike_names_from_storage_are_refused(client, owner, server):
    service = new_service(client, owner["headers"])
    service.deploy(PROBE)
    data = Path(server.env["M3M_STORAGE__PATH"])
    folder = data / "projects" / service.project["id"]
    setup = client.post(service.bot("/try"), json={"calls": [["write", ["a.txt", "inside"]]]}).json()
    assert setup[0]["ok"], setup
    before = outside(data, folder)
    calls = [call for name in LOOKALIKES for call in (
        ["write", [name, "x"]], ["append", [name, "x"]], ["mkdir", [name]], ["read", [name]], ["stat", [name]],
        ["list", [name]], ["move", ["a.txt", name]], ["copy", ["a.txt", name]], ["delete", [name]], ["url", [name]])]
    results = client.post(service.bot("/try"), json={"calls": calls}, timeout=120).json()
    assert len(results) == len(calls)
    for result in results:
        assert not result["ok"] and result["status"] == 422 and "NFKC" in result["message"], result
    assert outside(data, folder) == before
    listing = client.post(service.bot("/try"), json={"calls": [["list", [""]]]}).json()[0]["value"]
    assert [entry["name"] for entry in listing] == ["a.txt"]


def test_an_imported_archive_carrying_a_lookalike_name_is_refused(client, owner):
    """A member with createProjects imports an export whose file list gained `．．/．．/x`."""
    project = new_project(client, owner["headers"])
    store = Store(client, project, owner["headers"])
    assert store.put("kept.txt", "inside").status_code == 201
    exported = client.get(f"/api/projects/{project['id']}/export", headers=owner["headers"])
    assert exported.status_code == 200, exported.text
    hostile = "folders/storage/\uff0e\uff0e/\uff0e\uff0e/planted.txt"
    archive = rewritten(exported.content, hostile, b"planted")
    before = {p["id"] for p in client.get("/api/projects", params={"perPage": 200}, headers=owner["headers"]).json()["items"]}
    answer = client.post("/api/projects/import", content=archive, headers={**owner["headers"], "Content-Type": "application/gzip"})
    assert answer.status_code == 422, answer.text
    after = {p["id"] for p in client.get("/api/projects", params={"perPage": 200}, headers=owner["headers"]).json()["items"]}
    assert after == before
    # The same archive without the look-alike imports: the refusal was the name, not the rewrite.
    plain = rewritten(exported.content, "folders/storage/plain.txt", b"plain")
    imported = client.post("/api/projects/import", content=plain, headers={**owner["headers"], "Content-Type": "application/gzip"})
    assert imported.status_code == 201, imported.text


def rewritten(archive: bytes, member: str, data: bytes) -> bytes:
    """The export with one more file member, listed in its manifest with its checksum."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        for info in source:
            content = source.extractfile(info).read() if info.isfile() else None
            if info.name == "manifest.json":
                manifest = json.loads(content)
                manifest["files"][member.removeprefix("folders/")] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                content = json.dumps(manifest).encode()
                info.size = len(content)
            target.addfile(info, io.BytesIO(content) if content is not None else None)
        extra = tarfile.TarInfo(member)
        extra.size = len(data)
        target.addfile(extra, io.BytesIO(data))
    return out.getvalue()
