"""The rules features share, checked in-process (the app's test client, no server process): env
values and their types, goal steps and periods, and who reaches which project, where the REST
list, the project routes and a user's permissions answer from one rule and one list.

The real-process suites (test_env, test_goals, test_projects) keep the same rules over HTTP."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest

from builtin_plugins.env.service import coerce
from builtin_plugins.goals.service import MAX_PERIOD_DAYS, check_step, period
from kernel.app import create_app
from kernel.errors import Refused
from kernel.security import Principal
from kernel.settings import load_settings
from kernel.tenancy import may_reach, reach
from kernel_support import drop_database, unique_database

PASSWORD = "Rules-pass-1"


# -- pure rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_, sent, stored",
    [("string", "a", "a"), ("text", "a\nb", "a\nb"), ("json", {"a": [1]}, {"a": [1]}), ("integer", "-7", -7),
     ("integer", 3.0, 3), ("float", "2.5", 2.5), ("float", 3, 3.0), ("boolean", "TRUE", True)],
)
def test_env_coerce_keeps_the_type(type_, sent, stored):
    value = coerce(type_, sent)
    assert value == stored and type(value) is type(stored)


@pytest.mark.parametrize(
    "type_, sent, reason",
    [("string", "a\nb", "one line"), ("string", 5, "string is required"), ("integer", True, "not a boolean"),
     ("integer", 1.5, "integer is required"), ("float", float("inf"), "finite"), ("boolean", 1, "true or false"),
     ("nope", 1, "type must be one of")],
)
def test_env_coerce_refuses_with_the_reason(type_, sent, reason):
    with pytest.raises(ValueError, match=reason):
        coerce(type_, sent)


def test_goal_step_and_period_rules():
    assert check_step(-5) == -5
    for bad in (True, 1.5, "2", 10**10):
        with pytest.raises(Refused) as refused:
            check_step(bad)
        assert (refused.value.status, list(refused.value.fields)) == (422, ["value"])
    today = date.today()
    first, last = period(None, today.isoformat())
    assert (last - first).days == 29  # the default: the last 30 days
    assert period("2025-01-01", "2025-01-01") == (date(2025, 1, 1), date(2025, 1, 1))
    for start, end, field in [("2025-02-01", "2025-01-01", "from"), ("yesterday", None, "from"), (None, "2025-13-01", "to"),
                              ((today - timedelta(days=MAX_PERIOD_DAYS)).isoformat(), today.isoformat(), "from")]:
        with pytest.raises(Refused) as refused:
            period(start, end)
        assert refused.value.status == 422 and field in refused.value.fields, (start, end)


def test_reach_is_one_rule_for_a_project_and_for_the_list():
    project = {"id": "p1", "members": ["u1"]}
    root = Principal(kind="user", id="r", is_root=True)
    member = Principal(kind="user", id="u1")
    stranger = Principal(kind="user", id="u2")
    key = Principal(kind="api_key", id="p1", project_id="p1")
    other_key = Principal(kind="api_key", id="p2", project_id="p2")
    assert [may_reach(p, project) for p in (root, member, stranger, key, other_key)] == [True, True, False, True, False]
    assert (reach(root), reach(member), reach(key)) == (None, ("members", "u1"), ("id", "p1"))


# -- through the routes, in-process --------------------------------------------------------------


@pytest.fixture(scope="module")
async def app(mongo_uri):
    """An app on a database of its own (its first user is root); the runtime is blocked, so no
    worker starts and the pipeline answers as m3m does without a runtime."""
    database = unique_database("m3m_testing_rules")
    settings = load_settings(
        mongodb={"uri": mongo_uri, "database": database}, jwt={"secret": "rules-" + "s" * 40},
        plugins={"blocked": ["runtime"]},
    )
    app = create_app(settings)
    async with app.test_app():
        yield app
    drop_database(mongo_uri, database)


@pytest.fixture(scope="module")
async def client(app):
    return app.test_client()


async def sign_in(client, email: str) -> dict:
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, await response.get_data(as_text=True)
    return {"Authorization": f"Bearer {(await response.get_json())['token']}"}


@pytest.fixture(scope="module")
async def root(app, client):
    from builtin_plugins.auth.routes import users

    async with app.app_context():
        doc = await users(app).create("root@rules.test", PASSWORD, "Root")
    assert doc["isRoot"]
    return await sign_in(client, "root@rules.test")


async def make_user(client, root, **permissions) -> tuple[str, dict]:
    email = f"u-{secrets.token_hex(4)}@rules.test"
    response = await client.post("/api/users", json={"email": email, "password": PASSWORD, "permissions": permissions}, headers=root)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["id"], await sign_in(client, email)


async def make_project(client, headers) -> dict:
    slug = f"r-{secrets.token_hex(4)}"
    response = await client.post("/api/projects", json={"name": slug, "slug": slug}, headers=headers)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


async def visible(client, headers) -> set[str]:
    body = await (await client.get("/api/projects?perPage=500", headers=headers)).get_json()
    return {item["id"] for item in body["items"]}


async def projects_of(client, root, uid) -> list[str]:
    return (await (await client.get(f"/api/users/{uid}", headers=root)).get_json())["permissions"]["projects"]


async def test_project_access_is_one_list(client, root):
    creator_id, creator = await make_user(client, root, createProjects=True)
    friend_id, friend = await make_user(client, root)
    first, second = await make_project(client, creator), await make_project(client, creator)
    assert await projects_of(client, root, creator_id) == sorted([first["id"], second["id"]])
    assert await visible(client, friend) == set()

    # Granted through the user: the project's members show it, the list and the project answer.
    granted = await client.patch(f"/api/users/{friend_id}", json={"permissions": {"projects": [first["id"]]}}, headers=root)
    assert (await granted.get_json())["permissions"]["projects"] == [first["id"]]
    members = await (await client.get(f"/api/projects/{first['id']}/members", headers=creator)).get_json()
    assert members["members"] == sorted([creator_id, friend_id])
    assert await visible(client, friend) == {first["id"]}
    assert (await client.get(f"/api/projects/{second['id']}", headers=friend)).status_code == 404

    # Granted through the project: the user's permissions show it.
    put = await client.put(f"/api/projects/{second['id']}/members", json={"members": [creator_id, friend_id]}, headers=creator)
    assert put.status_code == 200
    assert await projects_of(client, root, friend_id) == sorted([first["id"], second["id"]])
    assert await visible(client, friend) == {first["id"], second["id"]}

    # A patch that leaves projects out leaves them; [] revokes them all.
    await client.patch(f"/api/users/{friend_id}", json={"permissions": {"createProjects": True}}, headers=root)
    assert await projects_of(client, root, friend_id) == sorted([first["id"], second["id"]])
    await client.patch(f"/api/users/{friend_id}", json={"permissions": {"projects": []}}, headers=root)
    assert await visible(client, friend) == set()

    # The creator stays a member, from either side; an unknown project is a 422 and changes nothing.
    dropped = await client.put(f"/api/projects/{first['id']}/members", json={"members": [friend_id]}, headers=creator)
    assert dropped.status_code == 422 and "members" in (await dropped.get_json())["error"]["fields"]
    revoked = await client.patch(f"/api/users/{creator_id}", json={"permissions": {"projects": []}}, headers=root)
    assert revoked.status_code == 422
    unknown = await client.patch(f"/api/users/{friend_id}", json={"permissions": {"projects": [first["id"], "0123456789abcdef01234567"]}}, headers=root)
    assert unknown.status_code == 422 and "permissions.projects" in (await unknown.get_json())["error"]["fields"]
    assert await projects_of(client, root, friend_id) == []

    # A deleted user leaves every project's members.
    await client.put(f"/api/projects/{first['id']}/members", json={"members": [creator_id, friend_id]}, headers=creator)
    assert (await client.delete(f"/api/users/{friend_id}", headers=root)).status_code == 204
    members = await (await client.get(f"/api/projects/{first['id']}/members", headers=creator)).get_json()
    assert members["members"] == [creator_id]


async def test_an_api_key_lists_and_reaches_its_project_only(client, root):
    mine, theirs = await make_project(client, root), await make_project(client, root)
    key = (await (await client.post(f"/api/projects/{mine['id']}/api-key", headers=root)).get_json())["apiKey"]
    headers = {"X-API-Key": key}
    assert await visible(client, headers) == {mine["id"]}
    assert (await client.get(f"/api/projects/{theirs['id']}/env", headers=headers)).status_code == 404
    assert (await client.get(f"/api/projects/{mine['id']}/env", headers=headers)).status_code == 200


async def test_env_route_answers_the_coerce_rule_on_the_field(client, root):
    project = await make_project(client, root)
    url = f"/api/projects/{project['id']}/env/LIMIT"
    good = await client.put(url, json={"type": "integer", "value": "12"}, headers=root)
    assert (await good.get_json())["value"] == 12
    bad = await client.put(url, json={"type": "integer", "value": "12abc"}, headers=root)
    assert bad.status_code == 422
    assert "integer is required" in (await bad.get_json())["error"]["fields"]["value"]


async def test_goal_routes_answer_the_period_and_step_rules(client, root):
    project = await make_project(client, root)
    made = await client.post(f"/api/projects/{project['id']}/goals", json={"name": "D", "slug": "d", "type": "daily_counter"}, headers=root)
    slug = (await made.get_json())["slug"]
    stats = await client.get(f"/api/goals/stats?goals={slug}", headers=root)
    assert len((await stats.get_json())["items"][0]["daily"]) == 30
    for query, field in [("&from=2025-02-01&to=2025-01-01", "from"), ("&from=2020-01-01&to=2025-01-01", "from"), ("&to=soon", "to")]:
        refused = await client.get(f"/api/goals/stats?goals={slug}{query}", headers=root)
        assert refused.status_code == 422 and field in (await refused.get_json())["error"]["fields"], query
    step = await client.post(f"/api/projects/{project['id']}/goals/d/increment", json={"value": 10**10}, headers=root)
    assert step.status_code == 422 and "value" in (await step.get_json())["error"]["fields"]


async def test_pipeline_without_a_runtime_says_nothing_runs(client, root):
    project = await make_project(client, root)
    base = f"/api/projects/{project['id']}/pipeline"
    await client.put(f"{base}/branches/develop", json={"code": "// x"}, headers=root)
    await client.post(f"{base}/releases", json={"branch": "develop"}, headers=root)
    overview = await (await client.get(base, headers=root)).get_json()
    assert (overview["activeRelease"], overview["running"]) == (None, False)
    assert (await client.delete(f"{base}/releases/1.0", headers=root)).status_code == 204
    assert (await client.get(f"/api/projects/{project['id']}/runtime", headers=root)).status_code == 404
