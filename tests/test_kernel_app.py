"""The app: the error envelope on every error, the system endpoints, OpenAPI and the docs page,
the UI at /, the plugin block-list and list pagination.

Most run against the shared `m3m serve` process; what needs special settings (a tiny
server.max_body, a route that raises) uses an in-process app from kernel.app.create_app.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from openapi_spec_validator import validate
from quart import Blueprint

from conftest import TEST_DB
from kernel.app import create_app
from kernel.hookspecs import hookimpl
from kernel.plugins import build_plugin_manager
from kernel.settings import load_settings


def error_of(response, status: int, code: str | None = None) -> dict:
    """The response is `status` in the envelope {"error": {"code", "message", "fields"?}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"} and {"code", "message"} <= set(error), error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code, error
    return error


# -- the error envelope against the real server ---------------------------------------------------


def test_malformed_json_is_400(client):
    error = error_of(client.post("/api/auth/login", content=b'{"email": "a@b.io",'), 400, "malformed_json")
    assert "JSON" in error["message"]
    error_of(client.post("/api/auth/login", content=b"\xff\xfe\x00"), 400, "malformed_json")


def test_deeply_nested_json_is_400_not_500(client):
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    error = error_of(client.post("/api/auth/login", content=deep), 400, "malformed_json")
    assert "deep" in error["message"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_a_json_body_that_is_not_an_object_is_400(client, body):
    error = error_of(client.post("/api/auth/login", content=body), 400, "malformed_json")
    assert "object" in error["message"]


def test_validation_is_422_with_fields(client):
    error = error_of(client.post("/api/auth/login", json={"email": "a"}), 422, "validation_failed")
    assert set(error["fields"]) == {"email", "password"}
    assert all(isinstance(reason, str) and reason for reason in error["fields"].values())
    error = error_of(client.post("/api/auth/login", json={"email": "a@b.io", "password": "x", "extra": 1}), 422)
    assert "extra" in error["fields"]  # unknown fields are refused, not ignored


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/auth/nothing", "/api/", "/api"])
def test_unknown_api_path_is_404(client, method, path):
    error_of(client.request(method, path), 404, "not_found")


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/health")
    error_of(response, 405, "method_not_allowed")
    assert "GET" in {m.strip() for m in response.headers["allow"].split(",")}
    response = client.get("/api/auth/login")
    error_of(response, 405, "method_not_allowed")
    assert "POST" in {m.strip() for m in response.headers["allow"].split(",")}


def test_an_answer_before_the_body_keeps_the_connection(server):
    """A 405 answered before the request's body arrived (httpx sends the body in a second
    packet): the server waits for the small body, so the next request on the connection works
    (kernel/keepalive.py; without it about 1 in 200 such pairs failed). A large body not yet
    received ends the connection, and the answer says so."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as one_connection:
        failures = []
        for n in range(300):
            try:
                assert one_connection.put("/api/health", json={"n": n}).status_code == 405
                assert one_connection.get("/api/health").status_code == 200
            except httpx.HTTPError as exc:
                failures.append((n, repr(exc)))
        assert failures == []
    # A large body still on its way when the answer starts: the answer says the connection ends.
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as raw:
        raw.sendall(b"PUT /api/health HTTP/1.1\r\nHost: m3m\r\nContent-Type: application/octet-stream\r\n"
                    b"Content-Length: 204800\r\n\r\n" + b"x" * 1024)  # 1 KB of the 200 announced
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += raw.recv(65536)
        head = answer.split(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 405") and b"\r\nconnection: close" in head, head


def test_bad_token_is_401_in_the_envelope(client):
    error_of(client.get("/api/plugins"), 401, "unauthorized")
    error = error_of(client.get("/api/plugins", headers={"Authorization": "Bearer not.a.jwt"}), 401)
    assert error["code"] == "invalid_token"


# -- system endpoints ----------------------------------------------------------------------------


def test_health(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"]


def test_plugins_endpoint_lists_auth(client, root_headers):
    response = client.get("/api/plugins", headers=root_headers)
    assert response.status_code == 200, response.text
    rows = {row["name"]: row for row in response.json()["items"]}
    auth = rows["auth"]
    assert auth["source"] == "builtin"
    assert auth["version"] == client.get("/api/health").json()["version"]
    assert {"m3m_blueprints", "m3m_startup", "m3m_cli", "m3m_authenticate"} <= set(auth["hooks"])
    assert auth["hooks"] == sorted(auth["hooks"])


def test_openapi_document_is_valid_and_lists_the_routes(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises with the offending part when the document is not valid OpenAPI
    assert "post" in spec["paths"]["/api/auth/login"]
    assert {"get", "post"} <= set(spec["paths"]["/api/users"])
    assert "/api/health" in spec["paths"]
    assert not any(path == "/" or "ui_path" in path or path.startswith("/{path}") for path in spec["paths"])
    login_body = spec["paths"]["/api/auth/login"]["post"]["requestBody"]
    assert "application/json" in login_body["content"]


def test_openapi_document_says_what_every_operation_answers(client):
    """Each operation declares its answers (kernel.api.answers), not only the error envelope;
    a route's own `default` (the services' pattern) is its declared answer."""
    spec = client.get("/api/openapi.json").json()
    error = {"$ref": "#/components/schemas/Error"}
    undeclared = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            default = responses.get("default", {}).get("content", {}).get("application/json", {}).get("schema")
            if set(responses) == {"default"} and default == error:
                undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
    assert spec["paths"]["/bot-{pid}/{path}"]["post"]["responses"]["default"]["content"]["*/*"]
    user = spec["components"]["schemas"]["User"]
    assert user["additionalProperties"] is False and "permissions" in user["required"]


def test_docs_page_lists_the_routes(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<code>/api/auth/login</code>" in page
    assert "<code>/api/users</code>" in page
    assert "/api/openapi.json" in page


@pytest.mark.parametrize("path", ["/", "/projects/123", "/settings"])
def test_ui_is_served_at_root_and_client_routes(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>" in response.text.lower() or "<!doctype html>" in response.text.lower()


# -- pagination (kernel.api.paginate / page_params through GET /api/users) -------------------------


def test_pagination_envelope_and_pages(client, root_headers, users):
    for _ in range(3):
        users.make()
    total = client.get("/api/users", params={"perPage": 500}, headers=root_headers).json()["totalItems"]
    assert total >= 4  # root and the three just made

    seen = []
    pages = math.ceil(total / 2)
    for page in range(1, pages + 1):
        body = client.get("/api/users", params={"page": page, "perPage": 2}, headers=root_headers).json()
        assert set(body) == {"items", "page", "perPage", "totalItems", "totalPages"}
        assert (body["page"], body["perPage"], body["totalItems"], body["totalPages"]) == (page, 2, total, pages)
        assert len(body["items"]) == (2 if page < pages or total % 2 == 0 else 1)
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == total  # every user once, in a stable order

    past = client.get("/api/users", params={"page": pages + 1, "perPage": 2}, headers=root_headers).json()
    assert past["items"] == [] and past["totalItems"] == total

    default = client.get("/api/users", headers=root_headers).json()
    assert (default["page"], default["perPage"]) == (1, 30)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": 0}, "page"), ({"page": "x"}, "page"), ({"perPage": 0}, "perPage"),
     ({"perPage": 501}, "perPage"), ({"perPage": "1.5"}, "perPage")],
)
def test_pagination_refuses_bad_parameters(client, root_headers, params, field):
    error = error_of(client.get("/api/users", params=params, headers=root_headers), 422, "validation_failed")
    assert field in error["fields"]


# -- in-process app for special settings ---------------------------------------------------------


def settings_for(mongo_uri: str, **sections):
    sections.setdefault("mongodb", {})
    sections["mongodb"] = {"uri": mongo_uri, "database": TEST_DB, **sections["mongodb"]}
    sections.setdefault("jwt", {"secret": "in-process-secret-" + "y" * 32})
    return load_settings(**sections)


boom = Blueprint("kernel_test_boom", __name__)


@boom.get("/api/kernel-test/boom")
async def _boom():
    raise RuntimeError("secret-detail-4711 in a stack frame")


@boom.get("/files-kernel-test/<token>")
async def _file_like(token: str):
    return {"token": token}


@boom.post("/api/kernel-test/echo-size")
async def _echo_size():
    from quart import request

    return {"size": len(await request.get_data())}


FIRST_CHUNK_READ = asyncio.Event()


@boom.post("/api/kernel-test/stream-size")
async def _stream_size():
    from quart import request

    size = 0
    async for chunk in request.body:
        size += len(chunk)
        FIRST_CHUNK_READ.set()
    return {"size": size}


class BoomPlugin:
    @hookimpl
    def m3m_blueprints(self, app):
        return [boom]


@pytest.fixture
async def boom_app(mongo_uri):
    pm = build_plugin_manager()
    pm.register(BoomPlugin(), name="kernel-test-boom")
    app = create_app(settings_for(mongo_uri, server={"max_body": "1KB"}), pm=pm)
    yield app
    await app.m3m.db.close()


async def test_unhandled_exception_is_500_without_a_stack_trace(boom_app, caplog):
    response = await boom_app.test_client().get("/api/kernel-test/boom")
    assert response.status_code == 500
    body = await response.get_json()
    assert body == {"error": {"code": "internal_error", "message": body["error"]["message"]}}
    text = await response.get_data(as_text=True)
    assert "secret-detail-4711" not in text and "Traceback" not in text and "RuntimeError" not in text
    # ... and the details went to the server log instead
    assert any("secret-detail-4711" in (record.exc_text or str(record.exc_info)) for record in caplog.records)


async def test_body_over_max_body_is_413(boom_app):
    client = boom_app.test_client()
    response = await client.post("/api/kernel-test/echo-size", data=b"x" * 1024)
    assert response.status_code == 200 and (await response.get_json()) == {"size": 1024}
    for path in ("/api/kernel-test/echo-size", "/api/auth/login"):
        response = await client.post(path, data=b"x" * 1025)
        assert response.status_code == 413
        body = await response.get_json()
        assert body["error"]["code"] == "payload_too_large"


async def test_a_streamed_body_that_passes_max_body_while_read_is_413_not_a_short_body(boom_app):
    """The route has read part of the body when the rest takes it past the limit: the limit's
    end of the body is a 413, never a body that just ends there (a multipart form would be
    parsed up to it and its cut part dropped without a word)."""
    FIRST_CHUNK_READ.clear()
    async with boom_app.test_client().request("/api/kernel-test/stream-size", method="POST",
                                              headers={"Transfer-Encoding": "chunked"}) as connection:
        await connection.send(b"x" * 600)
        await asyncio.wait_for(FIRST_CHUNK_READ.wait(), 10)
        await connection.send(b"x" * 600)
        await connection.send_complete()
    response = await connection.as_response()
    assert response.status_code == 413, await response.get_data()
    assert (await response.get_json())["error"]["code"] == "payload_too_large"


async def test_blocked_plugin_is_left_out(mongo_uri):
    app = create_app(settings_for(mongo_uri, plugins={"blocked": ["auth"]}))
    try:
        assert not app.m3m.pm.has_plugin("auth")
        assert app.m3m.pm.is_blocked("auth")
        assert "auth" not in {name for name, plugin in app.m3m.pm.list_name_plugin() if plugin is not None}
        assert all(impl.plugin_name != "auth" for impl in app.m3m.pm.hook.m3m_authenticate.get_hookimpls())
        client = app.test_client()
        response = await client.post("/api/auth/login", json={"email": "a@b.io", "password": "x"})
        assert response.status_code == 404
        assert (await response.get_json())["error"]["code"] == "not_found"
        spec = await (await client.get("/api/openapi.json")).get_json()
        assert "/api/auth/login" not in spec["paths"] and "/api/health" in spec["paths"]
    finally:
        await app.m3m.db.close()


async def test_ui_fallback_leaves_the_prefixes_plugins_own(boom_app):
    """A plugin route's prefix (here /files-kernel-test/) keeps its 404s; client routes get the UI."""
    client = boom_app.test_client()
    assert (await (await client.get("/files-kernel-test/abc")).get_json()) == {"token": "abc"}
    for path in ("/files-kernel-test/", "/files-kernel-test/a/b", "/api/nope", "/bot-x/y"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert (await response.get_json())["error"]["code"] == "not_found", path
    for path in ("/", "/projects/abc", "/files-kernel-testing"):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), path


class FastPlugin:
    """An ASGI route (m3m_asgi_routes) that answers /fast-yes and declines everything else."""

    @hookimpl
    def m3m_asgi_routes(self, app):
        async def handler(scope, receive, send):
            if scope["path"] != "/fast-yes":
                return False
            await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"fast " + scope["method"].encode()})
            return True

        return {"/fast-": handler}


async def test_an_asgi_route_answers_before_quart_or_declines(mongo_uri):
    pm = build_plugin_manager()
    pm.register(FastPlugin(), name="kernel-test-fast")
    app = create_app(settings_for(mongo_uri), pm=pm)
    try:
        client = app.test_client()
        answered = await client.post("/fast-yes")
        assert answered.status_code == 201 and await answered.get_data() == b"fast POST"
        declined = await client.get("/fast-no")  # Quart answers: no route there
        assert declined.status_code == 404 and (await declined.get_json())["error"]["code"] == "not_found"
        assert (await client.get("/api/health")).status_code == 200  # other paths never see the handler
    finally:
        await app.m3m.db.close()
