"""Environment variables: typed values, checked on write, per project."""

import secrets

import pytest


@pytest.fixture
def project(client, owner):
    response = client.post("/api/projects", json={"name": "E", "slug": f"env-{secrets.token_hex(3)}"}, headers=owner["headers"])
    return response.json()


@pytest.mark.parametrize(
    "type_, sent, stored",
    [
        ("string", "hello", "hello"),
        ("text", "line one\nline two", "line one\nline two"),
        ("json", {"a": [1, 2, {"b": None}]}, {"a": [1, 2, {"b": None}]}),
        ("json", [1, "two"], [1, "two"]),
        ("integer", 42, 42),
        ("integer", "-7", -7),
        ("float", 1.5, 1.5),
        ("float", "2.25", 2.25),
        ("float", 3, 3.0),
        ("boolean", True, True),
        ("boolean", "false", False),
    ],
)
def test_typed_values(client, owner, project, type_, sent, stored):
    url = f"/api/projects/{project['id']}/env/MY_VAR"
    response = client.put(url, json={"type": type_, "value": sent}, headers=owner["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["value"] == stored
    listed = client.get(f"/api/projects/{project['id']}/env", headers=owner["headers"]).json()
    assert listed[0]["key"] == "MY_VAR" and listed[0]["type"] == type_ and listed[0]["value"] == stored
    # Same JSON type too: 1 == True in Python, but not for a client.
    assert type(listed[0]["value"]) is type(stored)


@pytest.mark.parametrize(
    "type_, sent",
    [
        ("string", 5),
        ("string", "two\nlines"),
        ("text", ["x"]),
        ("integer", 1.5),
        ("integer", "12abc"),
        ("integer", True),
        ("float", "nan-ish"),
        ("float", False),
        ("boolean", "yes"),
        ("boolean", 1),
    ],
)
def test_value_must_fit_type(client, owner, project, type_, sent):
    response = client.put(f"/api/projects/{project['id']}/env/V", json={"type": type_, "value": sent}, headers=owner["headers"])
    assert response.status_code == 422, response.text
    assert "value" in response.json()["error"]["fields"]


def test_bad_key_and_type(client, owner, project):
    base = f"/api/projects/{project['id']}/env"
    bad_key = client.put(f"{base}/1ABC", json={"type": "string", "value": "x"}, headers=owner["headers"])
    assert bad_key.status_code == 422 and "key" in bad_key.json()["error"]["fields"]
    bad_type = client.put(f"{base}/OK", json={"type": "date", "value": "x"}, headers=owner["headers"])
    assert bad_type.status_code == 422 and "type" in bad_type.json()["error"]["fields"]
    missing = client.put(f"{base}/OK", json={"type": "string"}, headers=owner["headers"])
    assert missing.status_code == 422 and "value" in missing.json()["error"]["fields"]


def test_replace_and_delete(client, owner, project):
    url = f"/api/projects/{project['id']}/env/TOKEN"
    client.put(url, json={"type": "string", "value": "a"}, headers=owner["headers"])
    client.put(url, json={"type": "integer", "value": 3}, headers=owner["headers"])
    listed = client.get(f"/api/projects/{project['id']}/env", headers=owner["headers"]).json()
    assert [(v["key"], v["type"], v["value"]) for v in listed] == [("TOKEN", "integer", 3)]
    assert client.delete(url, headers=owner["headers"]).status_code == 204
    assert client.delete(url, headers=owner["headers"]).status_code == 404
    assert client.get(f"/api/projects/{project['id']}/env", headers=owner["headers"]).json() == []


def test_permissions(client, users, owner, project):
    url = f"/api/projects/{project['id']}/env"
    stranger = users.make(createProjects=True)
    assert client.get(url).status_code == 401
    assert client.get(url, headers=stranger["headers"]).status_code == 404
    assert client.put(f"{url}/X", json={"type": "string", "value": "x"}, headers=stranger["headers"]).status_code == 404
    api_key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    assert client.put(f"{url}/X", json={"type": "string", "value": "x"}, headers={"X-API-Key": api_key}).status_code == 200


def test_variables_are_per_project_and_cascade(client, owner, project, mongo):
    """Deleting a project reaches the env plugin through m3m_project_deleted."""
    other = client.post("/api/projects", json={"name": "E2", "slug": f"env-{secrets.token_hex(3)}"}, headers=owner["headers"]).json()
    client.put(f"/api/projects/{project['id']}/env/SHARED", json={"type": "string", "value": "one"}, headers=owner["headers"])
    client.put(f"/api/projects/{other['id']}/env/SHARED", json={"type": "string", "value": "two"}, headers=owner["headers"])
    assert client.get(f"/api/projects/{other['id']}/env", headers=owner["headers"]).json()[0]["value"] == "two"
    client.delete(f"/api/projects/{project['id']}", headers=owner["headers"])
    assert mongo.env.count_documents({"project": project["id"]}) == 0
    assert mongo.env.count_documents({"project": other["id"]}) == 1
