"""The audit log (docs/operations.md "Audit log"): every change made through the API is recorded
with who, when, what, from where and the before/after of small values, never a password or key;
`GET /api/audit` with filters and paging for root and managers, per project for its members;
bounded retention."""

from __future__ import annotations

import hashlib
import json
import secrets
import time

import pytest

from auth_support import assert_error, login
from conftest import ROOT_EMAIL
from ops_support import Instance


def entries(client, headers, path="/api/audit", **query) -> dict:
    response = client.get(path, params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def newest(client, headers, **query) -> dict:
    page = entries(client, headers, perPage=1, **query)
    assert page["items"], query
    return page["items"][0]


@pytest.fixture(scope="module")
def project(client, root_headers):
    slug = f"audit-{secrets.token_hex(3)}"
    response = client.post("/api/projects", json={"name": "Audited", "slug": slug}, headers=root_headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_user_change_is_recorded_with_before_and_after(client, root_headers, users):
    user = users.make()
    assert client.patch(f"/api/users/{user['id']}", json={"name": "Renamed"}, headers=root_headers).status_code == 200
    entry = newest(client, root_headers, action="auth.update_user")
    assert entry["actor"]["email"] == ROOT_EMAIL and entry["actor"]["kind"] == "user"
    assert entry["ip"] == "127.0.0.1"
    assert entry["method"] == "PATCH" and entry["path"] == f"/api/users/{user['id']}"
    assert entry["route"] == "/api/users/<uid>" and entry["status"] == 200
    assert entry["target"] == user["id"]
    assert entry["before"]["name"] == "U" and entry["after"]["name"] == "Renamed"
    assert entry["request"] == {"name": "Renamed"}
    assert entry["time"].endswith("Z")


def test_no_password_or_key_is_ever_recorded(client, root_headers, project, mongo):
    password = "Secret-pass-" + secrets.token_hex(6)
    made = client.post("/api/users", json={"email": f"a-{secrets.token_hex(3)}@m3m.test", "password": password,
                                           "name": "P"}, headers=root_headers)
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    other = "Other-pass-" + secrets.token_hex(6)
    assert client.patch(f"/api/users/{uid}", json={"password": other}, headers=root_headers).status_code == 200
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=root_headers)
    assert key.status_code == 200, key.text
    env_secret = "tg-token-" + secrets.token_hex(8)
    put = client.put(f"/api/projects/{project['id']}/env/BOT_TOKEN", json={"type": "string", "value": env_secret},
                     headers=root_headers)
    assert put.status_code in (200, 201), put.text
    signed_in = login(client, made.json()["email"], other)
    assert signed_in.status_code == 200

    entries(client, root_headers)  # a read stores what is queued (the entries are written in batches)
    stored = str(list(mongo.audit.find()))
    for secret in (password, other, key.json()["apiKey"], env_secret, signed_in.json()["token"]):
        assert secret not in stored
    rotation = newest(client, root_headers, action="projects.regenerate_api_key")
    assert rotation["after"] == {"apiKey": "[redacted]"} and rotation["project"]["id"] == project["id"]
    change = newest(client, root_headers, action="auth.update_user", actor=None)
    assert change["request"] == {"password": "[redacted]"}
    env = newest(client, root_headers, action="env.put_env")
    assert env["request"] == {"type": "string", "value": "[redacted]"} and env["target"] == "BOT_TOKEN"


def test_a_key_no_database_can_store_is_recorded_and_holds_back_no_other_entry(client, root_headers):
    """A NUL is valid in a JSON or query key and refused in a stored one: such a key is kept as
    U+FFFD, and the entry queued before it is stored too."""
    assert client.patch("/api/auth/me", params={"plain": "1"}, json={"name": "Root"}, headers=root_headers).status_code == 200
    assert client.patch("/api/auth/me", params={"odd\x00key": "2"}, json={"name": "Root"}, headers=root_headers).status_code == 200
    two = entries(client, root_headers, action="auth.update_me", perPage=2)["items"]
    assert [entry["query"] for entry in two] == [{"odd\ufffdkey": "2"}, {"plain": "1"}]


def test_sign_ins_are_recorded_failed_ones_too(client, root_headers, users):
    user = users.make()
    assert login(client, user["email"], "Wrong-pass-1").status_code == 401
    failed = newest(client, root_headers, action="auth.login")
    assert failed["status"] == 401 and failed["actor"] == {"kind": "anonymous", "id": None, "email": user["email"]}
    assert failed["request"] == {"email": user["email"]} and failed["after"] is None
    assert login(client, user["email"], "User-pass-1").status_code == 200
    ok = newest(client, root_headers, action="auth.login")
    assert ok["status"] == 200 and ok["actor"]["id"] == user["id"]


def test_a_post_is_recorded_without_a_before(client, root_headers, project):
    """A POST creates or acts: the GET of its URL is the list it adds to, not what it changes."""
    base = f"/api/projects/{project['id']}/models"
    assert client.post(base, json={"name": "Audited", "slug": "audited", "fields": [{"key": "v", "type": "string"}]},
                       headers=root_headers).status_code == 201
    made = client.post(f"{base}/audited/records", json={"v": "x"}, headers=root_headers)
    assert made.status_code == 201, made.text
    entry = newest(client, root_headers, action="datastore.create_record", project=project["id"])
    assert entry["method"] == "POST" and entry["before"] is None and entry["after"]["id"] == made.json()["id"]
    changed = client.patch(f"{base}/audited", json={"name": "Renamed"}, headers=root_headers)
    assert changed.status_code == 200, changed.text
    entry = newest(client, root_headers, action="datastore.update_model", project=project["id"])
    assert entry["before"]["name"] == "Audited" and entry["after"]["name"] == "Renamed"  # a PATCH keeps its before


def record_changes(client, base: str, headers: dict) -> None:
    """A create, a patch, a batch and a delete of records, each answered 2xx."""
    made = client.post(f"{base}/records", json={"v": "x"}, headers=headers)
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert client.patch(f"{base}/records/{rid}", json={"v": "y"}, headers=headers).status_code == 200
    batch = client.post(f"{base}/records/batch", json={"requests": [{"action": "create", "data": {"v": "z"}}]}, headers=headers)
    assert batch.status_code == 200, batch.text
    assert client.delete(f"{base}/records/{rid}", headers=headers).status_code == 204


def test_records_written_with_the_project_s_api_key_are_its_data_traffic(client, root_headers, project):
    """audit.skip_api_key: the key's record writes are not recorded (as a service's $database
    writes are not); the same writes by a user are, and so is what the key does elsewhere."""
    api = f"/api/projects/{project['id']}"
    base = f"{api}/models/traffic"
    assert client.post(f"{api}/models", json={"name": "Traffic", "slug": "traffic", "fields": [{"key": "v", "type": "string"}]},
                       headers=root_headers).status_code == 201
    key = {"X-API-Key": client.post(f"{api}/api-key", headers=root_headers).json()["apiKey"]}
    before = entries(client, root_headers, project=project["id"])["totalItems"]
    record_changes(client, base, key)
    assert entries(client, root_headers, project=project["id"])["totalItems"] == before
    put = client.put(f"{api}/env/FROM_KEY", json={"type": "string", "value": "v"}, headers=key)
    assert put.status_code in (200, 201), put.text
    assert newest(client, root_headers, project=project["id"])["actor"] == {"kind": "api_key", "id": project["id"]}
    before = entries(client, root_headers, project=project["id"])["totalItems"]
    record_changes(client, base, root_headers)
    actions = [item["action"] for item in entries(client, root_headers, project=project["id"], perPage=4)["items"]]
    assert entries(client, root_headers, project=project["id"])["totalItems"] == before + 4
    assert actions == ["datastore.delete_record", "datastore.batch_records", "datastore.update_record", "datastore.create_record"]


def test_an_operator_may_record_the_key_s_record_writes_too(mongo_uri, tmp_path):
    instance = Instance(mongo_uri, tmp_path, "audit_keys", M3M_AUDIT__SKIP_API_KEY="[]").start()
    try:
        http, headers = instance.client, instance.headers
        project = http.post("/api/projects", json={"name": "Keyed", "slug": "keyed"}, headers=headers).json()
        api = f"/api/projects/{project['id']}"
        assert http.post(f"{api}/models", json={"name": "T", "slug": "t", "fields": [{"key": "v", "type": "string"}]},
                         headers=headers).status_code == 201
        key = {"X-API-Key": http.post(f"{api}/api-key", headers=headers).json()["apiKey"]}
        record_changes(http, f"{api}/models/t", key)
        recorded = entries(http, headers, project=project["id"], action="datastore.")["items"]
        assert [item["actor"]["kind"] for item in recorded[:4]] == ["api_key"] * 4
    finally:
        instance.close()


def test_reads_are_not_recorded_and_refusals_neither(client, root_headers, users):
    before = entries(client, root_headers)["totalItems"]
    client.get("/api/users", headers=root_headers)
    plain = users.make()  # one create and one sign-in
    after = entries(client, root_headers)["totalItems"]
    assert_error(client.delete(f"/api/users/{plain['id']}", headers=plain["headers"]), 403)
    assert entries(client, root_headers)["totalItems"] == after == before + 2


def test_filters_and_paging(client, root_headers, users, project):
    for n in range(3):
        assert client.patch(f"/api/projects/{project['id']}", json={"name": f"Audited {n}"},
                            headers=root_headers).status_code == 200
    page = entries(client, root_headers, action="projects.update_project", project=project["id"], perPage=2)
    assert page["totalItems"] >= 3 and page["totalPages"] >= 2 and len(page["items"]) == 2
    assert [item["after"]["name"] for item in page["items"]] == ["Audited 2", "Audited 1"]  # newest first
    assert page["items"][0]["before"]["name"] == "Audited 1"
    second = entries(client, root_headers, action="projects.update_project", project=project["id"], perPage=2, page=2)
    assert second["items"][0]["after"]["name"] == "Audited 0"
    every_project_action = entries(client, root_headers, action="projects.", project=project["id"])
    assert {item["action"] for item in every_project_action["items"]} >= {"projects.update_project"}
    assert all(item["action"].startswith("projects.") for item in every_project_action["items"])
    assert entries(client, root_headers, **{"from": "2999-01-01"})["totalItems"] == 0
    today = entries(client, root_headers, **{"from": time.strftime("%Y-%m-%d", time.gmtime())})
    assert today["totalItems"] >= 3
    mine = entries(client, root_headers, actor=users.make()["id"])
    assert mine["totalItems"] == 1 and mine["items"][0]["action"] == "auth.login"
    for bad in ({"method": "GET"}, {"from": "yesterday"}, {"perPage": "0"}, {"colour": "red"}):
        assert_error(client.get("/api/audit", params=bad, headers=root_headers), 422)


def test_who_may_read_it(client, root_headers, users, project):
    plain, manager, member = users.make(), users.make(manageUsers=True), users.make()
    members = client.get(f"/api/projects/{project['id']}/members", headers=root_headers).json()["members"]
    ids = [m["id"] if isinstance(m, dict) else m for m in members]
    put = client.put(f"/api/projects/{project['id']}/members", json={"members": ids + [member["id"]]},
                     headers=root_headers)
    assert put.status_code == 200, put.text
    assert_error(client.get("/api/audit"), 401)
    assert_error(client.get("/api/audit", headers=plain["headers"]), 403)
    assert entries(client, manager["headers"])["totalItems"] > 0
    own = entries(client, member["headers"], f"/api/projects/{project['id']}/audit")
    assert own["totalItems"] > 0 and all(item["project"]["id"] == project["id"] for item in own["items"])
    assert_error(client.get(f"/api/projects/{project['id']}/audit", headers=plain["headers"]), 404)
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=root_headers).json()["apiKey"]
    assert_error(client.get(f"/api/projects/{project['id']}/audit", headers={"X-API-Key": key}), 403)


