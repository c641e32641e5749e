"""Project export/import (docs/operations.md "Moving a project"): one archive with everything
the project's plugins keep, imported into another m3m (and into the same one, under a new slug);
the service runs there; the API key is not exported."""

from __future__ import annotations

import io
import json
import re
import tarfile

import bson
import pytest
from bson import ObjectId

from auth_support import assert_error
from conftest import login
from ops_support import Instance, populate
from runtime_support import wait_until

HEX = re.compile(r"^[0-9a-f]{24}$")
# What an import changes by design: who owns it, the bookkeeping of changes, run-specific values,
# the users of the source (a release author's `id` is not exported).
CHANGED = {"members", "createdBy", "updated", "revision", "pid", "startedAt", "restarts", "reason", "state", "apiKeyHash",
           "id"}


def normalized(value):
    """The document with every id replaced by a placeholder and what an import changes dropped."""
    if isinstance(value, ObjectId) or (isinstance(value, str) and HEX.match(value)):
        return "<id>"
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items() if key not in CHANGED}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    return value


def project_documents(instance: Instance, project_id: str, slug: str) -> dict[str, list]:
    """Every document of every collection that names the project (by id), normalized."""
    found = {}
    with instance.mongo() as mongo:
        db = mongo[instance.database]
        for name in db.list_collection_names():
            if name in ("audit",):
                continue
            docs = [doc for doc in db[name].find() if project_id in repr(doc) or doc.get("_id") == ObjectId(project_id)]
            if docs:
                found[name] = sorted((normalized(doc) for doc in docs), key=repr)
    for doc in found.get("projects", []):
        doc["slug"] = "<slug>"
    return found


@pytest.fixture(scope="module")
def source(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("export-source"), "export_source").start()
    try:
        populated = populate(instance, slug="travels")
        key = instance.client.post(f"/api/projects/{populated['project']['id']}/api-key", headers=instance.headers)
        populated["apiKey"] = key.json()["apiKey"]
    except BaseException:  # no server left running by a failed set-up
        instance.close()
        raise
    yield instance, populated
    instance.close()


