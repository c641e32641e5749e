"""The pipeline: drafts on branches, immutable releases, version races, rules, cascade."""

import asyncio
import secrets

import httpx
import pytest
from conftest import new_project


CODE = "$router.get('/x', async () => ({ ok: true }))\n"


@pytest.fixture
def project(client, owner):
    return new_project(client, owner["headers"], "pl")


@pytest.fixture
def base(project):
    return f"/api/projects/{project['id']}/pipeline"


def test_new_project_has_template_and_nothing_else(client, owner, base):
    overview = client.get(base, headers=owner["headers"]).json()
    assert overview == {"branches": [], "releases": [], "activeRelease": None, "running": False}
    template = client.get(f"{base}/template", headers=owner["headers"]).json()
    for api in ("$service", "$router", "$logger"):
        assert api in template["code"]
    assert template["branch"] == "develop"


def test_first_save_creates_develop(client, owner, base):
    created = client.put(f"{base}/branches/develop", json={"code": CODE}, headers=owner["headers"])
    assert created.status_code == 201
    assert created.json()["code"] == CODE and created.json()["base"] is None
    saved = client.put(f"{base}/branches/develop", json={"code": CODE + "// more\n"}, headers=owner["headers"])
    assert saved.status_code == 200
    assert client.get(f"{base}/branches/develop", headers=owner["headers"]).json()["code"].endswith("// more\n")
    assert [b["name"] for b in client.get(base, headers=owner["headers"]).json()["branches"]] == ["develop"]


def test_code_is_utf8_text(client, owner, base):
    code = "$logger.info('привет, 世界 🚀')\n"
    client.put(f"{base}/branches/develop", json={"code": code}, headers=owner["headers"])
    assert client.get(f"{base}/branches/develop", headers=owner["headers"]).json()["code"] == code


def test_code_size_limit(client, owner, base):
    too_big = "x" * (1024 * 1024 + 1)
    response = client.put(f"{base}/branches/develop", json={"code": too_big}, headers=owner["headers"])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_releases_versions_and_immutability(client, owner, base):
    headers = owner["headers"]
    client.put(f"{base}/branches/develop", json={"code": "one"}, headers=headers)
    first = client.post(f"{base}/releases", json={"branch": "develop", "bump": "major", "comment": "first", "tags": ["stable"]}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["version"] == "1.0" and first.json()["code"] == "one" and first.json()["tags"] == ["stable"]
    assert first.json()["author"]["email"] == owner["email"]
    client.put(f"{base}/branches/develop", json={"code": "two"}, headers=headers)
    minor = client.post(f"{base}/releases", json={"branch": "develop", "bump": "minor"}, headers=headers).json()
    major = client.post(f"{base}/releases", json={"branch": "develop", "bump": "major", "tags": ["night-build", "develop"]}, headers=headers).json()
    again = client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers).json()
    assert (minor["version"], major["version"], again["version"]) == ("1.1", "2.0", "2.1")
    listed = client.get(base, headers=headers).json()["releases"]
    assert [r["version"] for r in listed] == ["2.1", "2.0", "1.1", "1.0"]
    # Saving the branch never changes a release; nothing can.
    client.put(f"{base}/branches/develop", json={"code": "three"}, headers=headers)
    assert client.get(f"{base}/releases/1.0", headers=headers).json()["code"] == "one"
    assert client.patch(f"{base}/releases/1.0", json={"comment": "x"}, headers=headers).status_code == 405
    assert client.put(f"{base}/releases/1.0", json={"code": "x"}, headers=headers).status_code == 405
    assert client.get(f"{base}/releases/1.0", headers=headers).json()["comment"] == "first"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"branch": "develop", "bump": "patch"}, "bump"),
        ({"branch": "develop", "tags": ["beta"]}, "tags.0"),
        ({"branch": "Bad Name"}, "branch"),
        ({"branch": "nope"}, "branch"),
    ],
)
def test_release_bad_input(client, owner, base, payload, field):
    client.put(f"{base}/branches/develop", json={"code": "x"}, headers=owner["headers"])
    response = client.post(f"{base}/releases", json=payload, headers=owner["headers"])
    assert response.status_code in (404, 422), response.text
    assert field in response.json()["error"]["fields"]


