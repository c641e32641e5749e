"""Archives that expand to far more than they weigh, and members no m3m archive holds, sent to
both places m3m reads a .tar.gz: `POST /api/projects/import` (a real `m3m serve`) and
`m3m restore` (the CLI, as a child process). Each is refused before its data is read: a bound
passed is a 413 (a one-line error for the CLI), a malformed member a 422; and the peak resident
memory of the process that read it grows by far less than the bomb (a memory assertion, not a
timing one: VmHWM of the server, wait4's ru_maxrss of the CLI run)."""

from __future__ import annotations

import json
import tarfile

import pytest

from auth_support import assert_error
from conftest import M3M
from ops_support import Instance, documents, files
from security.hostile_tars import MIB, bomb, chained_extensions, many_members, member, members_of, peak_rss, run_measured, tar_gz, with_members

GIB = 1024 * MIB
# What the process that reads a bomb may grow by: a few buffers, far below any bomb here.
ROOM = 64 * MIB
LIMITS = {"M3M_EXPORT__MAX_IMPORT_SIZE": "64MB", "M3M_EXPORT__MAX_IMPORT_MEMBERS": "1000",
          "M3M_BACKUP__MAX_RESTORE_SIZE": "64MB", "M3M_BACKUP__MAX_RESTORE_MEMBERS": "1000"}


