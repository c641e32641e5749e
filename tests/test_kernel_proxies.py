"""Behind a reverse proxy (setting server.trusted_proxies, kernel/proxies.py): the client's
address comes from X-Forwarded-For only when the request came from a trusted proxy; anyone else
sending the header keeps their own address. A server of its own, trusting 127.0.0.1."""

from __future__ import annotations

import pytest

from kernel.proxies import client_of, networks
from conftest import run_m3m
from ops_support import Instance

TRUSTED = networks(["127.0.0.1", "10.0.0.0/8"])


def test_only_a_trusted_peer_is_believed_and_the_client_is_the_right_most_untrusted_hop():
    assert client_of("198.51.100.4", ["203.0.113.7"], TRUSTED) == "198.51.100.4"  # not a proxy of ours
    assert client_of("127.0.0.1", ["203.0.113.7"], TRUSTED) == "203.0.113.7"
    # What the client claimed (left) is ignored; proxies of ours (right) are skipped.
    assert client_of("127.0.0.1", ["1.2.3.4, 203.0.113.7, 10.1.2.3"], TRUSTED) == "203.0.113.7"
    assert client_of("127.0.0.1", ["1.2.3.4", "203.0.113.7"], TRUSTED) == "203.0.113.7"  # two headers
    assert client_of("127.0.0.1", ["not-an-address"], TRUSTED) == "127.0.0.1"
    assert client_of("127.0.0.1", [" 2001:db8::1 "], TRUSTED) == "2001:db8::1"
    assert client_of("127.0.0.1", ["10.0.0.5"], TRUSTED) == "10.0.0.5"  # only proxies: the nearest hop


def test_a_bad_entry_is_named():
    with pytest.raises(ValueError, match="'10.0.0.300' is not an IP address"):
        networks(["10.0.0.300"])


@pytest.fixture(scope="module")
def proxied(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("proxied"), "proxied", M3M_SERVER__TRUSTED_PROXIES='["127.0.0.1"]').start()
    yield instance
    instance.close()


def test_the_audit_log_and_services_see_the_forwarded_address(proxied):
    client, headers = proxied.client, proxied.headers
    slug = "proxied"
    made = client.post("/api/projects", json={"name": "Proxied", "slug": slug}, headers={**headers, "X-Forwarded-For": "203.0.113.7"})
    assert made.status_code == 201, made.text
    entries = client.get("/api/audit", params={"perPage": 20}, headers=headers).json()["items"]
    assert [entry["ip"] for entry in entries if entry["target"] == made.json()["id"]] == ["203.0.113.7"]

    api = f"/api/projects/{made.json()['id']}"
    code = "$router.get('/ip', (ctx) => ({ ip: ctx.ip }))\n"
    assert client.put(f"{api}/pipeline/branches/develop", json={"code": code}, headers=headers).status_code in (200, 201)
    assert client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor"}, headers=headers).status_code == 201
    try:
        assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=headers, timeout=120).status_code == 200
        answer = client.get(f"/bot-{slug}/ip", headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.8"})
        assert answer.json() == {"ip": "203.0.113.8"}
        assert client.get(f"/bot-{slug}/ip").json() == {"ip": "127.0.0.1"}
    finally:
        client.post(f"{api}/runtime/stop", headers=headers, timeout=60)


def test_a_typo_in_the_setting_stops_start_up(proxied):
    result = run_m3m("settings", env={**proxied.env, "M3M_SERVER__TRUSTED_PROXIES": '["10.0.0.300"]'}, cwd=proxied.workdir)
    assert result.returncode != 0
    assert "'10.0.0.300' is not an IP address or network" in result.stderr + result.stdout
