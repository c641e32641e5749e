"""The attack: a service's `$http` aimed at what lives beside m3m: m3m's own API, its database's
port, the host's services on loopback and private addresses, spelled every way a URL can spell
them (integers, octal, hex, short forms, final dots, IPv6 embeddings, zone ids, localhost names),
reached directly, through a redirect from an allowed host, or through a proxy of the environment.
Real `m3m serve` processes, real workers, local HTTP servers that count every connection
(tests/local_http.py); docs/http.md "Where services may connect", docs/security.md."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

import httpx
import pytest

from conftest import MONGO_URI, ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from local_http import LocalHttp
from runtime_support import new_service

SERVICE = """
const outcome = async (work) => {
  try { const r = await work(); return { status: r.status, url: r.url, text: r.text }; }
  catch (e) { return { error: { code: e.code, status: e.status, message: e.message } }; }
};
$router.post('/get', async (ctx) => {
  const results = [];
  for (const url of ctx.body.urls) { results.push(await outcome(() => $http.get(url, { timeout: '5s' }))); }
  return results;
});
$router.post('/download', async (ctx) => ({
  result: await outcome(() => $http.download(ctx.body.url, 'fetched.bin')),
  saved: await $storage.exists('fetched.bin'),
}));
"""

# Every spelling of this machine's loopback (or of "any address", which reaches it), as a URL host.
LOCAL_HOSTS = [
    "127.0.0.1", "127.0.0.2", "127.255.255.254", "127.1", "127.0.1", "127.0.0.1.",
    "2130706433", "0x7f000001", "0x7f.1", "0x7f.0.0.1", "017700000001", "0177.0.1",
    "0.0.0.0", "0", "0.0.0.0.", "0x0",
    "localhost", "LOCALHOST", "localhost.", "m3m.localhost", "a.b.localhost.",
    "[::1]", "[0:0:0:0:0:0:0:1]", "[::]", "[::1%25lo]",
    "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[::ffff:0.0.0.0]", "[::ffff:0:0]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[64:ff9b::127.0.0.1]",  # NAT64
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
]
# What else is not the internet, one address of each kind.
PRIVATE_HOSTS = [
    "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "169.254.169.254", "100.100.100.200", "169.254.170.2",
    "192.0.2.1", "198.18.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1",
    "[fc00::1]", "[fd00:ec2::254]", "[fe80::1]", "[fe80::1%25lo]", "[ff02::1]", "[2001:db8::1]",
    "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]",
]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def machine_addresses() -> list[str]:
    """This machine's IPv4 addresses outside loopback (SIOCGIFADDR of each interface)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            try:
                answer = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))  # SIOCGIFADDR
            except OSError:
                continue  # no IPv4 address
            address = socket.inet_ntoa(answer[20:24])
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    return found


@pytest.fixture(scope="module")
def proxy():
    """Where the environment's proxy variables point: a proxy would reach what the guard refuses."""
    with LocalHttp("127.0.0.4") as local:
        yield local


@pytest.fixture(scope="module")
def loopback_site():
    with LocalHttp("127.0.0.1") as local:
        yield local


@pytest.fixture(scope="module")
def allowed_site():
    with LocalHttp("127.0.0.3") as local:
        yield local


def started(mongo_uri, root, **extra) -> Server:
    srv = Server(server_env(root / "storage", free_port(), mongo_uri, **extra), root).wait_ready()
    srv.port = int(srv.env["M3M_SERVER__PORT"])
    srv.http = httpx.Client(base_url=srv.url, timeout=120)
    srv.service = new_service(srv.http, login(srv.http, ROOT_EMAIL, ROOT_PASSWORD))
    assert srv.service.deploy(SERVICE)["state"] == "running"
    return srv


def stopped(srv: Server) -> None:
    srv.service.stop()
    srv.http.close()
    srv.stop()


@pytest.fixture(scope="module")
def default_server(mongo_uri, tmp_path_factory, server, proxy):
    """The settings as shipped, and every proxy variable of the environment set."""
    srv = started(mongo_uri, tmp_path_factory.mktemp("http-default"), **dict.fromkeys(PROXY_VARIABLES, proxy.url))
    yield srv
    stopped(srv)


@pytest.fixture(scope="module")
def allowing_server(mongo_uri, tmp_path_factory, server):
    """Loopback and this machine's own addresses allowed, m3m listening on every interface."""
    allowed = ["127.0.0.0/8", "::1/128", *(f"{address}/32" for address in machine_addresses())]
    srv = started(mongo_uri, tmp_path_factory.mktemp("http-allowed"), M3M_SERVER__HOST="0.0.0.0",
                  M3M_HTTP__ALLOWED=str(allowed).replace("'", '"'))
    yield srv
    stopped(srv)


def get(srv: Server, urls: list[str]) -> list[dict]:
    response = srv.http.post(srv.service.bot("/get"), json={"urls": urls})
    assert response.status_code == 200, response.text
    return response.json()


def assert_denied(srv: Server, urls: list[str]) -> None:
    answers = dict(zip(urls, get(srv, urls)))
    wrong = {url: answer for url, answer in answers.items() if (answer.get("error") or {}).get("code") != "denied"}
    assert not wrong, f"not denied: {wrong}"
    assert all(answer["error"]["status"] == 403 for answer in answers.values())


