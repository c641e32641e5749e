"""User management: /api/users (docs/api.md "Auth and users"), its permission matrix and root rules,
and the `m3m new-admin` command."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from bson import ObjectId

from auth_support import PASSWORD, assert_error, assert_user, bearer, create_user, login, new_email
from conftest import ROOT_EMAIL, ROOT_PASSWORD, run_m3m

PROJECT = ""  # the id of a real project the users here are granted: made by granted_project


@pytest.fixture(scope="module", autouse=True)
def granted_project(client, root_headers):
    """A user's `permissions.projects` are the projects whose members include them, so the ids
    granted here must be real projects (an unknown one is a 422, tested below)."""
    global PROJECT
    response = client.post("/api/projects", json={"name": "Granted", "slug": f"granted-{ObjectId()}"[:40]},
                           headers=root_headers)
    assert response.status_code == 201, response.text
    PROJECT = response.json()["id"]
    return PROJECT


@pytest.fixture(scope="module")
def root(client, root_headers):
    return client.get("/api/auth/me", headers=root_headers).json()


@pytest.fixture(scope="module")
def manager(users):
    """An admin with manageUsers (and nothing else)."""
    return users.make(manageUsers=True)


@pytest.fixture(scope="module")
def plain(users):
    """An admin with every permission but manageUsers."""
    return users.make(createProjects=True, projects=[PROJECT])


@pytest.fixture(scope="module")
def blocked(users, client, root_headers):
    """A manageUsers admin signed in and then blocked: its token must stop working at once."""
    user = users.make(manageUsers=True)
    assert client.get("/api/users", headers=user["headers"]).status_code == 200
    assert client.post(f"/api/users/{user['id']}/block", headers=root_headers).status_code == 200
    return user


@pytest.fixture
def target(client, root_headers):
    """A fresh user to act on."""
    return create_user(client, root_headers)


@pytest.fixture(scope="module")
def bystander(client, root_headers):
    """A user that tests try (and fail) to change; shared, since it must stay as it is."""
    return create_user(client, root_headers)


@pytest.fixture(scope="module")
def blocked_bystander(client, root_headers):
    """A blocked user that tests try (and fail) to unblock."""
    user = create_user(client, root_headers)
    response = client.post(f"/api/users/{user['id']}/block", headers=root_headers)
    assert response.status_code == 200, response.text
    return response.json()


def as_root(client, root_headers, uid):
    return client.get(f"/api/users/{uid}", headers=root_headers)


# -- the permission matrix ---------------------------------------------------------------------


def check_list(client, root_headers, target, response):
    body = response.json()
    assert set(body) == {"items", "page", "perPage", "totalItems", "totalPages"}
    assert target["id"] in [item["id"] for item in body["items"]]


def check_create(client, root_headers, target, response):
    user = assert_user(response.json())
    assert user["email"] == target["new_email"].lower()
    assert user["permissions"] == {"createProjects": True, "manageUsers": False, "projects": [PROJECT]}
    assert user["isRoot"] is False and user["blocked"] is False and user["avatar"] is None
    assert as_root(client, root_headers, user["id"]).json() == user
    assert login(client, target["new_email"], PASSWORD).status_code == 200


def check_get(client, root_headers, target, response):
    assert response.json() == target


def check_patch(client, root_headers, target, response):
    assert response.json()["name"] == "Renamed"
    assert response.json()["updated"] >= target["updated"]
    assert as_root(client, root_headers, target["id"]).json()["name"] == "Renamed"


def check_delete(client, root_headers, target, response):
    assert response.content == b""
    assert_error(as_root(client, root_headers, target["id"]), 404, "not_found")
    assert_error(login(client, target["email"], PASSWORD), 401, "invalid_credentials")


def check_block(client, root_headers, target, response):
    assert response.json()["blocked"] is True
    assert as_root(client, root_headers, target["id"]).json()["blocked"] is True
    assert_error(login(client, target["email"], PASSWORD), 403, "user_blocked")


def check_unblock(client, root_headers, target, response):
    assert response.json()["blocked"] is False
    assert login(client, target["email"], PASSWORD).status_code == 200


ENDPOINTS = {
    "list": ("GET", "/api/users?perPage=500", None, 200, check_list),
    "create": ("POST", "/api/users", "create", 201, check_create),
    "get": ("GET", "/api/users/{uid}", None, 200, check_get),
    "patch": ("PATCH", "/api/users/{uid}", {"name": "Renamed"}, 200, check_patch),
    "delete": ("DELETE", "/api/users/{uid}", None, 204, check_delete),
    "block": ("POST", "/api/users/{uid}/block", None, 200, check_block),
    "unblock": ("POST", "/api/users/{uid}/unblock", None, 200, check_unblock),
}
DENIED = {"anonymous": (401, "unauthorized"), "blocked": (401, "user_blocked"), "plain": (403, "forbidden")}


@pytest.mark.parametrize("actor", ["anonymous", "blocked", "plain", "manager", "root"])
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(request, client, root_headers, manager, plain, blocked, mongo, endpoint, actor):
    method, path, payload, status, check = ENDPOINTS[endpoint]
    headers = {
        "anonymous": {}, "blocked": blocked["headers"], "plain": plain["headers"],
        "manager": manager["headers"], "root": root_headers,
    }[actor]
    if actor in DENIED:  # nothing may change, so a shared user will do
        target = dict(request.getfixturevalue("blocked_bystander" if endpoint == "unblock" else "bystander"))
    else:
        target = request.getfixturevalue("target")
        if endpoint == "unblock":
            assert client.post(f"/api/users/{target['id']}/block", headers=root_headers).status_code == 200
            target = as_root(client, root_headers, target["id"]).json()
    if payload == "create":
        target["new_email"] = new_email().upper()
        payload = {"email": target["new_email"], "password": PASSWORD, "name": "New",
                   "permissions": {"createProjects": True, "projects": [PROJECT, PROJECT]}}

    response = client.request(method, path.format(uid=target["id"]), json=payload, headers=headers)

    if actor in DENIED:
        assert_error(response, *DENIED[actor])
        # Nothing changed.
        if endpoint == "create":
            assert mongo.users.find_one({"email": target["new_email"].lower()}) is None
        else:
            after = as_root(client, root_headers, target["id"])
            assert after.status_code == 200
            assert after.json() == {k: v for k, v in target.items() if k != "new_email"}
    else:
        assert response.status_code == status, response.text
        check(client, root_headers, target, response)


def test_a_token_stops_working_as_soon_as_its_user_is_blocked(client, root_headers, users):
    user = users.make()
    assert client.get("/api/auth/me", headers=user["headers"]).status_code == 200
    assert client.post(f"/api/users/{user['id']}/block", headers=root_headers).status_code == 200
    assert_error(client.get("/api/auth/me", headers=user["headers"]), 401, "user_blocked")
    assert_error(client.get(f"/api/users/{user['id']}", headers=user["headers"]), 401, "user_blocked")


def test_unblock_restores_access_with_a_new_sign_in(client, root_headers, users):
    user = users.make()
    assert client.post(f"/api/users/{user['id']}/block", headers=root_headers).status_code == 200
    assert_error(login(client, user["email"], user["password"]), 403, "user_blocked")
    assert client.post(f"/api/users/{user['id']}/unblock", headers=root_headers).status_code == 200

    response = login(client, user["email"], user["password"])
    assert response.status_code == 200, response.text
    assert client.get("/api/auth/me", headers=bearer(response.json()["token"])).status_code == 200
    # The token from before the block stays dead: a block ends every session.
    assert_error(client.get("/api/auth/me", headers=user["headers"]), 401, "token_revoked")


def test_anyone_may_read_themselves_but_not_others(client, plain, manager):
    mine = client.get(f"/api/users/{plain['id']}", headers=plain["headers"])
    assert mine.status_code == 200, mine.text
    assert assert_user(mine.json())["email"] == plain["email"]
    assert_error(client.get(f"/api/users/{manager['id']}", headers=plain["headers"]), 403, "forbidden")


@pytest.mark.parametrize("uid", ["0123456789abcdef01234567", "not-an-id", "0" * 23, "g" * 24, "%00"])
@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/block"), ("POST", "/unblock")]
)
def test_unknown_users_are_404(client, manager, uid, method, suffix):
    response = client.request(method, f"/api/users/{uid}{suffix}", json={}, headers=manager["headers"])
    assert_error(response, 404, "not_found")


def test_without_manage_users_an_unknown_user_is_403_not_404(client, plain):
    # The permission is checked first, so that a plain admin cannot probe which ids exist.
    response = client.delete("/api/users/0123456789abcdef01234567", headers=plain["headers"])
    assert_error(response, 403)


# -- root rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["root", "manager"])
@pytest.mark.parametrize(("method", "suffix"), [("DELETE", ""), ("POST", "/block")])
def test_root_can_never_be_deleted_or_blocked(client, root_headers, manager, root, mongo, who, method, suffix):
    headers = root_headers if who == "root" else manager["headers"]
    assert_error(client.request(method, f"/api/users/{root['id']}{suffix}", headers=headers), 403, "forbidden")
    doc = mongo.users.find_one({"email": ROOT_EMAIL})
    assert doc is not None and doc["blocked"] is False
    assert login(client, ROOT_EMAIL, ROOT_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{"name": "Not root"}, {"email": "taken-over@m3m.test"}, {"password": "Hijack-pass-1"},
     {"permissions": {"manageUsers": True}}],
)
def test_only_root_may_edit_root(client, manager, root, mongo, payload):
    response = client.patch(f"/api/users/{root['id']}", json=payload, headers=manager["headers"])
    assert_error(response, 403, "forbidden")
    response = client.post(f"/api/users/{root['id']}/unblock", headers=manager["headers"])
    assert_error(response, 403, "forbidden")
    doc = mongo.users.find_one({"_id": ObjectId(root["id"])})
    assert doc["email"] == ROOT_EMAIL and doc["name"] == root["name"]
    assert login(client, ROOT_EMAIL, ROOT_PASSWORD).status_code == 200


def test_root_may_edit_root(client, root_headers, root):
    response = client.patch(f"/api/users/{root['id']}", json={"name": "  Root Renamed "}, headers=root_headers)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Root Renamed"
    assert response.json()["isRoot"] is True
    response = client.patch(f"/api/users/{root['id']}", json={"name": root["name"]}, headers=root_headers)
    assert response.json()["name"] == root["name"]


@pytest.mark.parametrize(("method", "suffix"), [("DELETE", ""), ("POST", "/block")])
def test_nobody_can_delete_or_block_themselves(client, users, method, suffix):
    user = users.make(manageUsers=True)
    response = client.request(method, f"/api/users/{user['id']}{suffix}", headers=user["headers"])
    assert_error(response, 409, "conflict")
    me = client.get("/api/auth/me", headers=user["headers"])
    assert me.status_code == 200 and me.json()["blocked"] is False


def test_a_non_root_cannot_change_their_own_permissions(client, manager, mongo):
    for permissions in ({"manageUsers": True, "createProjects": True}, {"manageUsers": True}):
        response = client.patch(f"/api/users/{manager['id']}", json={"permissions": permissions},
                                headers=manager["headers"])
        assert_error(response, 403, "forbidden")
    assert client.get("/api/auth/me", headers=manager["headers"]).json()["permissions"] == manager["permissions"]
    # Their own name is fine.
    response = client.patch(f"/api/users/{manager['id']}", json={"name": "Me"}, headers=manager["headers"])
    assert response.status_code == 200, response.text


def test_a_manager_may_change_other_users_permissions(client, manager, target):
    permissions = {"createProjects": True, "manageUsers": True, "projects": [PROJECT]}
    response = client.patch(f"/api/users/{target['id']}", json={"permissions": permissions},
                            headers=manager["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["permissions"] == permissions


def test_patch_can_change_email_and_password(client, root_headers, users):
    user = users.make()
    email = new_email()
    response = client.patch(f"/api/users/{user['id']}", json={"email": email.upper(), "password": "Other-pass-2"},
                            headers=root_headers)
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email
    assert_error(login(client, user["email"], user["password"]), 401, "invalid_credentials")
    assert_error(login(client, email, user["password"]), 401, "invalid_credentials")
    assert login(client, email, "Other-pass-2").status_code == 200
    # A password set by an admin ends the user's sessions.
    assert_error(client.get("/api/auth/me", headers=user["headers"]), 401, "token_revoked")


def test_stored_types_survive_updates(client, root_headers, target, mongo):
    """Times stay dates and flags stay booleans in the database after every kind of update."""
    uid = target["id"]
    for path, payload in [(f"/api/users/{uid}", {"name": "A", "permissions": {"createProjects": True}}),
                          (f"/api/users/{uid}/block", None), (f"/api/users/{uid}/unblock", None),
                          (f"/api/users/{uid}", {"password": "Other-pass-2"})]:
        method = "PATCH" if payload else "POST"
        assert client.request(method, path, json=payload, headers=root_headers).status_code == 200
        doc = mongo.users.find_one({"email": target["email"]})
        assert type(doc["_id"]).__name__ == "ObjectId"
        assert doc["created"].tzinfo is not None and doc["updated"] > doc["created"]
        assert doc["blocked"] in (True, False) and type(doc["blocked"]) is bool
        assert all(type(v) is bool for k, v in doc["permissions"].items() if k != "projects")
    listed = client.get("/api/users?perPage=500", headers=root_headers)
    assert listed.status_code == 200, listed.text


def test_concurrent_edits_do_not_undo_a_block(client, server, root_headers, users):
    """Edits racing with a block: every one lands or is refused, and the block is never lost."""
    user = users.make()
    uid = user["id"]

    def send(request):
        method, path, payload = request
        with httpx.Client(base_url=server.url, timeout=30) as http:
            return http.request(method, path, json=payload, headers=root_headers).status_code

    requests = [("PATCH", f"/api/users/{uid}", {"name": f"name {i}"}) for i in range(8)]
    requests.insert(4, ("POST", f"/api/users/{uid}/block", None))
    requests.append(("PATCH", f"/api/users/{uid}", {"password": "Racing-pass-3"}))
    with ThreadPoolExecutor(len(requests)) as pool:
        statuses = list(pool.map(send, requests))
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[4] == 200
    after = as_root(client, root_headers, uid).json()
    assert after["blocked"] is True
    assert_error(client.get("/api/auth/me", headers=user["headers"]), 401, "user_blocked")


# -- pagination --------------------------------------------------------------------------------


def test_the_list_is_paginated(client, root_headers, manager, plain, mongo):
    total = mongo.users.count_documents({})
    assert total >= 3
    seen = []
    pages = math.ceil(total / 2)
    for page in range(1, pages + 1):
        response = client.get(f"/api/users?page={page}&perPage=2", headers=manager["headers"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert {k: v for k, v in body.items() if k != "items"} == {
            "page": page, "perPage": 2, "totalItems": total, "totalPages": pages}
        assert len(body["items"]) == (2 if page < pages or total % 2 == 0 else 1)
        seen += [assert_user(item)["id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == total
    # Oldest first, so the root user (made first) leads.
    assert client.get("/api/users?perPage=1", headers=root_headers).json()["items"][0]["email"] == ROOT_EMAIL

    past = client.get(f"/api/users?page={pages + 1}&perPage=2", headers=root_headers).json()
    assert past["items"] == [] and past["totalItems"] == total

    default = client.get("/api/users", headers=root_headers).json()
    assert default["page"] == 1 and default["perPage"] == 30
    assert "passwordHash" not in str(default) and "tokenVersion" not in str(default)


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=1.5", "page"), ("page=", "page"),
     ("perPage=0", "perPage"), ("perPage=501", "perPage"), ("perPage=x", "perPage"), ("perPage=", "perPage"),
     ("page=99999999999999999999999", "page")],
)
def test_bad_page_parameters_are_422(client, root_headers, query, field):
    response = client.get(f"/api/users?{query}", headers=root_headers)
    assert_error(response, 422, "validation_failed", [field])


# -- creating and editing: validation ----------------------------------------------------------


def test_duplicate_emails_are_409(client, root_headers, bystander):
    for email in (bystander["email"], bystander["email"].upper(), f"  {bystander['email']} "):
        response = client.post("/api/users", json={"email": email, "password": PASSWORD}, headers=root_headers)
        assert_error(response, 409, "conflict", ["email"])


def test_patching_to_a_taken_email_is_409(client, root_headers, target, manager, mongo):
    response = client.patch(f"/api/users/{target['id']}", json={"email": manager["email"].upper()},
                            headers=root_headers)
    assert_error(response, 409, "conflict", ["email"])
    assert mongo.users.count_documents({"email": manager["email"]}) == 1
    assert as_root(client, root_headers, target["id"]).json()["email"] == target["email"]
    # Keeping one's own email is not a conflict.
    response = client.patch(f"/api/users/{target['id']}", json={"email": target["email"]}, headers=root_headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("password", ["", "Short-1", "onlyletters", "12345678", "--------", "x" * 257])
def test_weak_passwords_are_422(client, root_headers, bystander, password):
    response = client.post("/api/users", json={"email": new_email(), "password": password}, headers=root_headers)
    assert_error(response, 422, "validation_failed", ["password"])
    response = client.patch(f"/api/users/{bystander['id']}", json={"password": password}, headers=root_headers)
    assert_error(response, 422, "validation_failed", ["password"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "two words@m3m.test"}, "email"),
        ({"email": "a@b@c"}, "email"),
        ({"email": 7}, "email"),
        ({"name": "n" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"isRoot": True}, "isRoot"),
        ({"blocked": False}, "blocked"),
        ({"role": "admin"}, "role"),
        ({"permissions": {"superuser": True}}, "permissions.superuser"),
        ({"permissions": {"projects": ["nope"]}}, "permissions.projects.0"),
        ({"permissions": {"projects": "0123456789abcdef01234567"}}, "permissions.projects"),
        ({"permissions": {"manageUsers": "sure"}}, "permissions.manageUsers"),
        ({"permissions": []}, "permissions"),
    ],
)
def test_invalid_user_fields_are_422(client, root_headers, bystander, payload, field):
    create = {"email": new_email(), "password": PASSWORD, **payload}
    response = client.post("/api/users", json=create, headers=root_headers)
    assert_error(response, 422, "validation_failed", [field])
    response = client.patch(f"/api/users/{bystander['id']}", json=payload, headers=root_headers)
    assert_error(response, 422, "validation_failed", [field])
    assert as_root(client, root_headers, bystander["id"]).json() == bystander


def test_create_needs_email_and_password(client, root_headers):
    response = client.post("/api/users", json={}, headers=root_headers)
    assert_error(response, 422, "validation_failed", ["email", "password"])


def test_malformed_bodies_are_400(client, root_headers, bystander):
    for method, path in (("POST", "/api/users"), ("PATCH", f"/api/users/{bystander['id']}")):
        for raw in (b"{", b"[1]", b"\xff"):
            response = client.request(method, path, content=raw, headers=root_headers)
            assert_error(response, 400, "malformed_json")


def test_a_manager_can_create_users_that_can_sign_in(client, manager):
    email = new_email()
    response = client.post("/api/users", json={"email": email, "password": PASSWORD}, headers=manager["headers"])
    assert response.status_code == 201, response.text
    user = assert_user(response.json())
    assert user["name"] == "" and user["isRoot"] is False
    assert user["permissions"] == {"createProjects": False, "manageUsers": False, "projects": []}
    assert login(client, email, PASSWORD).json()["user"]["id"] == user["id"]


def test_deleting_a_user_kills_their_token(client, root_headers, users):
    user = users.make()
    assert client.delete(f"/api/users/{user['id']}", headers=root_headers).status_code == 204
    assert_error(client.get("/api/auth/me", headers=user["headers"]), 401, "invalid_token")
    assert_error(client.delete(f"/api/users/{user['id']}", headers=root_headers), 404, "not_found")


# -- m3m new-admin ------------------------------------------------------------------------------


def test_new_admin_after_root_makes_a_plain_admin(client, server, mongo):
    email = new_email()
    result = run_m3m("new-admin", email.upper(), "Cli-pass-1", "--name", "Cli", env=server.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"created admin {email} (id ")
    response = login(client, email, "Cli-pass-1")
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["name"] == "Cli" and user["isRoot"] is False
    assert user["permissions"] == {"createProjects": False, "manageUsers": False, "projects": []}
    assert mongo.auth_root.count_documents({}) == 1

    again = run_m3m("new-admin", email, "Cli-pass-1", env=server.env)
    assert again.returncode != 0 and "email is taken" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(("email", "password", "message"), [
    ("nobody", "Cli-pass-1", "email is not an email address"),
    ("weak@m3m.test", "weak", "password is too weak"),
])
def test_new_admin_refuses_bad_input(server, mongo, email, password, message):
    result = run_m3m("new-admin", email, password, env=server.env)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert mongo.users.find_one({"email": email}) is None