def test_branch_from_release_and_branch_and_reset(client, owner, base):
    headers = owner["headers"]
    client.put(f"{base}/branches/develop", json={"code": "v1"}, headers=headers)
    client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers)
    client.put(f"{base}/branches/develop", json={"code": "v2-draft"}, headers=headers)
    hotfix = client.post(f"{base}/branches", json={"name": "hotfix", "from": {"release": "1.0"}}, headers=headers)
    assert hotfix.status_code == 201
    assert hotfix.json()["code"] == "v1" and hotfix.json()["base"] == {"release": "1.0"}
    feature = client.post(f"{base}/branches", json={"name": "feature.x", "from": {"branch": "develop"}}, headers=headers).json()
    assert feature["code"] == "v2-draft" and feature["base"] == {"branch": "develop"}
    assert client.post(f"{base}/branches", json={"name": "hotfix", "from": {"branch": "develop"}}, headers=headers).status_code == 409
    assert client.post(f"{base}/branches", json={"name": "y", "from": {"release": "9.9"}}, headers=headers).status_code == 404
    assert client.post(f"{base}/branches", json={"name": "y", "from": {}}, headers=headers).status_code == 422
    assert client.post(f"{base}/branches", json={"name": "y", "from": {"release": "1.0", "branch": "develop"}}, headers=headers).status_code == 422
    reset = client.post(f"{base}/branches/develop/reset", json={"release": "1.0"}, headers=headers)
    assert reset.status_code == 200 and reset.json()["code"] == "v1"
    reset = client.post(f"{base}/branches/hotfix/reset", json={"branch": "feature.x"}, headers=headers)
    assert reset.json()["code"] == "v2-draft" and reset.json()["base"] == {"branch": "feature.x"}
    assert client.post(f"{base}/branches/missing/reset", json={"release": "1.0"}, headers=headers).status_code == 404


def test_branch_names(client, owner, base):
    for bad in ("Develop", "-x", "a b", "x" * 70):
        response = client.put(f"{base}/branches/{bad}", json={"code": ""}, headers=owner["headers"])
        assert response.status_code in (404, 422), bad
    assert client.put(f"{base}/branches/release-1.2_b", json={"code": ""}, headers=owner["headers"]).status_code == 201


def test_delete_branch_not_the_last(client, owner, base):
    headers = owner["headers"]
    client.put(f"{base}/branches/develop", json={"code": "x"}, headers=headers)
    client.put(f"{base}/branches/other", json={"code": "y"}, headers=headers)
    assert client.delete(f"{base}/branches/other", headers=headers).status_code == 204
    last = client.delete(f"{base}/branches/develop", headers=headers)
    assert last.status_code == 409
    assert client.delete(f"{base}/branches/ghost", headers=headers).status_code == 404


def test_delete_release(client, owner, base):
    headers = owner["headers"]
    client.put(f"{base}/branches/develop", json={"code": "x"}, headers=headers)
    client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers)
    client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers)
    assert client.delete(f"{base}/releases/1.0", headers=headers).status_code == 204
    assert client.get(f"{base}/releases/1.0", headers=headers).status_code == 404
    assert client.delete(f"{base}/releases/abc", headers=headers).status_code == 404
    # Versions keep counting from the latest that remains.
    assert client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers).json()["version"] == "1.2"


def test_concurrent_releases_never_share_a_version(server, client, owner, base):
    client.put(f"{base}/branches/develop", json={"code": "x"}, headers=owner["headers"])

    async def race():
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            return await asyncio.gather(
                *[http.post(f"{base}/releases", json={"branch": "develop"}, headers=owner["headers"]) for _ in range(12)]
            )

    responses = asyncio.run(race())
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    versions = sorted((r.json()["version"] for r in responses), key=lambda v: tuple(map(int, v.split("."))))
    assert versions == ["1.0"] + [f"1.{n}" for n in range(1, 12)]


