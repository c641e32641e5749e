"""Goals: global and project goals, who may write where, atomic counting, statistics."""

import asyncio
import secrets
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from conftest import new_project


def key() -> str:
    return f"g-{secrets.token_hex(3)}"


@pytest.fixture
def project(client, owner):
    return new_project(client, owner["headers"], "gp")


def test_project_goal_crud(client, owner, project):
    base = f"/api/projects/{project['id']}/goals"
    made = client.post(base, json={"name": "Signups", "slug": "signups", "type": "daily_counter", "color": "green"}, headers=owner["headers"])
    assert made.status_code == 201, made.text
    goal = made.json()
    assert goal["slug"] == f"{project['slug']}-signups"
    assert goal["projectRef"] == project["id"] and goal["type"] == "daily_counter"
    assert client.post(base, json={"name": "Again", "slug": "signups"}, headers=owner["headers"]).status_code == 409
    assert [g["id"] for g in client.get(base, headers=owner["headers"]).json()["items"]] == [goal["id"]]
    patched = client.patch(f"{base}/{goal['id']}", json={"description": "new users", "color": None}, headers=owner["headers"])
    assert patched.status_code == 200 and patched.json()["description"] == "new users"
    # Renaming the project renames the goal's public slug.
    client.patch(f"/api/projects/{project['id']}", json={"slug": project["slug"] + "-x"}, headers=owner["headers"])
    assert client.get(f"{base}/{goal['id']}", headers=owner["headers"]).json()["slug"] == f"{project['slug']}-x-signups"
    assert client.delete(f"{base}/{goal['id']}", headers=owner["headers"]).status_code == 204
    assert client.get(f"{base}/{goal['id']}", headers=owner["headers"]).status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "slug": "Bad Slug"}, "slug"),
        ({"name": "x", "slug": "ok", "type": "gauge"}, "type"),
        ({"name": "x", "slug": "ok", "color": "beige"}, "color"),
        ({"slug": "ok"}, "name"),
    ],
)
def test_goal_validation(client, owner, project, payload, field):
    response = client.post(f"/api/projects/{project['id']}/goals", json=payload, headers=owner["headers"])
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_project_goals_need_project_access(client, users, owner, project):
    stranger = users.make()
    assert client.get(f"/api/projects/{project['id']}/goals", headers=stranger["headers"]).status_code == 404
    assert client.get(f"/api/projects/{project['id']}/goals").status_code == 401
    # A goal of another project is not reachable through this one.
    other = new_project(client, owner["headers"], "gp")
    goal = client.post(f"/api/projects/{other['id']}/goals", json={"name": "o", "slug": "o"}, headers=owner["headers"]).json()
    assert client.get(f"/api/projects/{project['id']}/goals/{goal['id']}", headers=owner["headers"]).status_code == 404


def test_global_goals_root_only(client, users, owner, root_headers, project):
    slug = key()
    payload = {"name": "Global", "slug": slug, "allowedProjects": [project["slug"]]}
    assert client.post("/api/goals", json=payload, headers=owner["headers"]).status_code == 403
    made = client.post("/api/goals", json=payload, headers=root_headers)
    assert made.status_code == 201, made.text
    goal = made.json()
    assert goal["projectRef"] is None and goal["slug"] == slug
    assert goal["allowedProjects"] == [project["id"]]
    assert client.post("/api/goals", json={"name": "x", "slug": slug}, headers=root_headers).status_code == 409
    unknown = client.post("/api/goals", json={"name": "x", "slug": key(), "allowedProjects": ["no-such"]}, headers=root_headers)
    assert unknown.status_code == 422 and "allowedProjects" in unknown.json()["error"]["fields"]
    # Anyone signed in may read global goals; only root changes them.
    assert client.get(f"/api/goals/{goal['id']}", headers=owner["headers"]).status_code == 200
    assert client.patch(f"/api/goals/{goal['id']}", json={"name": "y"}, headers=owner["headers"]).status_code == 403
    assert client.delete(f"/api/goals/{goal['id']}", headers=owner["headers"]).status_code == 403
    assert client.delete(f"/api/goals/{goal['id']}", headers=root_headers).status_code == 204


def test_increment_rules(client, owner, root_headers, project):
    allowed = client.post("/api/goals", json={"name": "A", "slug": key(), "allowedProjects": [project["id"]]}, headers=root_headers).json()
    closed = client.post("/api/goals", json={"name": "C", "slug": key()}, headers=root_headers).json()
    own = client.post(f"/api/projects/{project['id']}/goals", json={"name": "O", "slug": "own"}, headers=owner["headers"]).json()
    other = new_project(client, owner["headers"], "gp")
    foreign = client.post(f"/api/projects/{other['id']}/goals", json={"name": "F", "slug": "f"}, headers=owner["headers"]).json()
    base = f"/api/projects/{project['id']}/goals"
    assert client.post(f"{base}/{allowed['slug']}/increment", json={"value": 2}, headers=owner["headers"]).json()["value"] == 2
    assert client.post(f"{base}/own/increment", headers=owner["headers"]).json()["value"] == 1
    assert client.post(f"{base}/{own['id']}/increment", json={}, headers=owner["headers"]).json()["value"] == 2
    assert client.post(f"{base}/{closed['slug']}/increment", headers=owner["headers"]).status_code == 403
    assert client.post(f"{base}/{foreign['id']}/increment", headers=owner["headers"]).status_code == 403
    assert client.post(f"{base}/missing/increment", headers=owner["headers"]).status_code == 404
    assert client.post(f"{base}/own/increment", json={"value": "x"}, headers=owner["headers"]).status_code == 422
    too_much = client.post(f"{base}/own/increment", json={"value": 10**10}, headers=owner["headers"])
    assert too_much.status_code == 422 and "value" in too_much.json()["error"]["fields"]
    # The full slug ({project-slug}-{key}) counts too, as it does from $goals: one rule for both.
    assert client.post(f"{base}/{own['slug']}/increment", headers=owner["headers"]).json()["value"] == 3
    assert client.post(f"{base}/{other['slug']}-f/increment", headers=owner["headers"]).status_code == 404
    # A project's API key may count for its project.
    api_key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    assert client.post(f"{base}/own/increment", headers={"X-API-Key": api_key}).json()["value"] == 4


