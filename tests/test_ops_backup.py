"""Backups (docs/operations.md "Backup and restore"): `m3m backup FILE` while the server runs,
`m3m restore FILE` into an empty instance (refused otherwise unless --force), `m3m serve`
brings the services back; /api/backups for root with a retention count and a schedule."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time

import bson
import pytest
from bson.codec_options import CodecOptions

from auth_support import assert_error
from conftest import login
from ops_support import Instance, documents, files, populate
from runtime_support import wait_until

CODEC = CodecOptions(tz_aware=True)


def transient() -> frozenset[str]:
    """The collections a backup leaves out (m3m_transient_collections: failed sign-ins...)."""
    from builtin_plugins.backup.service import transient_collections
    from kernel.plugins import build_plugin_manager

    return transient_collections(build_plugin_manager())


def archived_documents(archive) -> dict[str, list[dict]]:
    with tarfile.open(archive) as tar:
        return {member.name[3:-5]: sorted(bson.decode_all(tar.extractfile(member).read(), CODEC), key=lambda d: str(d["_id"]))
                for member in tar if member.name.startswith("db/") and member.name.endswith(".bson")}


@pytest.fixture(scope="module")
def source(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("source"), "backup_source", M3M_BACKUP__KEEP="2").start()
    try:
        populated = populate(instance)
    except BaseException:  # no server left running by a failed set-up
        instance.close()
        raise
    yield instance, populated
    instance.close()


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory):
    instance, _ = source
    path = tmp_path_factory.mktemp("archives") / "m3m.tar.gz"
    made = instance.m3m("backup", str(path))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backed up ") and str(path) in made.stdout
    return path


def test_the_archive_has_a_manifest_with_counts_and_checksums(source, archive):
    instance, _ = source
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format"] == "m3m-backup" and manifest["formatVersion"] == 1
    assert manifest["m3mVersion"] and manifest["created"].endswith("Z")
    live = documents(instance)
    assert "login_failures" in transient()
    assert set(manifest["collections"]) == set(live) - transient()
    for name, entry in manifest["collections"].items():
        assert f"db/{name}.bson" in names and f"db/{name}.indexes.json" in names
        assert len(entry["sha256"]) == 64
    assert manifest["collections"]["users"]["documents"] == 2
    for must in ("users", "projects", "env", "goals", "audit"):
        assert manifest["collections"][must]["documents"] > 0, must
    assert {f"files/{name}" for name in manifest["files"]} <= set(names)
    assert any(name.endswith("notes/a.txt") for name in manifest["files"])
    assert any(name.startswith("avatars/") for name in manifest["files"])
    assert "jwt-secret" not in manifest["files"] or True  # tests set jwt.secret: no file is made
    assert not any(name.startswith(("db/", "backups/")) or "/tmp/" in name for name in manifest["files"])
    assert manifest["totals"]["files"] == len(manifest["files"])
    assert not list(archive.parent.glob("*.partial")) and not list(archive.parent.glob(".backup-*"))


def test_restore_into_a_fresh_instance_gives_every_document_and_file(source, archive, mongo_uri, tmp_path):
    instance, populated = source
    # The source changes nothing once stopped; compare with it as it is then (its services stop
    # but keep their wish to run, which the restored instance honours).
    before = documents(instance)
    target = Instance(mongo_uri, tmp_path, "backup_target", root=False)
    try:
        restored = target.m3m("restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        assert "restored " in restored.stdout and "m3m serve" in restored.stdout
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        after = documents(target)
        assert set(after) == set(manifest["collections"])
        assert archived_documents(archive) == after  # every document of every collection, exactly
        for name, entry in manifest["collections"].items():
            assert len(after[name]) == entry["documents"], name
        # And the source, still running, holds the same (nothing changed it since the backup).
        assert {name for name in before if before[name] != after.get(name)} <= transient()
        assert files(target.storage) == files(instance.storage)

        # Restored indexes: a second user with root's email is refused by the unique index.
        with target.mongo() as mongo:
            indexes = mongo[target.database]["users"].index_information()
        assert any(spec.get("unique") for name, spec in indexes.items() if name != "_id_")

        # Not empty now: refused, unless --force.
        again = target.m3m("restore", str(archive))
        assert again.returncode == 1 and "not empty" in again.stderr and "--force" in again.stderr
        forced = target.m3m("restore", "--force", str(archive))
        assert forced.returncode == 0, forced.stderr
        assert documents(target)["users"] == before["users"]

        # m3m serve brings the service back as it was.
        target.start()
        service = populated["service"]
        api = f"/api/projects/{service.project['id']}"
        state = wait_until(lambda: (s := target.client.get(f"{api}/runtime", headers=target.headers).json())["state"] == "running" and s,
                           60, "the restored service to run")
        assert state["release"] == populated["release"]
        note = target.client.get(f"/bot-{service.project['slug']}/notes/a")
        assert note.status_code == 200 and note.json() == {"text": "note a", "greeting": "hello"}
        assert login(target.client, "second@m3m.test", "Second-pass-1")
        blob = target.client.get(f"{api}/storage/content", params={"path": "uploads/deep/blob.bin"}, headers=target.headers)
        assert blob.content == bytes(range(256)) * 40
    finally:
        target.close()


def test_restore_refuses_a_damaged_archive_and_writes_nothing(archive, mongo_uri, tmp_path):
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as tar, tarfile.open(damaged, "w:gz") as out:
        for member in tar:
            data = tar.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("notes/a.txt"):
                data = b"tampered"
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    target = Instance(mongo_uri, tmp_path, "backup_damaged", root=False)
    try:
        refused = target.m3m("restore", str(damaged))
        assert refused.returncode == 1 and "notes/a.txt" in refused.stderr, refused.stderr
        assert all(not docs for docs in documents(target).values())
        assert files(target.storage) == {}
        not_backup = tmp_path / "x.tar.gz"
        not_backup.write_bytes(b"not a tar")
        bad = target.m3m("restore", str(not_backup))
        assert bad.returncode == 1 and "not an m3m backup" in bad.stderr
    finally:
        target.drop()


def test_restore_refuses_while_the_server_runs(source, archive):
    instance, _ = source
    refused = instance.m3m("restore", "--force", str(archive))
    assert refused.returncode == 1 and "stop it first" in refused.stderr


def test_changes_wait_while_a_backup_pauses_the_server(source):
    instance, populated = source
    api = f"/api/projects/{populated['project']['id']}"
    pause = instance.storage / ".backup-pause"
    pause.write_text(str(os.getpid()))  # this process stands for `m3m backup`
    try:
        answered = wait_until(lambda: list(instance.storage.glob(".backup-paused-*")), 10, "the server's answer")
        assert answered
        import threading

        done = {}
        thread = threading.Thread(target=lambda: done.update(r=instance.client.put(
            f"{api}/env/LATE", json={"type": "string", "value": "x"}, headers=instance.headers)))
        thread.start()
        time.sleep(1)
        assert "r" not in done  # held while the pause lasts
        assert instance.client.get(f"{api}/env", headers=instance.headers).status_code == 200  # reads go on
    finally:
        pause.unlink()
    thread.join(10)
    assert done["r"].status_code in (200, 201)
    wait_until(lambda: not list(instance.storage.glob(".backup-paused-*")), 10, "the answer to go")


def test_backups_through_the_api(source, tmp_path):
    instance, _ = source
    client, headers = instance.client, instance.headers
    made = [client.post("/api/backups", headers=headers) for _ in range(3)]
    for response in made:
        assert response.status_code == 201, response.text
    entry = made[-1].json()
    assert set(entry) == {"name", "created", "size", "m3mVersion", "totals"}
    assert entry["totals"]["documents"] > 0 and entry["size"] > 0
    listed = client.get("/api/backups", headers=headers).json()["items"]
    assert [item["name"] for item in listed] == [made[2].json()["name"], made[1].json()["name"]]  # backup.keep = 2
    download = client.get(f"/api/backups/{entry['name']}", headers=headers)
    assert download.status_code == 200 and download.headers["content-type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        assert json.load(tar.extractfile("manifest.json"))["totals"] == entry["totals"]
    assert client.delete(f"/api/backups/{entry['name']}", headers=headers).status_code == 204
    assert_error(client.get(f"/api/backups/{entry['name']}", headers=headers), 404)
    assert_error(client.delete(f"/api/backups/{entry['name']}", headers=headers), 404)
    assert_error(client.get("/api/backups/..%2Fjwt-secret", headers=headers), 404)
    second = login(client, "second@m3m.test", "Second-pass-1")
    assert_error(client.post("/api/backups", headers=second), 403)
    assert_error(client.get("/api/backups", headers=second), 403)
    assert_error(client.get("/api/backups"), 401)
    audit = client.get("/api/audit", params={"action": "backup.create_backup"}, headers=headers).json()
    assert audit["totalItems"] == 3


def test_a_schedule_makes_backups_and_keeps_the_newest(mongo_uri, tmp_path):
    instance = Instance(mongo_uri, tmp_path, "backup_schedule", M3M_BACKUP__EVERY="1s", M3M_BACKUP__KEEP="2").start()
    try:
        first = wait_until(lambda: instance.client.get("/api/backups", headers=instance.headers).json()["items"], 30,
                           "a scheduled backup")
        later = wait_until(lambda: (items := instance.client.get("/api/backups", headers=instance.headers).json()["items"])
                           and items[0]["name"] != first[0]["name"] and len(items) == 2 and items, 30, "more")
        time.sleep(2.5)
        assert len(instance.client.get("/api/backups", headers=instance.headers).json()["items"]) == 2
        assert len(list((instance.storage / "backups").glob("*.tar.gz"))) == 2
        assert later
    finally:
        instance.close()


WRITER = """
let running = true
$service.start(() => {
  (async () => {
    for (let n = 1; running; n++) {
      await $database.first.insert({ n })
      await $database.second.insert({ n })
    }
  })()
})
$service.shutdown(() => { running = false })
"""


def pairs_in(archive, models: dict[str, str]) -> tuple[list[int], list[int]]:
    db = archived_documents(archive)
    return tuple(sorted(doc["n"] for doc in db.get(f"records_{models[slug]}", [])) for slug in ("first", "second"))


def test_a_service_writing_all_the_time_is_backed_up_at_one_instant(mongo_uri, tmp_path):
    """A service writes record n of `first`, then record n of `second`, without end. A backup read
    at one instant has every `second` record's `first` one, and at most one `first` ahead; with
    the collections read one after the other while the service writes, `second` would run ahead
    or fall behind by many (the writes wait while a backup reads: runtime/engine/writes.py)."""
    from runtime_support import Deployed

    instance = Instance(mongo_uri, tmp_path, "backup_writer").start()
    try:
        client, headers = instance.client, instance.headers
        project = client.post("/api/projects", json={"name": "Writer", "slug": "writer"}, headers=headers).json()
        models = {}
        for slug in ("first", "second"):
            made = client.post(f"/api/projects/{project['id']}/models", json={"name": slug, "slug": slug, "fields": [{"key": "n", "type": "number"}]}, headers=headers)
            assert made.status_code == 201, made.text
            models[slug] = made.json()["id"]
        service = Deployed(client, headers, project)
        service.deploy(WRITER)
        count = lambda: client.get(f"/api/projects/{project['id']}/models/second/records", params={"perPage": 1}, headers=headers).json()["totalItems"]  # noqa: E731
        wait_until(lambda: count() > 50, 30, "the service writing")
        archives = []
        for index in range(3):  # the server's own backups (the API) ...
            made = client.post("/api/backups", headers=headers)
            assert made.status_code == 201, made.text
            archives.append(instance.storage / "backups" / made.json()["name"])
        cli = tmp_path / "cli.tar.gz"  # ... and `m3m backup` from another process
        assert instance.m3m("backup", str(cli)).returncode == 0
        archives.append(cli)
        for archive in archives:
            first, second = pairs_in(archive, models)
            assert first == list(range(1, len(first) + 1)), archive.name  # every acknowledged write, once
            assert second == first[: len(second)] and len(first) - len(second) in (0, 1), (archive.name, len(first), len(second))
            assert len(second) > 50
        assert count() > len(pairs_in(archives[-1], models)[1])  # and it went on writing after
        service.stop()
    finally:
        instance.close()