@pytest.fixture(scope="module")
def exported(source) -> bytes:
    instance, populated = source
    response = instance.client.get(f"/api/projects/{populated['project']['id']}/export", headers=instance.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/gzip"
    assert 'filename="travels.m3m-project.tar.gz"' in response.headers["content-disposition"]
    return response.content


def manifest_of(archive: bytes) -> dict:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return json.load(tar.extractfile("manifest.json"))


def test_the_archive_holds_the_project_and_says_what_is_not_exported(exported, source):
    _, populated = source
    manifest = manifest_of(exported)
    assert manifest["format"] == "m3m-project" and manifest["project"]["slug"] == "travels"
    for name in ("projects", "env", "goals", "goal_stats", "pipeline_branches", "pipeline_releases", "runtime_services"):
        assert manifest["collections"][name]["documents"] > 0, name
    assert manifest["collections"]["projects"]["documents"] == 1
    assert {"storage/notes/a.txt", "storage/uploads/deep/blob.bin"} <= set(manifest["files"])
    assert any("API key" in line for line in manifest["notExported"])
    assert populated["apiKey"].encode() not in exported
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        project = tar.extractfile("db/projects.bson").read()
        releases = bson.decode_all(tar.extractfile("db/pipeline_releases.bson").read())
    assert b"apiKeyHash" not in project and b"members" not in project and b"createdBy" not in project
    assert releases and all(set(release["author"]) == {"email", "name"} for release in releases)  # no user id


def test_import_into_another_instance_runs_the_service(exported, source, mongo_uri, tmp_path):
    instance, populated = source
    target = Instance(mongo_uri, tmp_path, "export_target").start()
    try:
        imported = target.client.post("/api/projects/import", content=exported, headers=target.headers)
        assert imported.status_code == 201, imported.text
        project = imported.json()
        assert project["slug"] == "travels" and project["id"] != populated["project"]["id"]
        copied = project_documents(target, project["id"], "travels")
        assert set(copied) >= {"projects", "env", "goals", "goal_stats", "pipeline_branches", "pipeline_releases",
                               "runtime_services", "datastore_models"}
        assert copied == project_documents(instance, populated["project"]["id"], "travels")
        api = f"/api/projects/{project['id']}"
        state = wait_until(lambda: (s := target.client.get(f"{api}/runtime", headers=target.headers).json())["state"] == "running" and s,
                           60, "the imported service to run")
        assert state["release"] == populated["release"]
        note = target.client.get("/bot-travels/notes/b")
        assert note.status_code == 200 and note.json() == {"text": "note b", "greeting": "hello"}
        wrote = target.client.post("/bot-travels/notes/c", json={"text": "new"})
        assert wrote.status_code == 201
        blob = target.client.get(f"{api}/storage/content", params={"path": "uploads/deep/blob.bin"}, headers=target.headers)
        assert blob.content == bytes(range(256)) * 40
        stats = target.client.get("/api/goals/stats", params={"goals": "travels-hits"}, headers=target.headers)
        assert stats.status_code == 200, stats.text
        assert stats.text.count('"total"') == 1 and '"total":3' in stats.text.replace(" ", "")  # 2 before, 1 here
        # The data store's models and records came along, their ref and file too.
        notes = target.client.get(f"{api}/models/notes/records", params={"expand": "author"}, headers=target.headers)
        assert notes.status_code == 200, notes.text
        [note] = notes.json()["items"]
        assert note["title"] == "First" and note["author"] != populated["people"]["id"]
        assert note["expand"]["author"]["name"] == "Ada"
        scan = target.client.get(f"{api}/models/notes/records/{note['id']}/files/scan/{note['scan']}", headers=target.headers)
        assert scan.status_code == 200 and scan.content[:4] == b"\x89PNG", scan.text[:200]
        me = target.client.get("/api/auth/me", headers=target.headers).json()
        assert target.client.get(f"{api}/members", headers=target.headers).json() == {"members": [me["id"]]}
        # The API key is not exported: the old one does not reach the copy; a new one can be made.
        assert_error(target.client.get(f"{api}/env", headers={"X-API-Key": populated["apiKey"]}), 401)
        made = target.client.post(f"{api}/api-key", headers=target.headers)
        assert made.status_code == 200
        assert target.client.get(f"{api}/env", headers={"X-API-Key": made.json()["apiKey"]}).status_code == 200
    finally:
        target.close()


def test_import_into_the_same_instance_gets_a_new_slug_and_leaves_the_source_alone(exported, source):
    instance, populated = source
    before = project_documents(instance, populated["project"]["id"], "travels")
    copy = instance.client.post("/api/projects/import", content=exported, headers=instance.headers)
    assert copy.status_code == 201, copy.text
    assert copy.json()["slug"] == "travels-2"
    chosen = instance.client.post("/api/projects/import", params={"slug": "chosen"}, content=exported, headers=instance.headers)
    assert chosen.status_code == 201 and chosen.json()["slug"] == "chosen"
    taken = instance.client.post("/api/projects/import", params={"slug": "chosen"}, content=exported, headers=instance.headers)
    assert_error(taken, 409, fields=["slug"])
    assert project_documents(instance, populated["project"]["id"], "travels") == before
    assert project_documents(instance, copy.json()["id"], "travels-2") == before
    for slug in ("travels", "travels-2"):
        wait_until(lambda: instance.client.get(f"/bot-{slug}/notes/a").status_code == 200, 60, f"{slug} to answer")


def test_bad_archives_and_callers_are_refused(exported, source, users=None):
    instance, _ = source
    client, headers = instance.client, instance.headers
    count = len(client.get("/api/projects", headers=headers).json()["items"])
    tampered = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar, tarfile.open(fileobj=tampered, mode="w:gz") as out:
        for member in tar:
            data = tar.extractfile(member).read()
            if member.name == "folders/storage/notes/a.txt":
                data = b"changed"
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    assert_error(client.post("/api/projects/import", content=tampered.getvalue(), headers=headers), 422, fields=["file"])
    assert_error(client.post("/api/projects/import", content=b"not an archive", headers=headers), 422, fields=["file"])
    assert_error(client.post("/api/projects/import", content=b"", headers=headers), 422, fields=["file"])
    assert_error(client.post("/api/projects/import", params={"slug": "Bad Slug"}, content=exported, headers=headers), 422)
    assert len(client.get("/api/projects", headers=headers).json()["items"]) == count  # nothing half made
    second = login(client, "second@m3m.test", "Second-pass-1")  # createProjects, member of the source
    plain = client.post("/api/users", json={"email": "plain@m3m.test", "password": "Plain-pass-1", "name": "P"},
                        headers=headers)
    assert plain.status_code == 201
    assert_error(client.post("/api/projects/import", content=exported,
                             headers=login(client, "plain@m3m.test", "Plain-pass-1")), 403)
    pid = source[1]["project"]["id"]
    assert client.get(f"/api/projects/{pid}/export", headers=second).status_code == 200
    assert_error(client.get(f"/api/projects/{pid}/export", headers=login(client, "plain@m3m.test", "Plain-pass-1")), 404)
    assert_error(client.get(f"/api/projects/{pid}/export", headers={"X-API-Key": source[1]["apiKey"]}), 403)
    assert not list((instance.storage / "exports-tmp").iterdir())