def test_fifty_concurrent_increments_lose_nothing(server, client, owner, project):
    client.post(f"/api/projects/{project['id']}/goals", json={"name": "Hits", "slug": "hits", "type": "daily_counter"}, headers=owner["headers"])
    client.post(f"/api/projects/{project['id']}/goals", json={"name": "Total", "slug": "total"}, headers=owner["headers"])
    url = f"{server.url}/api/projects/{project['id']}/goals"

    async def hammer():
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50)) as http:
            responses = await asyncio.gather(
                *[http.post(f"{url}/{name}/increment", headers=owner["headers"]) for name in ("hits", "total") for _ in range(50)]
            )
        assert all(r.status_code == 200 for r in responses)

    asyncio.run(hammer())
    stats = client.get(
        "/api/goals/stats", params={"goals": f"{project['slug']}-hits,{project['slug']}-total"}, headers=owner["headers"]
    ).json()
    by_key = {item["key"]: item for item in stats["items"]}
    assert by_key["hits"]["total"] == 50
    assert by_key["total"]["total"] == 50


def test_statistics_fill_days(client, owner, project, mongo):
    goal = client.post(
        f"/api/projects/{project['id']}/goals", json={"name": "D", "slug": "daily", "type": "daily_counter"}, headers=owner["headers"]
    ).json()
    client.post(f"/api/projects/{project['id']}/goals/daily/increment", json={"value": 5}, headers=owner["headers"])
    today = datetime.now(timezone.utc).date()
    # An older day's bucket, as earlier increments would have left it.

    mongo.goal_stats.insert_one(
        {"goal": goal["id"], "project": project["id"], "day": (today - timedelta(days=2)).isoformat(), "value": 7}
    )
    stats = client.get(
        "/api/goals/stats",
        params={"goals": goal["slug"], "from": (today - timedelta(days=3)).isoformat(), "to": today.isoformat()},
        headers=owner["headers"],
    )
    assert stats.status_code == 200, stats.text
    item = stats.json()["items"][0]
    assert item["daily"] == [
        {"date": (today - timedelta(days=3)).isoformat(), "value": 0},
        {"date": (today - timedelta(days=2)).isoformat(), "value": 7},
        {"date": (today - timedelta(days=1)).isoformat(), "value": 0},
        {"date": today.isoformat(), "value": 5},
    ]
    assert item["total"] == 12


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "goals"),
        ({"goals": "nope-nothing"}, "goals"),
        ({"goals": "x", "from": "2025-13-01"}, "from"),
        ({"goals": "x", "from": "2025-02-01", "to": "2025-01-01"}, "from"),
        ({"goals": "x", "from": "2020-01-01", "to": "2025-01-01"}, "from"),
    ],
)
def test_statistics_bad_input(client, owner, params, field):
    response = client.get("/api/goals/stats", params=params, headers=owner["headers"])
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_statistics_hide_other_projects(client, users, owner, project):
    client.post(f"/api/projects/{project['id']}/goals", json={"name": "S", "slug": "secret"}, headers=owner["headers"])
    stranger = users.make()
    response = client.get("/api/goals/stats", params={"goals": f"{project['slug']}-secret"}, headers=stranger["headers"])
    assert response.status_code == 422


def test_project_delete_cascades(client, owner, root_headers, project, mongo):

    glob = client.post("/api/goals", json={"name": "G", "slug": key(), "allowedProjects": [project["id"]]}, headers=root_headers).json()
    client.post(f"/api/projects/{project['id']}/goals", json={"name": "X", "slug": "x"}, headers=owner["headers"])
    client.post(f"/api/projects/{project['id']}/goals/x/increment", headers=owner["headers"])
    client.post(f"/api/projects/{project['id']}/goals/{glob['slug']}/increment", headers=owner["headers"])
    pid = project["id"]
    assert mongo.goals.count_documents({"projectRef": pid}) == 1
    assert client.delete(f"/api/projects/{project['id']}", headers=owner["headers"]).status_code == 204
    assert mongo.goals.count_documents({"projectRef": pid}) == 0
    assert mongo.goal_stats.count_documents({"project": pid}) == 0
    assert client.get(f"/api/goals/{glob['id']}", headers=root_headers).json()["allowedProjects"] == []