def hostile_members(prefix: str) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    """One member of each kind an archive must never make m3m write, under `prefix` (a folder
    the archive may hold files in), by what the message names."""
    sparse = tarfile.TarInfo(f"{prefix}sparse")
    sparse.size, sparse.mtime = 512, 1_700_000_000
    sparse.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": f"{prefix}sparse",
                          "GNU.sparse.realsize": "512"}
    return {
        "/etc/m3m-evil": member("/etc/m3m-evil", b"absolute"),
        "..": member(f"{prefix}../../../../m3m-evil", b"up and out"),
        "symbolic link": member(f"{prefix}link", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        "hard link": member(f"{prefix}hard", kind=tarfile.LNKTYPE, link="manifest.json"),
        "character device": member(f"{prefix}null", kind=tarfile.CHRTYPE),
        "FIFO": member(f"{prefix}fifo", kind=tarfile.FIFOTYPE),
        "sparse": (sparse, b"0\n".ljust(512, b"\0")),
    }


# -- POST /api/projects/import ------------------------------------------------------------------

@pytest.fixture(scope="module")
def importer(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("bombs"), "bombs", **LIMITS).start()
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def exported(importer) -> bytes:
    made = importer.client.post("/api/projects", json={"name": "Small", "slug": "small"}, headers=importer.headers)
    assert made.status_code == 201, made.text
    response = importer.client.get(f"/api/projects/{made.json()['id']}/export", headers=importer.headers)
    assert response.status_code == 200, response.text
    return response.content


def post(importer, body: bytes):
    return importer.client.post("/api/projects/import", content=body, headers=importer.headers)


def test_import_bombs_are_refused_and_the_servers_memory_stays_flat(importer, exported):
    pid = importer.server.process.pid
    assert_error(post(importer, exported[: len(exported) // 2]), 422, fields=["file"])  # the code paths are loaded
    bombs = {
        "one member of 1 GiB of zeros": (bomb("db/env.bson", GIB), "bytes"),
        "a tar extension header of 512 MiB": (bomb("././@PaxHeader", 512 * MIB, kind=tarfile.XHDTYPE), "extension header"),
        "5000 members": (many_members(5000, "folders/storage/f"), "1000 members"),
    }
    answers = {}
    for what, (body, _) in bombs.items():
        assert len(body) < 2 * MIB, what  # small on the wire
        before = peak_rss(pid)
        answers[what] = post(importer, body)
        grown = peak_rss(pid) - before
        assert grown < ROOM, f"{what}: the server's peak memory grew by {grown // MIB} MiB"
    for what, (_, words) in bombs.items():
        error = assert_error(answers[what], 413, fields=["file"])
        assert words in error["message"] and "export.max_import" in error["message"], error
    assert importer.client.get("/api/health").status_code == 200
    assert not list((importer.storage / "exports-tmp").iterdir())  # the scratch folders are gone
    assert [p["slug"] for p in importer.client.get("/api/projects", headers=importer.headers).json()["items"]] == ["small"]


@pytest.mark.parametrize("kind", list(hostile_members("")))
def test_import_refuses_members_of_every_hostile_kind(importer, exported, kind):
    hostile = hostile_members("folders/storage/")[kind]
    error = assert_error(post(importer, with_members(exported, [hostile])), 422, fields=["file"])
    assert kind in error["message"], error
    assert not (importer.storage.parent / "m3m-evil").exists() and not list(importer.storage.rglob("m3m-evil"))
    assert not [path for path in importer.storage.rglob("*") if path.is_symlink() or path.is_fifo() or path.is_char_device()]
    assert [p["slug"] for p in importer.client.get("/api/projects", headers=importer.headers).json()["items"]] == ["small"]


def test_import_refuses_a_chain_of_extension_headers(importer, exported):
    error = assert_error(post(importer, chained_extensions(3000, "folders/storage/chained")), 422, fields=["file"])
    assert "extension headers in a row" in error["message"], error


# -- m3m restore --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def backup(mongo_uri, tmp_path_factory) -> bytes:
    """A real backup of a small instance (its root user, no server running)."""
    workdir = tmp_path_factory.mktemp("bomb-backup")
    source = Instance(mongo_uri, workdir, "bomb_source")
    try:
        made = source.m3m("backup", str(workdir / "small.tar.gz"))
        assert made.returncode == 0, made.stderr
        return (workdir / "small.tar.gz").read_bytes()
    finally:
        source.drop()


@pytest.fixture
def target(mongo_uri, tmp_path):
    instance = Instance(mongo_uri, tmp_path, "bomb_target", root=False, **LIMITS)
    yield instance
    instance.drop()


def restore(target: Instance, archive: bytes, name: str = "archive.tar.gz") -> tuple[int, str, int]:
    path = target.workdir / name
    path.write_bytes(archive)
    return run_measured([*M3M, "restore", str(path)], target.env, target.workdir)


def test_restore_bombs_fail_in_one_line_with_flat_memory(target, backup):
    manifest = json.loads(dict((info.name, data) for info, data in members_of(backup))["manifest.json"])
    listed = member("manifest.json", json.dumps(manifest).encode())
    collection = next(iter(manifest["collections"]))
    code, message, baseline = restore(target, b"not a gzip", "baseline.tar.gz")  # the same program, refusing at once
    assert code == 1, message
    claims_2gib = (2**31 - 16).to_bytes(4, "little")  # a dump's first document says it is 2 GiB long
    bombs = {
        "one member of 1 GiB": (bomb(f"db/{collection}.bson", GIB, [listed], prefix=claims_2gib),
                                ("more than 67108864 bytes", "backup.max_restore")),
        "a tar extension header of 512 MiB": (bomb("././@PaxHeader", 512 * MIB, [listed], kind=tarfile.XHDTYPE),
                                              ("extension header", "backup.max_restore")),
        "5000 members": (tar_gz([listed] + [member(f"files/f{index}") for index in range(5000)]),
                         ("more than 1000 members", "backup.max_restore")),
        "a dump document of 2 GiB": (bomb(f"db/{collection}.bson", MIB, [listed], prefix=claims_2gib),
                                     (f"document of {2**31 - 16} bytes",)),
    }
    for what, (archive, words) in bombs.items():
        code, message, peak = restore(target, archive)
        assert peak - baseline < ROOM, f"{what}: m3m restore's peak memory was {peak // MIB} MiB ({baseline // MIB} at rest)"
        assert code == 1 and message.count("\n") == 1 and message.startswith("Error: "), message
        assert all(word in message for word in words), message
    assert all(not docs for docs in documents(target).values())
    assert files(target.storage) == {}


@pytest.mark.parametrize("kind", list(hostile_members("")))
def test_restore_refuses_members_of_every_hostile_kind(target, backup, kind):
    code, message, _ = restore(target, with_members(backup, [hostile_members("files/")[kind]]))
    assert code == 1 and message.count("\n") == 1 and kind in message, message
    assert all(not docs for docs in documents(target).values())
    assert files(target.storage) == {}
    assert not (target.workdir.parent / "m3m-evil").exists() and not list(target.workdir.rglob("m3m-evil"))
    assert not [path for path in target.workdir.rglob("*") if path.is_symlink() or path.is_fifo() or path.is_char_device()]