def database_port() -> int:
    return httpx.URL(MONGO_URI.replace("mongodb://", "http://")).port or 27017


def test_by_default_no_spelling_of_a_local_address_is_reached(default_server, loopback_site, proxy):
    own, database, site = default_server.port, database_port(), loopback_site.url.rsplit(":", 1)[1]
    connections = loopback_site.connections, proxy.connections
    urls = [f"http://{host}:{port}/api/health" for host in LOCAL_HOSTS for port in (own, database, site)]
    assert_denied(default_server, urls)
    # refused before connecting: not one TCP connection reached the site, and no proxy of the
    # environment was asked instead
    assert (loopback_site.connections, proxy.connections) == connections


def test_by_default_private_link_local_and_metadata_addresses_are_denied(default_server, proxy):
    asked = proxy.connections
    assert_denied(default_server, [f"http://{host}/latest/meta-data/" for host in PRIVATE_HOSTS])
    assert_denied(default_server, [f"https://{host}/" for host in ("127.0.0.1", "169.254.169.254", "[::1]")])
    assert proxy.connections == asked


def test_a_download_to_a_local_address_is_denied_and_saves_nothing(default_server):
    answer = default_server.http.post(default_server.service.bot("/download"), json={"url": f"http://0:{default_server.port}/api/health"}).json()
    assert answer["result"]["error"]["code"] == "denied" and answer["saved"] is False


def test_an_octal_dotted_host_is_refused_as_a_malformed_url(default_server, loopback_site):
    """httpx does not take 0177.0.0.1 as an address (the resolver would): refused before anything."""
    port = loopback_site.url.rsplit(":", 1)[1]
    connections = loopback_site.connections
    [answer] = get(default_server, [f"http://0177.0.0.1:{port}/"])
    assert answer["error"]["status"] == 422 and loopback_site.connections == connections


def test_an_allowed_range_is_reached_but_m3m_and_its_database_are_not(allowing_server, allowed_site, loopback_site):
    site, named = allowed_site.url, loopback_site.url.replace("127.0.0.1", "m3m.localhost")
    reached = get(allowing_server, [f"{site}/json", f"{named}/json", site.replace("127.0.0.3", "2130706435") + "/json"])
    assert [answer.get("status") for answer in reached] == [200, 200, 200], reached
    own, database = allowing_server.port, database_port()
    assert_denied(allowing_server, [f"http://{host}:{port}/api/health" for host in LOCAL_HOSTS for port in (own, database)])
    # ranges not allowed stay denied
    assert_denied(allowing_server, [f"http://{host}/" for host in PRIVATE_HOSTS])


def test_m3m_on_every_interface_is_not_reached_on_the_machines_own_address(allowing_server):
    """m3m listens on 0.0.0.0 here, and this machine's addresses are allowed: the other services
    of those addresses are reached, m3m's port is not."""
    addresses = machine_addresses()
    if not addresses:
        pytest.skip("this machine has no IPv4 address outside loopback")
    for address in addresses:
        with LocalHttp(address) as neighbour:
            assert get(allowing_server, [f"{neighbour.url}/json"])[0].get("status") == 200
        assert httpx.get(f"http://{address}:{allowing_server.port}/api/health", trust_env=False).status_code == 200  # m3m answers there
        assert_denied(allowing_server, [f"http://{address}:{allowing_server.port}/api/health"])


def test_a_redirect_from_an_allowed_host_to_a_denied_one_is_refused(allowing_server, allowed_site):
    targets = [f"http://127.0.0.1:{allowing_server.port}/api/health", f"http://0.0.0.0:{allowing_server.port}/api/health",
               f"http://[::ffff:127.0.0.1]:{allowing_server.port}/api/health", f"http://localhost:{database_port()}/",
               "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"]
    before = len(allowed_site.requests)
    assert_denied(allowing_server, [f"{allowed_site.url}/redirect?to={target}" for target in targets])
    assert len(allowed_site.requests) == before + len(targets)  # each first hop was made: the second was checked and refused
    download = allowing_server.http.post(allowing_server.service.bot("/download"), json={"url": f"{allowed_site.url}/redirect?to={targets[0]}"}).json()
    assert download["result"]["error"]["code"] == "denied" and download["saved"] is False


def test_m3m_itself_is_reached_only_when_allowed_on_purpose(mongo_uri, tmp_path_factory, server):
    """http.allow_m3m opens m3m's own port (a service calling another's /bot- routes through m3m);
    its database's port stays closed, it has a switch of its own."""
    srv = started(mongo_uri, tmp_path_factory.mktemp("http-m3m"), M3M_HTTP__ALLOWED='["127.0.0.0/8"]', M3M_HTTP__ALLOW_M3M="true")
    try:
        [health] = get(srv, [f"http://127.0.0.1:{srv.port}/api/health"])
        assert health.get("status") == 200, health
        assert_denied(srv, [f"http://127.0.0.1:{database_port()}/", f"http://0.0.0.0:{srv.port}/api/health"])
    finally:
        stopped(srv)
