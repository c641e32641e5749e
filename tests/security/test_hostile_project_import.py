"""A member with `createProjects` imports a project archive they wrote by hand
(docs/operations.md "Moving a project"): an import writes only the collections the running
plugins declare for a project, only under the new project's id, with new ids everywhere, and no
field naming a user, a key or another project; anything else is a 422 naming it, and nothing is
written. Each archive is a real export changed as an attacker would, its checksums made to match."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from bson import ObjectId

from auth_support import assert_error
from conftest import new_project
from runtime_support import Deployed
from security.hostile_tars import repacked

IGNORED = {"audit", "login_failures"}  # what every request may add to, refused or not


@pytest.fixture(scope="module")
def attacker(users):
    return users.make(createProjects=True)


@pytest.fixture(scope="module")
def victim(client, root_headers, mongo):
    """Root's project, with a variable, a goal, a release and a data store model with a record."""
    project = new_project(client, root_headers, "victim")
    api = f"/api/projects/{project['id']}"
    assert client.put(f"{api}/env/SECRET", json={"type": "string", "value": "s3cret"}, headers=root_headers).status_code in (200, 201)
    goal = client.post(f"{api}/goals", json={"name": "Sales", "slug": "sales", "type": "counter"}, headers=root_headers)
    assert goal.status_code == 201, goal.text
    Deployed(client, root_headers, project).release("$router.get('/', () => 'victim')")
    model = client.post(f"{api}/models", json={"name": "Orders", "slug": "orders", "fields": [{"key": "total", "type": "number"}]},
                        headers=root_headers)
    assert model.status_code == 201, model.text
    assert client.post(f"{api}/models/orders/records", json={"total": 5}, headers=root_headers).status_code == 201
    return {**project, "goal": goal.json()["id"], "model": model.json()["id"],
            "env": mongo["env"].find_one({"project": project["id"], "key": "SECRET"})["_id"]}


