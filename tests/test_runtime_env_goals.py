"""$env and $goals in a real worker, over real HTTP: typed variables read at boot, goals counted
through the goals plugin (visible in GET /api/goals/stats) and refused where the project may not
write. One service for the module; each test deploys only when it needs other code."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from runtime_support import new_service, tsc

SERVICE = """
$router.get('/env', () => {
  const keys = ['S', 'T', 'J', 'J_LIST', 'J_NULL', 'I', 'F', 'B_TRUE', 'B_FALSE', 'NOPE'];
  const out = {};
  for (const key of keys) { const v = $env.get(key); out[key] = { value: v === undefined ? '(undefined)' : v, type: typeof v }; }
  out.fallback = $env.get('NOPE', 'dflt');
  out.fallbackIgnored = $env.get('S', 'dflt');
  out.fallbackObject = $env.get('NOPE', { a: 1 });
  // A value is a fresh copy each time: mutating one does not change the next get.
  const j = $env.get('J'); j.added = true;
  out.copy = $env.get('J').added === undefined;
  return out;
});
$router.post('/inc', async (ctx) => {
  try {
    const args = ctx.body.value === undefined ? [ctx.body.slug] : [ctx.body.slug, ctx.body.value];
    const promise = $goals.increment(...args);
    return { promise: promise instanceof Promise, value: await promise };
  } catch (e) { return { error: e.message, name: e.name, code: e.code, status: e.status, fields: e.fields }; }
});
$router.post('/get', async (ctx) => {
  try {
    const period = ctx.body.dates ? { from: new Date(ctx.body.from), to: new Date(ctx.body.to) } : ctx.body.period;
    return { stats: await $goals.get(ctx.body.slug, period) };
  } catch (e) { return { error: e.message }; }
});
"""

VARIABLES = {
    "S": ("string", "hello"),
    "T": ("text", "line one\nline two"),
    "J": ("json", {"a": [1, 2, {"b": None}], "n": 1.5}),
    "J_LIST": ("json", [1, "two"]),
    "J_NULL": ("json", None),
    "I": ("integer", -42),
    "F": ("float", 2.25),
    "B_TRUE": ("boolean", True),
    "B_FALSE": ("boolean", False),
}


def put_env(client, headers, project, key, type_, value):
    response = client.put(f"/api/projects/{project['id']}/env/{key}", json={"type": type_, "value": value}, headers=headers)
    assert response.status_code == 200, response.text


def make_goal(client, headers, url, slug, type_="counter", **extra):
    response = client.post(url, json={"name": slug, "slug": slug, "type": type_, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def world(client, root_headers):
    """A running service with every variable type, its goals, global goals, another project."""
    service = new_service(client, root_headers)
    project = service.project
    for key, (type_, value) in VARIABLES.items():
        put_env(client, root_headers, project, key, type_, value)
    own = f"/api/projects/{project['id']}/goals"
    other = new_service(client, root_headers).project
    tag = secrets.token_hex(3)
    goals = {
        "signups": make_goal(client, root_headers, own, "signups"),
        "visits": make_goal(client, root_headers, own, "visits", "daily_counter"),
        "allowed": make_goal(client, root_headers, "/api/goals", f"allowed-{tag}", allowedProjects=[project["id"]]),
        "closed": make_goal(client, root_headers, "/api/goals", f"closed-{tag}", allowedProjects=[other["id"]]),
        "theirs": make_goal(client, root_headers, f"/api/projects/{other['id']}/goals", f"theirs-{tag}"),
    }
    service.deploy(SERVICE)
    yield service, goals, other
    service.stop()


def stats(client, headers, slug, **params) -> dict:
    response = client.get("/api/goals/stats", params={"goals": slug, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"][0]


def inc(client, service, slug, value=None) -> dict:
    body = {"slug": slug} if value is None else {"slug": slug, "value": value}
    response = client.post(service.bot("/inc"), json=body)
    assert response.status_code == 200, response.text
    return response.json()


# -- $env ------------------------------------------------------------------------------------------


def test_env_values_are_typed(client, world):
    service, _, _ = world
    got = client.get(service.bot("/env")).json()
    assert got["S"] == {"value": "hello", "type": "string"}
    assert got["T"] == {"value": "line one\nline two", "type": "string"}
    assert got["J"] == {"value": {"a": [1, 2, {"b": None}], "n": 1.5}, "type": "object"}
    assert got["J_LIST"] == {"value": [1, "two"], "type": "object"}
    assert got["J_NULL"] == {"value": None, "type": "object"}  # a stored null is a value, not missing
    assert got["I"] == {"value": -42, "type": "number"}
    assert got["F"] == {"value": 2.25, "type": "number"}
    assert got["B_TRUE"] == {"value": True, "type": "boolean"}
    assert got["B_FALSE"] == {"value": False, "type": "boolean"}


def test_env_missing_key_and_fallback(client, world):
    service, _, _ = world
    got = client.get(service.bot("/env")).json()
    assert got["NOPE"] == {"value": "(undefined)", "type": "undefined"}
    assert got["fallback"] == "dflt"
    assert got["fallbackIgnored"] == "hello"
    assert got["fallbackObject"] == {"a": 1}
    assert got["copy"] is True


def test_env_is_read_at_boot_and_a_change_takes_effect_on_restart(client, root_headers, world):
    service, _, _ = world
    put_env(client, root_headers, service.project, "S", "string", "changed")
    put_env(client, root_headers, service.project, "NEW_ONE", "integer", 7)
    assert client.get(service.bot("/env")).json()["S"]["value"] == "hello"  # the running worker's copy
    restarted = client.post(service.api("/runtime/restart"), headers=root_headers, timeout=120)
    assert restarted.status_code == 200 and restarted.json()["state"] == "running", restarted.text
    assert client.get(service.bot("/env")).json()["S"]["value"] == "changed"
    put_env(client, root_headers, service.project, "S", "string", "hello")  # as the other tests expect


# -- $goals ----------------------------------------------------------------------------------------


def test_increment_is_counted_and_visible_in_the_statistics(client, root_headers, world):
    service, goals, _ = world
    slug = goals["signups"]["slug"]  # {project-slug}-signups
    before = stats(client, root_headers, slug)["total"]
    first = inc(client, service, "signups")  # the project's own key
    assert first == {"promise": True, "value": before + 1}
    assert inc(client, service, slug, 5)["value"] == before + 6  # the full slug
    assert inc(client, service, goals["signups"]["id"], -2)["value"] == before + 4  # the id
    assert stats(client, root_headers, slug)["total"] == before + 4


def test_daily_counter_and_get(client, root_headers, world):
    service, goals, _ = world
    today = datetime.now(timezone.utc).date()
    assert inc(client, service, "visits", 3)["value"] == 3
    assert inc(client, service, "visits")["value"] == 4
    period = {"from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()}
    got = client.post(service.bot("/get"), json={"slug": "visits", "period": period}).json()
    expected_days = [{"date": (today - timedelta(days=n)).isoformat(), "value": 0} for n in (2, 1)]
    assert got == {"stats": {"total": 4, "daily": expected_days + [{"date": today.isoformat(), "value": 4}]}}
    rest = stats(client, root_headers, goals["visits"]["slug"], **period)
    assert rest["total"] == 4 and rest["daily"] == got["stats"]["daily"]
    # Dates as Date objects; no period is the last 30 days; a counter has a total only.
    by_dates = client.post(service.bot("/get"), json={"slug": "visits", "dates": True, "from": period["from"], "to": period["to"]}).json()
    assert by_dates == got
    default = client.post(service.bot("/get"), json={"slug": "visits"}).json()["stats"]
    assert len(default["daily"]) == 30 and default["total"] == 4
    counter = client.post(service.bot("/get"), json={"slug": "signups"}).json()["stats"]
    assert set(counter) == {"total"}


def test_global_goal_allowed_for_the_project(client, root_headers, world):
    service, goals, _ = world
    slug = goals["allowed"]["slug"]
    before = stats(client, root_headers, slug)["total"]
    assert inc(client, service, slug, 2)["value"] == before + 2
    assert stats(client, root_headers, slug)["total"] == before + 2
    assert client.post(service.bot("/get"), json={"slug": slug}).json() == {"stats": {"total": before + 2}}


def test_refused_goals_reject_with_a_clear_message(client, root_headers, world):
    service, goals, other = world
    closed = goals["closed"]["slug"]
    refused = inc(client, service, closed)
    assert refused["name"] == "Error"
    assert (refused["code"], refused["status"]) == ("forbidden", 403)  # the refusal crosses whole
    assert refused["error"] == f'$goals.increment("{closed}"): this project may not write to the global goal \'{closed}\''
    assert stats(client, root_headers, closed)["total"] == 0
    # Another project's goal: by id, by its full slug (a key of nobody here), by key.
    theirs = goals["theirs"]
    assert "may not write to another project's goal" in inc(client, service, theirs["id"])["error"]
    assert "not found" in inc(client, service, theirs["slug"])["error"]
    assert "not found" in inc(client, service, theirs["key"])["error"]
    assert stats(client, root_headers, theirs["slug"])["total"] == 0
    # Reading follows the same rule.
    assert "may not write" in client.post(service.bot("/get"), json={"slug": closed}).json()["error"]
    assert "not found" in client.post(service.bot("/get"), json={"slug": "no-such-goal"}).json()["error"]


def test_bad_arguments_reject(client, world):
    service, _, _ = world
    for value in (1.5, "2", True, 10**10):
        refused = inc(client, service, "signups", value)
        assert "the value must be an integer" in refused["error"]
        assert (refused["status"], refused["fields"]) == (422, {"value": refused["fields"]["value"]})
    assert "the goal must be a slug" in inc(client, service, "")["error"]
    bad = client.post(service.bot("/get"), json={"slug": "visits", "period": {"from": "yesterday"}}).json()
    assert bad["error"] == '$goals.get("visits"): from must be a date YYYY-MM-DD'
    reversed_ = client.post(service.bot("/get"), json={"slug": "visits", "period": {"from": "2025-02-01", "to": "2025-01-01"}}).json()
    assert "from must not be after to" in reversed_["error"]


def test_typings_declare_env_and_goals_and_compile(client, root_headers, world, tmp_path):
    service, _, _ = world
    typings = client.get(service.api("/runtime/typings"), headers=root_headers).text
    assert "declare const $env" in typings and "declare const $goals" in typings
    source = """
    /** @type {string} */
    const s = $env.get('S', 'x');
    /** @type {Promise<number>} */
    const n = $goals.increment('signups', 2);
    $goals.increment('signups');
    $goals.get('visits', { from: '2025-01-01', to: new Date() }).then((r) => {
      /** @type {number} */ const total = r.total;
      /** @type {number | undefined} */ const first = r.daily && r.daily[0].value;
    });
    """
    result = tsc(tmp_path, typings, source, strict=True)
    assert result.returncode == 0, result.stdout + result.stderr
