"""$http from service code through real workers, against local HTTP servers the test starts
(docs/http.md). Every request goes to a loopback address: the deny-list is tested by denying
127.0.0.1 and 127.0.0.2 on a server of its own and serving the allowed endpoints on 127.0.0.3."""

from __future__ import annotations

import base64
import json
import ssl

import httpx
import pytest

from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from local_http import LocalHttp
from local_https import LocalHttps, self_signed
from runtime_support import new_service

SERVICE = """
const failure = (e) => ({ error: { message: e.message, code: e.code, status: e.status, fields: e.fields || null } });
const shape = (r) => ({ status: r.status, ok: r.ok, headers: r.headers, url: r.url, text: r.text, size: r.bytes().length });
const attempt = async (work) => { try { return await work(); } catch (e) { return failure(e); } };

$router.post('/request', async (ctx) => attempt(async () => shape(await $http.request(ctx.body))));
$router.post('/json', async (ctx) => attempt(async () => {
  const r = await $http.request({ ...ctx.body, responseType: 'json' });
  return { status: r.status, value: r.json() };
}));
$router.post('/bytes', async (ctx) => attempt(async () => {
  const r = await $http.get(ctx.body.url, { responseType: 'bytes' });
  const bytes = r.bytes();
  return { length: bytes.length, first: bytes[0], last: bytes[bytes.length - 1], sum: bytes.reduce((a, b) => a + b, 0) };
}));
$router.post('/verbs', async (ctx) => attempt(async () => {
  const out = [];
  for (const verb of ['get', 'post', 'put', 'patch', 'delete']) {
    out.push((await $http[verb](ctx.body.url, verb === 'get' || verb === 'delete' ? {} : { json: { verb } })).json());
  }
  return out;
}));
$router.post('/upload', async (ctx) => attempt(async () => {
  await $storage.write('up/photo.bin', new Uint8Array([0, 1, 2, 255, 254]));
  const r = await $http.post(ctx.body.url, { multipart: {
    note: 'hello', count: 3, photo: { path: 'up/photo.bin' },
    inline: { content: new Uint8Array([9, 8, 7]), filename: 'b.dat', contentType: 'application/x-b' },
  } });
  return r.json();
}));
$router.post('/download', async (ctx) => attempt(async () => {
  const saved = await $http.download(ctx.body.url, ctx.body.path);
  const back = await $storage.readBytes(ctx.body.path);
  return { status: saved.status, file: saved.file, length: back.length, first: back[0] };
}));
$router.post('/exists', async (ctx) => ({ exists: await $storage.exists(ctx.body.path) }));
let background = null;
$router.post('/background', (ctx) => { background = $http.get(ctx.body.url).then((r) => r.status); return { started: true }; });
"""


@pytest.fixture(scope="module")
def allowed():
    with LocalHttp("127.0.0.3") as local:
        yield local


@pytest.fixture(scope="module")
def forbidden():
    with LocalHttp("127.0.0.2") as local:
        yield local


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def http_server(mongo_uri, tmp_path_factory, server, certificate):
    """A server of its own (same database and users as the session's) with a small response cap,
    loopback addresses in the deny-list, and the local https server's certificate trusted."""
    root = tmp_path_factory.mktemp("http-server")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_HTTP__DENIED='["169.254.0.0/16", "127.0.0.1/32", "127.0.0.2/32"]',
                     M3M_HTTP__MAX_RESPONSE="100KB", M3M_HTTP__MAX_DOWNLOAD="300KB", M3M_HTTP__MAX_TIMEOUT="20s",
                     M3M_HTTP__CA_FILE=str(certificate[1]))
    srv = Server(env, root).wait_ready()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def service(http_server):
    with httpx.Client(base_url=http_server.url, timeout=60) as client:
        deployed = new_service(client, login(client, ROOT_EMAIL, ROOT_PASSWORD))
        assert deployed.deploy(SERVICE)["state"] == "running"
        yield deployed
        deployed.stop()