@pytest.fixture(scope="module")
def exported(client, attacker) -> bytes:
    """The attacker's own small project, exported: the raw material of every hostile archive."""
    headers = attacker["headers"]
    project = new_project(client, headers, "own")
    api = f"/api/projects/{project['id']}"
    assert client.put(f"{api}/env/GREETING", json={"type": "string", "value": "hi"}, headers=headers).status_code in (200, 201)
    assert client.post(f"{api}/goals", json={"name": "Hits", "slug": "hits", "type": "counter"}, headers=headers).status_code == 201
    Deployed(client, headers, project).release("$router.get('/', () => 'own')")
    assert client.post(f"{api}/models", json={"name": "Notes", "slug": "notes", "fields": [{"key": "text", "type": "string"}]},
                       headers=headers).status_code == 201
    assert client.post(f"{api}/models/notes/records", json={"text": "a"}, headers=headers).status_code == 201
    response = client.get(f"{api}/export", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


@pytest.fixture(scope="module")
def bystander(users):
    return users.make()


def everything(mongo, server) -> dict:
    """How many documents each collection holds, and the projects' folders: a refused import
    changes neither."""
    counts = {name: mongo[name].count_documents({}) for name in mongo.list_collection_names() if name not in IGNORED}
    folders = sorted(path.name for path in (Path(server.env["M3M_STORAGE__PATH"]) / "projects").glob("*"))
    return {"counts": counts, "folders": folders}


@pytest.fixture
def unchanged(mongo, server):
    before = everything(mongo, server)
    yield
    assert everything(mongo, server) == before, "a refused import wrote something"


def refused(client, attacker, archive: bytes, *words: str, params=None) -> dict:
    response = client.post("/api/projects/import", content=archive, headers=attacker["headers"], params=params)
    error = assert_error(response, 422, fields=["file"])
    for word in words:
        assert word in error["message"], error
    return error


def test_a_users_document_makes_no_user_and_nobody_root(client, attacker, exported, mongo, unchanged):
    password = "Evil-pass-1"

    def add_root(docs, manifest):
        stamp = datetime.datetime.now(datetime.timezone.utc)
        docs["users"] = [{"_id": ObjectId(), "email": "evil@m3m.test", "name": "Evil", "passwordHash": PasswordHasher().hash(password),
                          "avatar": None, "isRoot": True, "blocked": False, "tokenVersion": 0, "revision": 0,
                          "permissions": {"createProjects": True, "manageUsers": True}, "created": stamp, "updated": stamp}]

    refused(client, attacker, repacked(exported, add_root), "users")
    assert mongo["users"].find_one({"email": "evil@m3m.test"}) is None
    assert client.post("/api/auth/login", json={"email": "evil@m3m.test", "password": password}).status_code == 401


@pytest.mark.parametrize("target", ["env", "release", "goal count", "link key"])
def test_nothing_lands_in_another_project(client, attacker, exported, victim, mongo, unchanged, target):
    key = secrets.token_bytes(32).hex()

    def aim(docs, manifest):
        if target == "env":  # a variable the victim's service would read
            docs["env"].append({**docs["env"][0], "_id": ObjectId(), "project": victim["id"], "key": "INJECTED"})
        elif target == "release":  # code the victim's runtime would run
            docs["pipeline_releases"].append({**docs["pipeline_releases"][0], "_id": ObjectId(), "project": victim["id"],
                                              "version": "9.9", "major": 9, "minor": 9})
        elif target == "goal count":  # a count into the victim's goal
            docs["goal_stats"] = [{"_id": ObjectId(), "goal": victim["goal"], "project": manifest["project"]["id"],
                                   "day": "", "value": 1000}]
        else:  # the key that signs the victim's direct links to its files
            docs["storage_link_keys"] = [{"_id": ObjectId(), "project": victim["id"], "key": key}]

    error = refused(client, attacker, repacked(exported, aim))
    assert {"env": "project", "release": "project", "goal count": "goal", "link key": "storage_link_keys"}[target] in error["message"]
    assert mongo["env"].find_one({"key": "INJECTED"}) is None
    assert mongo["pipeline_releases"].find_one({"project": victim["id"], "version": "9.9"}) is None
    assert mongo["goal_stats"].find_one({"goal": victim["goal"], "value": 1000}) is None
    assert mongo["storage_link_keys"].find_one({"key": key}) is None


@pytest.mark.parametrize("collection", ["audit", "records of another project's model", "system.js"])
def test_only_collections_the_plugins_declare_for_a_project_are_written(client, attacker, exported, victim, mongo, unchanged,
                                                                        collection):
    name = {"audit": "audit", "records of another project's model": f"records_{victim['model']}", "system.js": "system.js"}[collection]

    def add(docs, manifest):
        docs[name] = [{"_id": ObjectId() if name != f"records_{victim['model']}" else str(ObjectId()), "total": 1_000_000,
                       "action": "forged", "time": datetime.datetime.now(datetime.timezone.utc)}]

    refused(client, attacker, repacked(exported, add), name)
    assert mongo[f"records_{victim['model']}"].find_one({"total": 1_000_000}) is None
    assert mongo["audit"].find_one({"action": "forged"}) is None


def test_ids_are_never_kept_and_name_nothing_outside(client, attacker, exported, victim, mongo, unchanged):
    def twice(docs, manifest):
        docs["env"].append({**docs["env"][0], "key": "TWIN"})  # the same _id again

    refused(client, attacker, repacked(exported, twice), "comes twice")

    def text_id(docs, manifest):
        docs["env"][0]["_id"] = "root"

    refused(client, attacker, repacked(exported, text_id), "_id", "'root'")

    def outside(docs, manifest):  # an ObjectId that is no document of the archive: another project
        docs["env"][0]["owner"] = ObjectId(victim["id"])

    refused(client, attacker, repacked(exported, outside), "names nothing in the archive")


def test_an_existing_documents_id_is_replaced_not_written_over(client, attacker, exported, victim, mongo):
    before = mongo["env"].find_one({"_id": victim["env"]})

    def taken(docs, manifest):
        docs["env"][0]["_id"] = victim["env"]

    made = client.post("/api/projects/import", content=repacked(exported, taken), headers=attacker["headers"])
    assert made.status_code == 201, made.text
    assert mongo["env"].find_one({"_id": victim["env"]}) == before
    copied = list(mongo["env"].find({"project": made.json()["id"]}))
    assert copied and victim["env"] not in {doc["_id"] for doc in copied}


@pytest.mark.parametrize("key", ["$where", "a.b", "nested $ne"])
def test_operator_and_dotted_keys_are_refused(client, attacker, exported, mongo, unchanged, key):
    def add(docs, manifest):
        if key == "nested $ne":  # a value that a query would read as an operator
            docs["goals"][0]["key"] = {"$ne": ""}
        else:
            docs["env"][0][key] = "1"

    refused(client, attacker, repacked(exported, add), key.split()[-1])


def test_a_json_variable_keeps_its_own_keys(client, attacker, exported, mongo):
    """The env plugin declares `value` as its users' JSON: `$schema` and dotted keys are content."""
    value = {"$schema": "https://json-schema.org/draft/2020-12/schema", "a.b": 1}

    def add(docs, manifest):
        docs["env"].append({**docs["env"][0], "_id": ObjectId(), "key": "SCHEMA", "type": "json", "value": value})

    made = client.post("/api/projects/import", content=repacked(exported, add), headers=attacker["headers"])
    assert made.status_code == 201, made.text
    got = client.get(f"/api/projects/{made.json()['id']}/env", headers=attacker["headers"]).json()
    assert {"key": "SCHEMA", "value": value} in [{"key": item["key"], "value": item["value"]} for item in got]


@pytest.mark.parametrize("field", ["members", "createdBy", "apiKeyHash"])
def test_the_project_document_sets_no_member_creator_or_api_key(client, attacker, bystander, exported, mongo, unchanged, field):
    api_key = "m3m_" + secrets.token_urlsafe(32)

    def claim(docs, manifest):
        project = docs["projects"][0]
        project[field] = {"members": [attacker["id"], bystander["id"]], "createdBy": bystander["id"],
                          "apiKeyHash": hashlib.sha256(api_key.encode()).hexdigest()}[field]

    refused(client, attacker, repacked(exported, claim), field)
    assert client.get("/api/projects", headers={"X-API-Key": api_key}).status_code == 401
    assert client.get("/api/projects", headers=bystander["headers"]).json()["items"] == []


def test_a_slug_that_is_another_projects_id_is_refused(client, attacker, exported, victim, mongo, unchanged):
    """/bot-{id or slug} finds a service by id first, then by slug: a slug that is a stopped
    project's id would take its URLs."""
    taken = client.post("/api/projects/import", params={"slug": victim["id"]}, content=exported, headers=attacker["headers"])
    assert_error(taken, 422, fields=["slug"])

    def rename(docs, manifest):
        docs["projects"][0]["slug"] = victim["id"]

    refused(client, attacker, repacked(exported, rename), "slug")