def test_permissions(client, users, owner, project, base):
    headers = owner["headers"]
    client.put(f"{base}/branches/develop", json={"code": "x"}, headers=headers)
    stranger = users.make(createProjects=True)
    member = users.make()
    client.put(f"/api/projects/{project['id']}/members", json={"members": [owner["id"], member["id"]]}, headers=headers)
    assert client.get(base).status_code == 401
    assert client.get(base, headers=stranger["headers"]).status_code == 404
    assert client.put(f"{base}/branches/develop", json={"code": "evil"}, headers=stranger["headers"]).status_code == 404
    assert client.post(f"{base}/releases", json={"branch": "develop"}, headers=stranger["headers"]).status_code == 404
    assert client.put(f"{base}/branches/develop", json={"code": "member"}, headers=member["headers"]).status_code == 200
    released = client.post(f"{base}/releases", json={"branch": "develop"}, headers=member["headers"])
    assert released.status_code == 201 and released.json()["author"]["id"] == member["id"]
    api_key = client.post(f"/api/projects/{project['id']}/api-key", headers=headers).json()["apiKey"]
    by_key = client.post(f"{base}/releases", json={"branch": "develop"}, headers={"X-API-Key": api_key})
    assert by_key.status_code == 201 and by_key.json()["author"]["name"] == "API key"


def test_project_delete_cascades(client, owner, project, base, mongo):
    client.put(f"{base}/branches/develop", json={"code": "x"}, headers=owner["headers"])
    client.post(f"{base}/releases", json={"branch": "develop"}, headers=owner["headers"])
    client.delete(f"/api/projects/{project['id']}", headers=owner["headers"])
    assert mongo.pipeline_branches.count_documents({"project": project["id"]}) == 0
    assert mongo.pipeline_releases.count_documents({"project": project["id"]}) == 0


def test_running_release_cannot_be_deleted(client, owner):
    """The real runtime runs release 1.0: the pipeline lights it and refuses to delete it until
    the service stops (through the runtime's m3m_runtime_state)."""
    headers = owner["headers"]
    project = new_project(client, headers, "pl")
    base = f"/api/projects/{project['id']}/pipeline"
    client.put(f"{base}/branches/develop", json={"code": CODE}, headers=headers)
    client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers)
    client.post(f"{base}/releases", json={"branch": "develop"}, headers=headers)
    started = client.post(f"/api/projects/{project['id']}/runtime/start", json={"release": "1.0"}, headers=headers, timeout=120)
    assert started.status_code == 200 and started.json()["state"] == "running", started.text
    assert client.get(f"/bot-{project['slug']}/x").json() == {"ok": True}
    overview = client.get(base, headers=headers).json()
    assert overview["activeRelease"] == "1.0" and overview["running"] is True
    assert [r["active"] for r in overview["releases"]] == [False, True]
    refused = client.delete(f"{base}/releases/1.0", headers=headers)
    assert refused.status_code == 409 and "stop" in refused.json()["error"]["message"]
    assert client.delete(f"{base}/releases/1.1", headers=headers).status_code == 204
    assert client.post(f"/api/projects/{project['id']}/runtime/stop", headers=headers, timeout=60).status_code == 200
    overview = client.get(base, headers=headers).json()
    assert overview["activeRelease"] == "1.0" and overview["running"] is False
    assert client.delete(f"{base}/releases/1.0", headers=headers).status_code == 204


async def test_m3m_release_gives_a_release_to_the_runtime(mongo_uri, tmp_path):
    """The runtime reads release code through m3m_release, never the pipeline's collections."""
    from conftest import TEST_DB
    from kernel.app import create_app
    from kernel.plugins import first_result
    from kernel.settings import load_settings

    # A storage of its own: the default (./storage) is the checkout's, where `make run` keeps its data.
    app = create_app(load_settings(mongodb={"uri": mongo_uri, "database": TEST_DB}, storage={"path": str(tmp_path)},
                                   jwt={"secret": "s" * 40}))
    async with app.test_app():
        project = f"{secrets.token_hex(12)}"
        await app.m3m.db["pipeline_releases"].insert_one(
            {"project": project, "version": "3.4", "major": 3, "minor": 4, "code": "// code", "branch": "develop"}
        )
        release = await first_result(app.m3m.pm.hook.m3m_release(app=app, project_id=project, version="3.4"))
        assert release == {"version": "3.4", "code": "// code"}
        assert await first_result(app.m3m.pm.hook.m3m_release(app=app, project_id=project, version="9.9")) is None
