"""A service's page against the admin's session (issue [13], finding 3).

m3m served `/bot-{pid}/...` in the UI's own origin with no policy: a service's HTML page, opened
by a signed-in admin (the UI offers these URLs with copy buttons), read the UI's token from
localStorage, called the API as the admin, read the origin's cookies, registered a service
worker with scope `/` that replaced the UI for that browser, and could wipe the UI's storage
with `Clear-Site-Data`. Each attack is played here in a real Chromium, as the page's own script.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, login, new_project, server_env
from kernel.content import host_values
from kernel.embedded import free_port
from kernel.settings import SettingsError, load_settings
from runtime_support import new_service

from .raw_http import Wire

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TOKEN_KEY = "m3m.token"  # ui/src/lib/session.ts
PLANTED_COOKIE = "planted-cookie-value"

# The page's script tries everything a page of the UI's origin could do, and writes what it got.
ATTACK_HTML = """<!doctype html><title>a service page</title><pre id="out"></pre>
<script>
(async () => {
  const out = {};
  let token = null;
  try { token = localStorage.getItem('m3m.token'); out.storage = token ? 'read ' + token : 'empty'; }
  catch (e) { out.storage = 'blocked: ' + e.name; }
  try { out.cookie = 'read ' + document.cookie; } catch (e) { out.cookie = 'blocked: ' + e.name; }
  try {
    const answer = await fetch('/api/auth/me', { credentials: 'include', headers: token ? { Authorization: 'Bearer ' + token } : {} });
    out.me = answer.status + ' ' + await answer.text();
  } catch (e) { out.me = 'blocked: ' + e.name; }
  try {
    await navigator.serviceWorker.register('sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
    out.worker = 'registered';
  } catch (e) { out.worker = 'blocked: ' + e.name; }
  const pre = document.getElementById('out');
  pre.textContent = JSON.stringify(out);
  pre.dataset.done = '1';
})();
</script>"""

# A worker that would answer every page of the origin, the UI's included.
WORKER_JS = """self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => event.respondWith(new Response('<h1>owned by a service</h1>', { headers: { 'Content-Type': 'text/html' } })));
"""

SERVICE = f"""
const PAGE = {json.dumps(ATTACK_HTML)};
const HTML = {{ 'Content-Type': 'text/html; charset=utf-8' }};
$router.get('/page', () => $router.response(200, PAGE, HTML));
// Its own policy, asking for the same origin back: the platform's sandbox still applies.
$router.get('/own-policy', () => $router.response(200, PAGE, {{ ...HTML, 'Content-Security-Policy': 'sandbox allow-scripts allow-same-origin' }}));
$router.get('/sw.js', () => $router.response(200, {json.dumps(WORKER_JS)}, {{ 'Content-Type': 'text/javascript', 'Service-Worker-Allowed': '/' }}));
$router.get('/wipe', () => $router.response(200, 'wiped', {{ 'Content-Type': 'text/plain', 'Clear-Site-Data': '"storage", "cookies"' }}));
// A cookie for the whole origin, as a UI cookie would be named and scoped.
$router.get('/cookie', () => $router.response(200, 'cookie set', {{ 'Content-Type': 'text/plain', 'Set-Cookie': 'm3m_session=forged; Path=/' }}));
"""


@pytest.fixture(scope="module")
def browser() -> Browser:
    assert Path(CHROMIUM).exists(), "these tests need Debian's chromium: make chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def attacker(client, root_headers):
    """A running service whose pages attack whoever opens them."""
    service = new_service(client, root_headers)
    service.deploy(SERVICE)
    yield service
    service.stop()


@pytest.fixture
def admin(browser, server, root_headers):
    """A browser signed in to the UI as root (the token stored as the sign-in page stores it),
    with a cookie planted on the origin, as a cookie of the UI would be."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "ui_cookie", "value": PLANTED_COOKIE, "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/api/ui/config")
    token = root_headers["Authorization"].removeprefix("Bearer ")
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, token])
    assert_the_ui_is_the_ui(page, server.url, token)
    yield page, token
    context.close()