def call(service, route: str, body: dict) -> dict:
    response = service.client.post(service.bot(route), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def error_of(answer: dict, code: str) -> dict:
    assert "error" in answer, answer
    assert answer["error"]["code"] == code, answer
    return answer["error"]


def test_get_text_json_headers_and_connection_reuse(service, allowed):
    before = len(allowed.requests)
    answers = [call(service, "/request", {"url": allowed.url + "/json"}) for _ in range(4)]
    first = answers[0]
    assert first["status"] == 200 and first["ok"] is True and first["url"] == allowed.url + "/json"
    assert json.loads(first["text"]) == {"hello": "world", "n": 1, "list": [1, 2.5]}
    assert first["headers"]["content-type"] == "application/json"
    # one client per worker: the four requests came over one kept-alive connection
    assert len({request["port"] for request in allowed.requests[before:]}) == 1
    parsed = call(service, "/json", {"url": allowed.url + "/json"})
    assert parsed == {"status": 200, "value": {"hello": "world", "n": 1, "list": [1, 2.5]}}
    latin = call(service, "/request", {"url": allowed.url + "/latin1"})
    assert latin["text"] == "café"  # decoded with the charset the server named


def test_request_options_reach_the_server(service, allowed):
    echoed = json.loads(call(service, "/request", {
        "method": "PUT", "url": allowed.url + "/echo?keep=1", "headers": {"X-Token": "t0k"},
        "query": {"page": 2, "tag": ["a", "b"], "on": True}, "json": {"n": 1, "f": 1.5, "text": "ü"},
    })["text"])
    assert echoed["method"] == "PUT" and echoed["headers"]["x-token"] == "t0k"
    assert echoed["query"] == {"keep": ["1"], "page": ["2"], "tag": ["a", "b"], "on": ["true"]}
    assert echoed["headers"]["content-type"] == "application/json"
    assert json.loads(echoed["text"]) == {"n": 1, "f": 1.5, "text": "ü"} and '"n":1' in echoed["text"]
    form = json.loads(call(service, "/request", {"method": "POST", "url": allowed.url + "/echo", "form": {"a": "x y", "b": 2}})["text"])
    assert form["text"] == "a=x+y&b=2" and form["headers"]["content-type"] == "application/x-www-form-urlencoded"
    raw = json.loads(call(service, "/request", {"method": "POST", "url": allowed.url + "/echo", "body": "plain text"})["text"])
    assert raw["text"] == "plain text"
    verbs = call(service, "/verbs", {"url": allowed.url + "/echo"})
    assert [v["method"] for v in verbs] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert json.loads(verbs[1]["text"]) == {"verb": "post"}


def test_bytes_and_statuses_are_answers_not_errors(service, allowed):
    assert call(service, "/bytes", {"url": allowed.url + "/bytes"}) == {"length": 256, "first": 0, "last": 255, "sum": sum(range(256))}
    teapot = call(service, "/request", {"url": allowed.url + "/status/418"})
    assert teapot["status"] == 418 and teapot["ok"] is False and teapot["headers"]["x-answer"] == "yes"
    followed = call(service, "/request", {"url": f"{allowed.url}/redirect?to={allowed.url}/json"})
    assert followed["status"] == 200 and followed["url"] == allowed.url + "/json"
    kept = call(service, "/request", {"url": f"{allowed.url}/redirect?to={allowed.url}/json", "followRedirects": False})
    assert kept["status"] == 302 and kept["headers"]["location"] == allowed.url + "/json"
    error_of(call(service, "/json", {"url": allowed.url + "/bytes"}), "invalid_json")


def test_multipart_upload_sends_a_file_from_storage(service, allowed):
    echoed = call(service, "/upload", {"url": allowed.url + "/echo"})
    kind = echoed["headers"]["content-type"]
    assert kind.startswith("multipart/form-data; boundary=")
    from email.parser import BytesParser
    from email.policy import default

    raw = b"Content-Type: " + kind.encode() + b"\r\n\r\n" + base64.b64decode(echoed["body"])
    parts = {part.get_param("name", header="content-disposition"): part for part in BytesParser(policy=default).parsebytes(raw).iter_parts()}
    assert parts["note"].get_content() == "hello" and parts["count"].get_content() == "3"
    assert parts["photo"].get_filename() == "photo.bin" and parts["photo"].get_content() == bytes([0, 1, 2, 255, 254])
    assert parts["inline"].get_filename() == "b.dat" and parts["inline"].get_content_type() == "application/x-b"
    assert parts["inline"].get_content() == bytes([9, 8, 7])


def test_download_goes_into_storage(service, allowed):
    saved = call(service, "/download", {"url": allowed.url + "/bytes", "path": "dl/all.bin"})
    assert saved["status"] == 200 and saved["length"] == 256 and saved["first"] == 0
    assert saved["file"]["path"] == "dl/all.bin" and saved["file"]["size"] == 256
    listing = service.client.get(service.api("/storage/content"), params={"path": "dl/all.bin"}, headers=service.headers)
    assert listing.content == bytes(range(256))  # the admin API sees the same file
    # under the download cap (300KB) but above the in-memory cap (100KB): streamed, not buffered
    assert call(service, "/download", {"url": allowed.url + "/sized?size=250000", "path": "dl/big.bin"})["length"] == 250_000
    error_of(call(service, "/download", {"url": allowed.url + "/endless", "path": "dl/endless.bin"}), "too_large")
    error_of(call(service, "/download", {"url": allowed.url + "/status/404", "path": "dl/missing.bin"}), "bad_status")
    for path in ("dl/endless.bin", "dl/missing.bin"):
        assert call(service, "/exists", {"path": path}) == {"exists": False}  # nothing half-written is left
    error_of(call(service, "/download", {"url": allowed.url + "/bytes", "path": "../out.bin"}), "validation_failed")


def test_oversize_answers_are_cut_off_at_the_cap(service, allowed):
    assert call(service, "/request", {"url": allowed.url + "/sized?size=90000"})["size"] == 90_000
    declared = error_of(call(service, "/request", {"url": allowed.url + "/sized?size=200000"}), "too_large")
    assert "102400" in declared["message"] and "http.max_response" in declared["message"]
    # an endless body: only a client that stops reading at the cap ends this call
    error_of(call(service, "/request", {"url": allowed.url + "/endless"}), "too_large")
    assert call(service, "/request", {"url": allowed.url + "/json"})["status"] == 200  # the worker is fine


def test_a_request_in_flight_keeps_the_service_awake(service, allowed):
    assert call(service, "/background", {"url": allowed.url + "/slow?seconds=4"}) == {"started": True}
    service.wait_for(lambda: "1 outgoing HTTP requests in flight" in (service.state()["sleep"]["awake"] or ""), 10, "the heartbeat's reason")
    service.wait_for(lambda: not service.state()["sleep"]["awake"], 15, "the request to end")


def test_timeouts(service, allowed):
    late = error_of(call(service, "/request", {"url": allowed.url + "/slow?seconds=3", "timeout": "300ms"}), "timeout")
    assert late["status"] == 504 and "0.3s" in late["message"]
    error_of(call(service, "/request", {"url": allowed.url + "/json", "timeout": 60}), "validation_failed")  # over http.max_timeout
    assert call(service, "/request", {"url": allowed.url + "/slow?seconds=0.2", "timeout": 5})["status"] == 200


def test_network_errors_have_codes(service, allowed):
    port = free_port()
    refused = error_of(call(service, "/request", {"url": f"http://127.0.0.3:{port}/"}), "refused")
    assert str(port) in refused["message"]
    # https to a plain HTTP server: the TLS handshake fails
    error_of(call(service, "/request", {"url": allowed.url.replace("http:", "https:") + "/json"}), "tls")
    # A label longer than DNS allows fails in the resolver, before any query leaves the machine.
    error_of(call(service, "/request", {"url": f"http://{'a' * 70}.test/"}), "dns")


def test_https_over_http2_with_a_trusted_authority(service, certificate, tmp_path):
    with LocalHttps(tmp_path / "h2", *certificate) as secure:
        answers = [call(service, "/request", {"url": f"{secure.url}/h2/{n}"}) for n in range(3)]
        assert [json.loads(answer["text"]) for answer in answers] == [{"httpVersion": "2", "path": f"/h2/{n}"} for n in range(3)]
        assert answers[0]["status"] == 200 and answers[0]["url"] == secure.url + "/h2/0"


def test_a_certificate_no_authority_signed_is_refused(service, tmp_path):
    key, cert = self_signed(tmp_path)  # not the one http.ca_file trusts
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with LocalHttp("127.0.0.3", tls=context) as secure:
        refused = error_of(call(service, "/request", {"url": secure.url + "/json"}), "tls")
        assert "self-signed certificate" in refused["message"] and secure.requests == []


def test_the_deny_list_is_checked_before_connecting(service, allowed, forbidden):
    direct = error_of(call(service, "/request", {"url": forbidden.url + "/json"}), "denied")
    assert "127.0.0.2/32" in direct["message"] and direct["status"] == 403
    redirected = error_of(call(service, "/request", {"url": f"{allowed.url}/redirect?to={forbidden.url}/json"}), "denied")
    assert "127.0.0.2" in redirected["message"]
    error_of(call(service, "/download", {"url": f"{allowed.url}/redirect?to={forbidden.url}/bytes", "path": "x.bin"}), "denied")
    # a name is checked by the addresses it resolves to: localhost is 127.0.0.1 (/etc/hosts)
    named = error_of(call(service, "/request", {"url": forbidden.url.replace("127.0.0.2", "localhost") + "/json"}), "denied")
    assert "localhost resolves to 127.0.0.1" in named["message"]
    # written as IPv4 inside IPv6, the address is still the denied one
    error_of(call(service, "/request", {"url": forbidden.url.replace("127.0.0.2", "[::ffff:127.0.0.2]") + "/json"}), "denied")
    assert forbidden.connections == 0 and forbidden.requests == []


@pytest.mark.parametrize("options, field", [
    ({"url": "ftp://example.test/"}, "url"),
    ({"url": "/relative"}, "url"),
    ({"url": "http://127.0.0.3/", "method": "BREW"}, "method"),
    ({"url": "http://127.0.0.3/", "timeout": "soon"}, "timeout"),
    ({"url": "http://127.0.0.3/", "responseType": "xml"}, "responseType"),
    ({"url": "http://127.0.0.3/", "headers": {"a": 1}}, "headers"),
    ({"url": "http://127.0.0.3/", "json": {}, "form": {}}, "form"),
    ({"url": "http://127.0.0.3/", "colour": "red"}, "colour"),
    ({"url": "http://127.0.0.3/", "headers": {"X-A": "a\r\nX-Injected: 1"}}, "headers"),
    ({"url": "http://127.0.0.3/", "multipart": {"f": {"path": "nope.bin"}}}, "path"),
])
def test_bad_options_are_refused_naming_the_field(service, options, field):
    answer = call(service, "/request", options)
    assert "error" in answer and answer["error"]["status"] in (404, 422), answer
    if answer["error"]["status"] == 422:
        assert field in (answer["error"]["fields"] or {}), answer
