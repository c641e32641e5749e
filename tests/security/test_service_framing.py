"""A service's answer cannot frame the connection (issue [13], finding 6).

A route could set `Transfer-Encoding`, `Connection`, `Upgrade`, `TE`, `Trailer`, `Keep-Alive`,
`Proxy-*`: the answer then carried a chunked encoding and a Content-Length at once, which a proxy
in front of m3m and a browser may read differently (one answer becomes two). A 204 or 304 with a
body put that body on the wire after the head, where a client reads it as the next answer, and
a 1xx status was sent as the final answer. Read here at the socket, as a proxy would, on both
ways a request reaches a service: the fast path (the slug the service started with) and the
Quart route (its new slug, after a rename).
"""

from __future__ import annotations

import secrets

import pytest

from runtime_support import new_service

from .raw_http import Wire

SMUGGLED = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nsmuggled"
HOP_BY_HOP = {"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate",
              "proxy-connection", "x-hop"}

SERVICE = f"""
$router.get('/framed/:n', () => $router.response(200, 'exactly this', {{
  'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Content-Length': '999',
  'Connection': 'close, X-Hop', 'X-Hop': 'for this hop', 'Keep-Alive': 'timeout=1', 'Upgrade': 'h2c',
  'TE': 'trailers', 'Trailer': 'X-Checksum', 'Proxy-Authenticate': 'Basic', 'Proxy-Connection': 'close',
  'Date': 'Thu, 01 Jan 1970 00:00:00 GMT', 'X-Kept': 'yes',
}}));
$router.get('/status/:code', (ctx) => $router.response(Number(ctx.params.code), {SMUGGLED!r}, {{ 'Content-Type': 'text/plain' }}));
$router.get('/plain', () => 'plain');
"""


@pytest.fixture(scope="module")
def framer(client, root_headers):
    """A running service, reachable by the slug it started with (the fast path) and, renamed, by
    its new slug (the Quart route)."""
    service = new_service(client, root_headers)
    service.deploy(SERVICE)
    started_as = service.project["slug"]
    renamed = client.patch(service.api(), json={"slug": f"renamed-{secrets.token_hex(4)}"}, headers=root_headers)
    assert renamed.status_code == 200, renamed.text
    yield service, {"fast": f"/bot-{started_as}", "quart": f"/bot-{renamed.json()['slug']}"}
    service.stop()


@pytest.fixture
def wire(server):
    connection = Wire(server.url)
    yield connection
    connection.close()


@pytest.mark.parametrize("way", ["fast", "quart"])
def test_an_answer_has_one_framing_and_no_hop_by_hop_header_of_the_service(framer, wire, way):
    _, base = framer
    status, headers, body = wire.get(f"{base[way]}/framed/1")
    names = [name for name, _ in headers]
    assert status == 200
    assert names.count("content-length") == 1 and "transfer-encoding" not in names, headers
    assert dict(headers)["content-length"] == str(len(b"exactly this")) and body == b"exactly this"
    assert not HOP_BY_HOP & set(names), headers
    assert names.count("date") == 1 and dict(headers)["date"] != "Thu, 01 Jan 1970 00:00:00 GMT"
    assert dict(headers)["x-kept"] == "yes"
    # The service's Connection: close did not end the connection: the next answer comes on it.
    assert wire.get(f"{base[way]}/plain")[2] == b"plain"


@pytest.mark.parametrize("way", ["fast", "quart"])
@pytest.mark.parametrize("code", [204, 304])
def test_a_body_on_a_status_without_one_never_reaches_the_wire(framer, wire, way, code):
    _, base = framer
    status, headers, _ = wire.get(f"{base[way]}/status/{code}")
    assert status == code
    assert "transfer-encoding" not in dict(headers)
    # What comes next on the connection is the next request's answer, not the service's bytes.
    assert wire.get(f"{base[way]}/plain")[::2] == (200, b"plain")


@pytest.mark.parametrize("way", ["fast", "quart"])
def test_an_informational_status_is_no_answer(framer, wire, way):
    _, base = framer
    status, headers, body = wire.get(f"{base[way]}/status/101")
    assert status == 500 and b"service_error" in body
    assert wire.get(f"{base[way]}/plain")[::2] == (200, b"plain")


def test_the_log_says_once_per_route_which_headers_were_dropped(framer, client):
    service, base = framer
    for n in range(4):  # four paths, two ways, one route
        assert client.get(f"{base['fast' if n % 2 else 'quart']}/framed/{n}").status_code == 200
    noted = service.wait_log("headers dropped")  # written before the answer left; waited for anyway
    assert len(noted) == 1, noted
    assert "GET /framed/:n" in noted[0] and "transfer-encoding" in noted[0] and "proxy-connection" in noted[0]
