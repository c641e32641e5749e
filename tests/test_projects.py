"""Projects: creation rules, who sees what, settings, members, API keys, delete cascade."""

import secrets

import pytest


def slug() -> str:
    return f"p-{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def creator(users):
    return users.make(createProjects=True)


@pytest.fixture
def project(client, creator):
    response = client.post("/api/projects", json={"name": "Bot", "slug": slug(), "color": "blue"}, headers=creator["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def test_create_needs_permission(client, users, creator, root_headers):
    plain = users.make()
    assert client.post("/api/projects", json={"name": "x", "slug": slug()}).status_code == 401
    refused = client.post("/api/projects", json={"name": "x", "slug": slug()}, headers=plain["headers"])
    assert refused.status_code == 403
    made = client.post("/api/projects", json={"name": "x", "slug": slug()}, headers=root_headers)
    assert made.status_code == 201
    assert made.json()["color"] is None and made.json()["hasApiKey"] is False


def test_creator_is_member(project, creator):
    assert project["members"] == [creator["id"]]
    assert project["createdBy"] == creator["id"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "slug": "Upper"}, "slug"),
        ({"name": "x", "slug": "has space"}, "slug"),
        ({"name": "x", "slug": "-lead"}, "slug"),
        ({"name": "x", "slug": "0123456789abcdef01234567"}, "slug"),
        ({"name": "", "slug": "ok-slug"}, "name"),
        ({"name": "x", "slug": "ok-slug", "color": "chartreuse"}, "color"),
        ({"slug": "ok-slug"}, "name"),
        ({"name": "x", "slug": "ok-slug", "extra": 1}, "extra"),
    ],
)
def test_create_validation(client, creator, payload, field):
    response = client.post("/api/projects", json=payload, headers=creator["headers"])
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]


def test_slug_unique_on_create_and_patch(client, creator, project):
    taken = client.post("/api/projects", json={"name": "x", "slug": project["slug"]}, headers=creator["headers"])
    assert taken.status_code == 409
    assert "slug" in taken.json()["error"]["fields"]
    other = client.post("/api/projects", json={"name": "y", "slug": slug()}, headers=creator["headers"]).json()
    clash = client.patch(f"/api/projects/{other['id']}", json={"slug": project["slug"]}, headers=creator["headers"])
    assert clash.status_code == 409


def test_get_by_id_and_slug(client, creator, project):
    """{pid} is an id or a slug: the projects plugin answers m3m_resolve_project for both."""
    by_id = client.get(f"/api/projects/{project['id']}", headers=creator["headers"])
    by_slug = client.get(f"/api/projects/{project['slug']}", headers=creator["headers"])
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json()["id"] == by_slug.json()["id"]


def test_visibility(client, users, creator, project, root_headers):
    outsider = users.make(createProjects=True)
    granted = users.make(projects=[project["id"]])
    assert client.get(f"/api/projects/{project['id']}", headers=outsider["headers"]).status_code == 404
    assert client.get(f"/api/projects/{project['slug']}", headers=granted["headers"]).status_code == 200
    listed = [p["id"] for p in client.get("/api/projects", headers=outsider["headers"]).json()["items"]]
    assert project["id"] not in listed
    listed = [p["id"] for p in client.get("/api/projects?perPage=500", headers=granted["headers"]).json()["items"]]
    assert listed == [project["id"]]
    everything = client.get("/api/projects?perPage=500", headers=root_headers).json()
    assert project["id"] in [p["id"] for p in everything["items"]]
    assert everything["totalItems"] >= 1


def test_settings(client, creator, project):
    url = f"/api/projects/{project['id']}"
    new_slug = slug()
    changed = client.patch(url, json={"name": "Renamed", "slug": new_slug, "color": None}, headers=creator["headers"])
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Renamed" and changed.json()["slug"] == new_slug
    assert changed.json()["color"] is None
    assert client.get(f"/api/projects/{new_slug}", headers=creator["headers"]).status_code == 200
    assert client.get(f"/api/projects/{project['slug']}", headers=creator["headers"]).status_code == 404
    assert client.patch(url, json={"name": None}, headers=creator["headers"]).status_code == 422
    assert client.patch(url, json={"color": "teal"}, headers=creator["headers"]).json()["color"] == "teal"