def test_a_deleted_project_keeps_its_entries(client, root_headers):
    made = client.post("/api/projects", json={"name": "Gone", "slug": f"gone-{secrets.token_hex(3)}"},
                       headers=root_headers).json()
    assert client.delete(f"/api/projects/{made['id']}", headers=root_headers).status_code == 204
    entry = newest(client, root_headers, action="projects.delete_project")
    assert entry["project"] == {"id": made["id"], "slug": made["slug"]}
    assert entry["before"]["name"] == "Gone"


def test_retention_is_bounded(mongo_uri, tmp_path):
    instance = Instance(mongo_uri, tmp_path, "audit_retention", M3M_AUDIT__RETENTION="6s",
                        M3M_AUDIT__PRUNE_EVERY="500ms", M3M_AUDIT__MAX_ENTRIES="3").start()
    try:
        for n in range(5):
            instance.client.patch("/api/auth/me", json={"name": f"R{n}"}, headers=instance.headers)
        deadline = time.monotonic() + 5
        while entries(instance.client, instance.headers)["totalItems"] > 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        page = entries(instance.client, instance.headers)
        assert page["totalItems"] <= 3  # max_entries keeps the newest
        assert page["items"][0]["after"]["name"] == "R4"
        deadline = time.monotonic() + 12
        while entries(instance.client, instance.headers)["totalItems"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert entries(instance.client, instance.headers)["totalItems"] == 0  # past the retention
    finally:
        instance.close()


def test_entries_are_stored_after_the_answer_and_before_anyone_reads_them(mongo_uri, tmp_path):
    """Entries wait in a queue (audit.write_delay, here longer than the test) and are stored in
    one write; the API, a backup and the server's stop each store what is queued first."""
    from test_ops_backup import archived_documents

    instance = Instance(mongo_uri, tmp_path, "audit_queued", M3M_AUDIT__WRITE_DELAY="1h").start()
    mongo = instance.mongo()

    def stored() -> list[str]:
        return [doc["after"]["name"] for doc in mongo[instance.database].audit.find({"path": "/api/auth/me"}).sort("time", 1)]

    def rename(name: str) -> None:
        assert instance.client.patch("/api/auth/me", json={"name": name}, headers=instance.headers).status_code == 200

    try:
        rename("First")
        rename("Second")
        assert stored() == []  # answered, not stored yet
        assert [item["after"]["name"] for item in entries(instance.client, instance.headers, path="/api/audit")["items"][:2]] == ["Second", "First"]
        assert stored() == ["First", "Second"]  # the read stored them, in the order they were answered

        rename("Third")
        archive = tmp_path / "backup.tar.gz"
        made = instance.m3m("backup", str(archive))
        assert made.returncode == 0, made.stderr
        assert "Third" in [doc["after"]["name"] for doc in archived_documents(archive)["audit"] if doc["path"] == "/api/auth/me"]

        rename("Fourth")
        assert instance.stop() == 0
        assert stored()[-1] == "Fourth"  # the stop stored it
    finally:
        mongo.close()
        instance.close()


def test_code_releases_runtime_and_storage_changes_are_recorded(client, root_headers, project):
    api = f"/api/projects/{project['id']}"
    for code in ("// one\n", "// two\n"):
        assert client.put(f"{api}/pipeline/branches/develop", json={"code": code}, headers=root_headers).status_code in (200, 201)
    saved = newest(client, root_headers, action="pipeline.save_branch", project=project["id"])
    assert saved["before"]["code"] == "// one\n" and saved["request"] == {"code": "// two\n"}
    assert saved["target"] == "develop"
    made = client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor"}, headers=root_headers)
    assert made.status_code == 201, made.text
    release = newest(client, root_headers, action="pipeline.create_release", project=project["id"])
    assert release["after"]["version"] == made.json()["version"]
    assert client.post(f"{api}/storage/dirs", json={"path": "old"}, headers=root_headers).status_code in (200, 201)
    assert client.delete(f"{api}/storage", params={"path": "old"}, headers=root_headers).status_code in (200, 204)
    deleted = newest(client, root_headers, action="storage.delete", project=project["id"])
    assert deleted["query"] == {"path": "old"} and deleted["method"] == "DELETE"
    big = "// x\n" * 2000
    assert client.put(f"{api}/pipeline/branches/develop", json={"code": big}, headers=root_headers).status_code == 200
    large = newest(client, root_headers, action="pipeline.save_branch", project=project["id"])
    assert large["request"]["truncated"] is True and len(large["request"]["sha256"]) == 64
    sent = json.dumps({"code": big}, sort_keys=True)  # what the size and hash are taken of
    assert large["request"]["size"] == len(sent) and large["request"]["sha256"] == hashlib.sha256(sent.encode()).hexdigest()


def test_an_export_is_recorded_though_it_is_a_read(client, root_headers, project):
    assert client.get(f"/api/projects/{project['id']}/export", headers=root_headers).status_code == 200
    entry = newest(client, root_headers, action="export.export", project=project["id"])
    assert entry["method"] == "GET" and entry["status"] == 200 and entry["before"] is None and entry["after"] is None