def assert_the_ui_is_the_ui(page, base: str, token: str) -> None:
    """The UI's projects page, signed in, with no service worker over it."""
    page.goto(base + "/projects")
    page.locator("h1", has_text="Projects").wait_for()
    assert page.evaluate("(key) => localStorage.getItem(key)", TOKEN_KEY) == token
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0


def attack(page, url: str) -> dict:
    page.goto(url)
    page.locator("#out[data-done]").wait_for()
    return json.loads(page.locator("#out").text_content())


@pytest.mark.parametrize("route", ["/page", "/own-policy"])
def test_a_service_page_cannot_read_the_session_call_the_api_or_take_over_the_ui(admin, attacker, server, route):
    page, token = admin
    got = attack(page, server.url + attacker.bot(route))
    seen = json.dumps(got)
    assert token not in seen, got
    assert got["storage"].startswith("blocked"), got
    assert PLANTED_COOKIE not in seen and got["cookie"].startswith("blocked"), got
    assert ROOT_EMAIL not in seen and not got["me"].startswith("200"), got
    assert got["worker"].startswith("blocked"), got
    assert_the_ui_is_the_ui(page, server.url, token)


def test_a_service_answer_cannot_clear_the_ui_storage_or_cookies(admin, attacker, server):
    page, token = admin
    page.goto(server.url + attacker.bot("/wipe"))
    page.get_by_text("wiped").wait_for()
    assert_the_ui_is_the_ui(page, server.url, token)
    assert any(cookie["value"] == PLANTED_COOKIE for cookie in page.context.cookies())


def test_a_service_cookie_never_reaches_the_ui_or_the_api(admin, attacker, server):
    page, _ = admin
    page.goto(server.url + attacker.bot("/cookie"))
    page.get_by_text("cookie set").wait_for()
    forged = [cookie for cookie in page.context.cookies() if cookie["name"] == "m3m_session"]
    assert [cookie["path"] for cookie in forged] == [attacker.bot()], forged
    for url in (server.url + "/projects", server.url + "/api/auth/me"):
        assert "m3m_session" not in {cookie["name"] for cookie in page.context.cookies(url)}


# -- the headers of every kind of /bot- answer, at the HTTP level --------------------------------

HEADERS_SERVICE = """
$router.get('/page', () => $router.response(200, '<p>hi</p>', { 'Content-Type': 'text/html' }));
$router.get('/own-policy', () => $router.response(200, '<p>hi</p>', {
  'Content-Type': 'text/html', 'Content-Security-Policy': "default-src 'self'; sandbox allow-scripts ALLOW-SAME-ORIGIN allow-forms" }));
$router.get('/throws', () => { throw new Error('broken'); });
$router.get('/bad', () => $router.response(101, 'no'));
$router.get('/empty', () => $router.response(204));
$router.get('/origin-wide', () => $router.response(200, 'ok', {
  'Service-Worker-Allowed': '/', 'Clear-Site-Data': '"*"', 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Alt-Svc': 'h2=":4433"', 'NEL': '{"report_to":"x","max_age":86400}', 'X-Content-Type-Options': 'sniff-me', 'X-Kept': 'yes' }));
$router.get('/cookie', (ctx) => $router.response(200, 'ok', { 'Set-Cookie': ctx.query.c }));
$router.get('/sw.js', () => $router.response(200, 'self.onfetch = () => {}', { 'Content-Type': 'text/javascript' }));
"""