def test_members_grant_and_revoke(client, users, creator, project):
    friend = users.make()
    url = f"/api/projects/{project['id']}/members"
    assert client.get(f"/api/projects/{project['id']}", headers=friend["headers"]).status_code == 404
    put = client.put(url, json={"members": [creator["id"], friend["id"]]}, headers=creator["headers"])
    assert put.status_code == 200
    assert client.get(f"/api/projects/{project['id']}", headers=friend["headers"]).status_code == 200
    assert sorted(client.get(url, headers=friend["headers"]).json()["members"]) == sorted([creator["id"], friend["id"]])
    client.put(url, json={"members": [creator["id"]]}, headers=creator["headers"])
    assert client.get(f"/api/projects/{project['id']}", headers=friend["headers"]).status_code == 404
    assert client.put(url, json={"members": ["nope"]}, headers=creator["headers"]).status_code == 422


def test_api_key(client, creator, project):
    url = f"/api/projects/{project['id']}"
    first = client.post(f"{url}/api-key", headers=creator["headers"])
    assert first.status_code == 200
    key = first.json()["apiKey"]
    assert client.get(url, headers=creator["headers"]).json()["hasApiKey"] is True
    assert client.get(url, headers={"X-API-Key": key}).status_code == 200
    # The key reaches only its project, and not the project's settings.
    other = client.post("/api/projects", json={"name": "o", "slug": slug()}, headers=creator["headers"]).json()
    assert client.get(f"/api/projects/{other['id']}", headers={"X-API-Key": key}).status_code == 404
    assert client.patch(url, json={"name": "x"}, headers={"X-API-Key": key}).status_code == 403
    assert client.delete(url, headers={"X-API-Key": key}).status_code == 403
    assert client.post(f"{url}/api-key", headers={"X-API-Key": key}).status_code == 403
    assert client.get("/api/users", headers={"X-API-Key": key}).status_code == 403
    listed = client.get("/api/projects", headers={"X-API-Key": key}).json()["items"]
    assert [p["id"] for p in listed] == [project["id"]]
    # Regenerating stops the old key at once.
    second = client.post(f"{url}/api-key", headers=creator["headers"]).json()["apiKey"]
    assert second != key
    old = client.get(url, headers={"X-API-Key": key})
    assert old.status_code == 401 and old.json()["error"]["code"] == "invalid_api_key"
    assert client.get(url, headers={"X-API-Key": second}).status_code == 200


def test_api_key_is_stored_as_hash(client, creator, project, mongo):
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=creator["headers"]).json()["apiKey"]
    stored = mongo.projects.find_one({"slug": project["slug"]})
    assert key not in str(stored)
    assert len(stored["apiKeyHash"]) == 64


def test_delete_rules(client, users, creator, project, root_headers):
    member = users.make()
    granted = users.make(projects=[project["id"]])
    client.put(f"/api/projects/{project['id']}/members", json={"members": [creator["id"], member["id"]]}, headers=creator["headers"])
    assert client.delete(f"/api/projects/{project['id']}", headers=member["headers"]).status_code == 403
    assert client.delete(f"/api/projects/{project['id']}", headers=creator["headers"]).status_code == 204
    assert client.get(f"/api/projects/{project['id']}", headers=creator["headers"]).status_code == 404
    assert client.delete(f"/api/projects/{project['id']}", headers=creator["headers"]).status_code == 404
    # m3m_project_deleted reached the auth plugin: the grant is gone from the user.
    assert client.get(f"/api/users/{granted['id']}", headers=root_headers).json()["permissions"]["projects"] == []


def test_colors(client):
    colors = client.get("/api/colors").json()["items"]
    assert len(colors) == 16
    assert {"name": "blue", "hex": "#3b82f6"} in colors
