"""Anyone can lock root out (issue [13] finding 10). The attacker is anonymous: it sends wrong
passwords for root's email from its own address (or from many). It must be slowed and then
refused itself, and never make the right password fail from another address; and a backup taken
while it is at it must not carry its refusals into the restored instance.

The server trusts 127.0.0.1 as its proxy, so each request's X-Forwarded-For is its client address
(kernel/proxies.py); the lockout is long (10 min), so nothing here waits for it to end."""

from __future__ import annotations

import tarfile

import pytest

from auth_support import assert_error
from conftest import ROOT_EMAIL, ROOT_PASSWORD
from ops_support import Instance

LIMITS = dict(
    M3M_SERVER__TRUSTED_PROXIES='["127.0.0.1"]',
    M3M_AUTH__LOGIN_SLOW_AFTER="2",
    M3M_AUTH__LOGIN_DELAY="10ms",
    M3M_AUTH__LOGIN_MAX_DELAY="20ms",
    M3M_AUTH__LOGIN_MAX_FAILURES="4",
    M3M_AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS="12",
    M3M_AUTH__LOGIN_WINDOW="10m",
    M3M_AUTH__LOGIN_LOCKOUT="10m",
)
ATTACKER = "203.0.113.66"


@pytest.fixture(scope="module")
def guarded(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("lockout"), "lockout", **LIMITS).start()
    yield instance
    instance.close()


def sign_in(instance: Instance, email: str, password: str, address: str):
    return instance.client.post("/api/auth/login", json={"email": email, "password": password},
                                headers={"X-Forwarded-For": address})


def members(archive) -> list[str]:
    with tarfile.open(archive) as tar:
        return tar.getnames()


def failures(instance: Instance) -> dict[str, dict]:
    with instance.mongo() as mongo:
        return {doc["_id"]: doc for doc in mongo[instance.database]["login_failures"].find()}


def test_an_attacker_failing_for_root_is_refused_but_root_signs_in_from_elsewhere(guarded):
    answers = [sign_in(guarded, ROOT_EMAIL, "Wrong-pass-1", ATTACKER) for _ in range(30)]
    assert [r.status_code for r in answers[:4]] == [401] * 4
    assert {r.status_code for r in answers[4:]} == {429}  # refused after its 4th failure
    # The attacker's address is refused for root, its right password included...
    refused = sign_in(guarded, ROOT_EMAIL, ROOT_PASSWORD, ATTACKER)
    assert "this account from this address" in assert_error(refused, 429, "too_many_attempts")["message"]
    assert int(refused.headers["Retry-After"]) > 60
    # ...and root, from any other address, signs in at once.
    for address in ("198.51.100.7", "2001:db8::7"):
        assert sign_in(guarded, ROOT_EMAIL, ROOT_PASSWORD, address).status_code == 200, address
    assert guarded.client.post("/api/auth/login", json={"email": ROOT_EMAIL, "password": ROOT_PASSWORD}).status_code == 200


def test_an_address_failing_across_accounts_is_refused_for_every_account(guarded):
    address = "203.0.113.77"
    for index in range(12):
        assert sign_in(guarded, f"nobody-{index}@m3m.test", "Wrong-pass-1", address).status_code == 401
    refused = sign_in(guarded, ROOT_EMAIL, ROOT_PASSWORD, address)
    assert "this address" in assert_error(refused, 429, "too_many_attempts")["message"]
    assert sign_in(guarded, ROOT_EMAIL, ROOT_PASSWORD, "198.51.100.8").status_code == 200


def test_a_guesser_spread_over_many_addresses_is_only_slowed(guarded):
    """Each of 20 addresses stays under its own limits: every guess is a 401 (answered later and
    later, up to auth.login_max_delay), none refuses root's password, and the account-wide count,
    which only sets the delay, never refuses anyone."""
    email = "spread@m3m.test"
    made = guarded.client.post("/api/users", json={"email": email, "password": "Spread-pass-1", "name": "S"}, headers=guarded.headers)
    assert made.status_code == 201, made.text
    for index in range(20):
        for _ in range(3):
            assert sign_in(guarded, email, "Wrong-pass-1", f"198.51.100.{100 + index}").status_code == 401
    account = failures(guarded)[f"account:{email}"]
    assert account["failures"] == 60 and "lockedUntil" not in account
    assert sign_in(guarded, email, "Spread-pass-1", "198.51.100.99").status_code == 200
    assert f"account:{email}" not in failures(guarded)  # a success forgives the account's count


def test_a_backup_taken_during_the_attack_restores_with_no_refusal(guarded, mongo_uri, tmp_path):
    for _ in range(6):
        sign_in(guarded, ROOT_EMAIL, "Wrong-pass-1", ATTACKER)
    assert failures(guarded)[f"pair:{ROOT_EMAIL}|{ATTACKER}"].get("lockedUntil")
    made = guarded.client.post("/api/backups", headers=guarded.headers, timeout=120)
    assert made.status_code == 201, made.text
    download = guarded.client.get(f"/api/backups/{made.json()['name']}", headers=guarded.headers, timeout=120)
    assert download.status_code == 200
    archive = tmp_path / "during-attack.tar.gz"
    archive.write_bytes(download.content)
    # A backup made by an older m3m held the counts; one made here in-process the old way stands for it.
    from builtin_plugins.backup.archive import make_backup

    older = tmp_path / "older.tar.gz"
    make_backup(mongo_uri, guarded.database, guarded.storage, older, ["db", "backups", ".backup-*", ".server-*"])

    assert "db/login_failures.bson" not in members(archive) and "db/login_failures.bson" in members(older)

    for name, path in (("lockout_restored", archive), ("lockout_older", older)):
        (tmp_path / name).mkdir()
        target = Instance(mongo_uri, tmp_path / name, name, root=False, **LIMITS)
        try:
            restored = target.m3m("restore", str(path))
            assert restored.returncode == 0, restored.stderr
            assert failures(target) == {}, name
            target.start(sign_in=False)
            assert sign_in(target, ROOT_EMAIL, ROOT_PASSWORD, ATTACKER).status_code == 200, name
        finally:
            target.close()
    assert sign_in(guarded, ROOT_EMAIL, ROOT_PASSWORD, ATTACKER).status_code == 429  # the source still refuses it