@pytest.fixture(scope="module")
def shown(client, root_headers):
    """A running service, by the slug it started with (the fast path) and, renamed, by its new
    slug (the Quart route); and a project whose service never started."""
    service = new_service(client, root_headers)
    service.deploy(HEADERS_SERVICE)
    started_as = service.project["slug"]
    renamed = client.patch(service.api(), json={"slug": f"renamed-{secrets.token_hex(4)}"}, headers=root_headers)
    assert renamed.status_code == 200, renamed.text
    stopped = new_project(client, root_headers, "stopped")
    yield {"fast": f"/bot-{started_as}", "quart": f"/bot-{renamed.json()['slug']}", "stopped": f"/bot-{stopped['slug']}"}
    service.stop()


def assert_page_policy(headers: httpx.Headers, own: str | None = None) -> None:
    """The platform's sandbox (an opaque origin) and nosniff, whatever else was sent."""
    policies = headers.get_list("content-security-policy")
    assert "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads allow-modals" in policies, policies
    assert "allow-same-origin" not in " ".join(policies).lower(), policies
    assert len(policies) == (2 if own else 1) and (own is None or own in policies), policies
    assert headers.get_list("x-content-type-options") == ["nosniff"]


WAYS = ["fast", "quart"]
KINDS = {  # what is asked -> the status of the answer
    "a page": ("GET", "/page", 200),
    "no route": ("GET", "/nowhere", 404),
    "a route that throws": ("GET", "/throws", 500),
    "no valid answer": ("GET", "/bad", 500),
    "no body": ("GET", "/empty", 204),
    "HEAD": ("HEAD", "/page", 200),
    "a method no route has": ("PROPFIND", "/page", 405),
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_answer_of_a_running_service_is_sandboxed(client, shown, way, kind):
    method, path, status = KINDS[kind]
    answer = client.request(method, shown[way] + path)
    assert answer.status_code == status, answer.text
    assert_page_policy(answer.headers)


@pytest.mark.parametrize("kind, path, method, status", [
    ("no such project", "/bot-no-such-project/x", "GET", 404),
    ("a service that is not running", "stopped", "GET", 503),
    ("Quart's own 405", "stopped", "PROPFIND", 405),
])
def test_every_answer_of_the_platform_is_sandboxed(client, shown, kind, path, method, status):
    answer = client.request(method, shown.get(path, path) + "/x")
    assert answer.status_code == status, answer.text
    assert_page_policy(answer.headers)


def test_a_body_too_large_is_refused_sandboxed(server, shown):
    wire = Wire(server.url)
    try:
        status, headers, _ = wire.get(shown["fast"] + "/page", "POST", "Content-Length: 999999999\r\n")
    finally:
        wire.close()
    assert status == 413
    assert_page_policy(httpx.Headers(headers))


@pytest.mark.parametrize("way", WAYS)
def test_a_service_keeps_its_own_policy_but_never_the_same_origin(client, shown, way):
    answer = client.get(shown[way] + "/own-policy")
    assert_page_policy(answer.headers, own="default-src 'self'; sandbox allow-scripts allow-forms")


@pytest.mark.parametrize("way", WAYS)
def test_a_service_cannot_send_headers_that_act_on_the_whole_origin(client, shown, way):
    answer = client.get(shown[way] + "/origin-wide")
    assert answer.status_code == 200
    for name in ("service-worker-allowed", "clear-site-data", "strict-transport-security", "alt-svc", "nel"):
        assert name not in answer.headers, name
    assert answer.headers["x-kept"] == "yes"
    assert_page_policy(answer.headers)


@pytest.mark.parametrize("way", WAYS + ["stopped", "no such project"])
def test_nothing_under_bot_is_served_as_a_service_worker_script(client, shown, way):
    base = shown.get(way, "/bot-no-such-project")
    answer = client.get(base + "/sw.js", headers={"Service-Worker": "script"})
    assert answer.status_code in (403, 404), answer.text
    assert_page_policy(answer.headers)
    if way in WAYS:
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
        assert client.get(base + "/sw.js").status_code == 200  # the same script, fetched as a script


@pytest.mark.parametrize("sent, kept", [
    ("sid=1; Path=/; Domain=127.0.0.1; HttpOnly", "sid=1; HttpOnly; Path={base}"),
    ("sid=1", "sid=1; Path={base}"),
    ("sid=1; Path={base}/admin; Secure", "sid=1; Secure; Path={base}/admin"),
    ("sid=1; Path={base}x", "sid=1; Path={base}"),
    ("sid=1; Path={base}/a; Path=/", "sid=1; Path={base}"),  # the last Path is the one browsers keep
    ("__Host-sid=1; Path=/; Secure", "__Host-sid=1; Secure; Path={base}"),  # a host cookie: refused by browsers
])
@pytest.mark.parametrize("way", WAYS)
def test_a_service_cookie_is_kept_to_its_own_address(client, shown, way, sent, kept):
    base = shown[way]
    answer = client.get(base + "/cookie", params={"c": sent.format(base=base)})
    assert answer.headers.get_list("set-cookie") == [kept.format(base=base)]


def test_the_request_tester_calls_a_route_through_the_api(client, shown, users, root_headers):
    service_id = client.get(f"/api/projects/{shown['quart'].removeprefix('/bot-')}", headers=root_headers).json()["id"]
    call = {"method": "GET", "path": "/cookie", "query": "c=sid%3D1%3B%20Path%3D%2F&c=second"}
    answer = client.post(f"/api/projects/{service_id}/runtime/call", json=call, headers=root_headers)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got["status"] == 200 and got["body"] == "ok" and got["size"] == 2
    assert got["headers"]["set-cookie"] == f"sid=1; Path={shown['quart']}"  # kept to the service's address, as /bot- does
    stranger = users.make()
    assert client.post(f"/api/projects/{service_id}/runtime/call", json=call, headers=stranger["headers"]).status_code == 404
    bad = client.post(f"/api/projects/{service_id}/runtime/call", json={**call, "path": "no-slash"}, headers=root_headers)
    assert bad.status_code == 422 and "path" in bad.json()["error"]["fields"]
    stopped = client.get(f"/api/projects/{shown['stopped'].removeprefix('/bot-')}", headers=root_headers).json()["id"]
    idle = client.post(f"/api/projects/{stopped}/runtime/call", json=call, headers=root_headers).json()
    assert idle["status"] == 503 and "service_unavailable" in idle["body"]


# -- services on an origin of their own (server.content_uri) -------------------------------------

def test_the_content_origin_is_known_by_the_host_header_that_names_it():
    assert host_values("http://localhost:3001") == {b"localhost:3001"}
    assert host_values("https://Content.Example.net") == {b"content.example.net", b"content.example.net:443"}
    assert host_values("http://[::1]:8080/") == {b"[::1]:8080"}
    assert host_values("https://bücher.example") == {b"xn--bcher-kva.example", b"xn--bcher-kva.example:443"}


@pytest.mark.parametrize("value, why", [
    ("ftp://content.example.net", "http:// or https://"),
    ("https://content.example.net/sub", "no path"),
    ("http://127.0.0.1:3000", "another origin than uri"),
    ("http://127.0.0.1:3000/", "another origin than uri"),
])
def test_a_content_origin_that_is_not_one_stops_start_up(value, why):
    with pytest.raises(SettingsError, match="content_uri") as refused:
        load_settings(server={"port": 3000, "uri": "", "content_uri": value})
    assert why in str(refused.value)


SPLIT_SERVICE = """
$router.get('/hello', (ctx) => ({ hello: ctx.query.name || 'world' }));
$router.post('/echo', (ctx) => ({ got: ctx.body }));
$router.get('/link', async () => ({ url: await $storage.url('a.txt') }));
"""


@pytest.fixture(scope="module")
def split(mongo_uri, tmp_path_factory, server):
    """A server of its own (same database and users) whose services and direct links are on
    http://localhost:{port}; the UI and the API on http://127.0.0.1:{port}."""
    root = tmp_path_factory.mktemp("split-origin")
    port = free_port()
    content = f"http://localhost:{port}"
    srv = Server(server_env(root / "storage", port, mongo_uri, M3M_SERVER__CONTENT_URI=content), root).wait_ready()
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        service = new_service(client, login(client, ROOT_EMAIL, ROOT_PASSWORD))
        service.deploy(SPLIT_SERVICE)
        saved = client.put(service.api("/storage/content"), params={"path": "a.txt"}, content=b"a file", headers=service.headers)
        assert saved.status_code in (200, 201), saved.text
        yield srv, service, content
        service.stop()
    srv.stop()


def on_content(srv, content: str) -> dict:
    return {"Host": content.removeprefix("http://")}


def test_the_ui_and_the_api_are_not_served_on_the_content_origin(split):
    srv, service, content = split
    there = on_content(srv, content)
    for method, path in [("GET", "/"), ("GET", "/projects"), ("GET", "/api/health"), ("GET", "/api/ui/config"),
                         ("POST", "/api/auth/login"), ("GET", "/api/auth/me"), ("GET", "/assets/index.js")]:
        answer = service.client.request(method, path, headers=there)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "not_found" and srv.url in answer.json()["error"]["message"]
    answer = service.client.get(service.bot("/hello"), params={"name": "ada"}, headers=there)
    assert answer.json() == {"hello": "ada"}
    assert_page_policy(answer.headers)


def test_content_asked_for_on_the_ui_origin_goes_to_the_content_origin(split):
    srv, service, content = split
    answer = service.client.get(service.bot("/hello?name=ada"))
    assert answer.status_code == 308 and answer.headers["location"] == f"{content}{service.bot('/hello')}?name=ada"
    posted = service.client.post(service.bot("/echo"), json={"a": 1})
    assert posted.status_code == 308  # a 308 keeps the method and the body
    assert service.client.get("/files/anything").headers["location"] == f"{content}/files/anything"
    assert service.client.get("/projects").status_code == 200  # the UI stays here
    assert service.client.get("/api/ui/config").json()["contentUri"] == content


def test_links_to_files_are_made_on_the_content_origin(split):
    srv, service, content = split
    made = service.client.post(service.api("/storage/link"), json={"path": "a.txt"}, headers=service.headers)
    assert made.status_code == 200, made.text
    linked = service.client.get(service.bot("/link"), headers=on_content(srv, content))
    assert linked.status_code == 200, linked.text
    for url in (made.json()["url"], linked.json()["url"]):
        assert url.startswith(f"{content}/files/"), url
        path = url.removeprefix(content)
        served = service.client.get(path, headers=on_content(srv, content))
        assert served.status_code == 200 and served.content == b"a file"
        assert service.client.get(path).status_code == 308


def test_the_ui_shows_and_calls_services_on_their_origin(browser, split):
    srv, service, content = split
    context = browser.new_context()
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        page.goto(srv.url + "/api/ui/config")
        page.evaluate("([key, token]) => localStorage.setItem(key, token)",
                      [TOKEN_KEY, service.headers["Authorization"].removeprefix("Bearer ")])
        page.goto(f"{srv.url}/projects/{service.project['slug']}/runtime")
        page.get_by_test_id("route-url").filter(has_text=f"{content}{service.bot('/hello')}").wait_for()
        # The request tester calls the route through the API: no cross-origin request, no page of the service here.
        page.get_by_label("Path").fill("/hello")
        page.get_by_label("Query").fill("name=lin")
        page.get_by_role("button", name="Send").click()
        page.get_by_test_id("tester-status").filter(has_text="200").wait_for()
        assert '"hello": "lin"' in page.get_by_test_id("tester-body").inner_text()
        # The service's page, opened from the link, is on the content origin.
        page.goto(f"{content}{service.bot('/hello')}")
        assert json.loads(page.locator("body").inner_text()) == {"hello": "world"}
    finally:
        context.close()
