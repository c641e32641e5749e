"""The server side of the web UI: security and cache headers, the SPA fallback's edges, the public
config endpoint and the first-run probe (GET /api/auth/setup) the sign-in page asks."""

from __future__ import annotations

import pytest
from pymongo import MongoClient

from conftest import TEST_DB
from kernel import ui
from kernel.app import create_app
from kernel.settings import load_settings


def test_config_tells_the_public_uri_and_version(client, server):
    body = client.get("/api/ui/config").json()  # no token: the sign-in page asks it
    assert body["uri"] == server.url  # server.uri is empty in the tests: http://{host}:{port}
    assert isinstance(body["version"], str) and body["version"]


def test_setup_says_whether_a_user_exists(client):
    assert client.get("/api/auth/setup").json() == {"hasUsers": True}  # root was made by the CLI


@pytest.fixture
async def empty_app(mongo_uri):
    database = TEST_DB + "_empty"
    MongoClient(mongo_uri).drop_database(database)
    settings = load_settings(mongodb={"uri": mongo_uri, "database": database},
                             jwt={"secret": "in-process-secret-" + "z" * 32},
                             server={"uri": "https://m3m.example.org/"})
    app = create_app(settings)
    yield app
    await app.m3m.db.close()
    MongoClient(mongo_uri).drop_database(database)


async def test_setup_on_a_fresh_install_has_no_users(empty_app):
    client = empty_app.test_client()
    response = await client.get("/api/auth/setup")
    assert response.status_code == 200
    assert await response.get_json() == {"hasUsers": False}
    config = await (await client.get("/api/ui/config")).get_json()
    assert config["uri"] == "https://m3m.example.org"  # what the operator set, without the slash


@pytest.fixture
def built_ui(tmp_path, monkeypatch):
    """A stand-in ui/dist with an index and one hashed asset, so these run without a UI build."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>m3m</title><script type=module src=/assets/index-abc123.js></script>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setattr(ui, "UI_DIST", tmp_path)
    return tmp_path


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["script-src"] == ["'self'"]  # no inline script, no CDN
    assert directives["default-src"] == ["'self'"]
    assert "'self'" in directives["worker-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_index_is_revalidated_and_assets_cached_for_a_year(empty_app, built_ui):
    client = empty_app.test_client()
    for path in ("/", "/projects/abc/settings", "/favicon.svg"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-cache", path
        assert_security_headers(response)
    response = await client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert_security_headers(response)


async def test_a_missing_asset_is_404_not_the_index(empty_app, built_ui):
    """A chunk of an older build must fail as a 404: served as HTML it would be a parse error."""
    response = await empty_app.test_client().get("/assets/index-gone999.js")
    assert response.status_code == 404
    assert "html" not in response.headers["content-type"]


async def test_the_not_built_page_has_the_headers_too(empty_app, tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "UI_DIST", tmp_path / "nothing")
    response = await empty_app.test_client().get("/")
    assert response.status_code == 200 and "not built" in await response.get_data(as_text=True)
    assert_security_headers(response)


async def test_api_responses_are_not_ui_responses(empty_app):
    response = await empty_app.test_client().get("/api/nope")
    assert response.status_code == 404
    assert "Content-Security-Policy" not in response.headers
