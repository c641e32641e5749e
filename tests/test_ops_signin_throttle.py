"""Sign-in brute force (docs/operations.md "Limits"): failures of an account from an address and
from an address are answered more slowly, then refuse that address with a 429 and Retry-After for
a while; a success resets the account's count. Every request here comes from one address
(127.0.0.1); tests/security/test_signin_lockout.py plays an attacker from another one. A server
of its own with small limits."""

from __future__ import annotations

import time

import pytest

from auth_support import assert_error, create_user, login, new_email
from ops_support import Instance
from runtime_support import wait_until

LIMITS = dict(
    M3M_AUTH__LOGIN_SLOW_AFTER="2",
    M3M_AUTH__LOGIN_DELAY="300ms",
    M3M_AUTH__LOGIN_MAX_DELAY="600ms",
    M3M_AUTH__LOGIN_MAX_FAILURES="4",
    M3M_AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS="12",
    M3M_AUTH__LOGIN_WINDOW="60s",
    M3M_AUTH__LOGIN_LOCKOUT="3s",
)


@pytest.fixture(scope="module")
def guarded(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("throttle"), "throttle", **LIMITS).start()
    yield instance
    instance.close()


def timed_login(client, email, password):
    started = time.monotonic()
    response = login(client, email, password)
    return response, time.monotonic() - started


def test_failures_are_slowed_then_refused_with_retry_after(guarded):
    user = create_user(guarded.client, guarded.headers)
    quick = [timed_login(guarded.client, user["email"], "Wrong-pass-1") for _ in range(2)]
    for response, _ in quick:
        assert_error(response, 401, "invalid_credentials")
    third, slow = timed_login(guarded.client, user["email"], "Wrong-pass-1")
    assert_error(third, 401, "invalid_credentials")
    assert slow >= 0.3, slow  # past login_slow_after, a failure waits login_delay
    fourth, slower = timed_login(guarded.client, user["email"], "Wrong-pass-1")
    assert_error(fourth, 401)
    assert slower >= 0.6, slower  # doubled, up to login_max_delay

    # The fourth failure reached login_max_failures: from this address the right password is
    # refused too, for a while (a refused attempt is not counted: asking again is harmless).
    locked = login(guarded.client, user["email"], "User-pass-1")
    error = assert_error(locked, 429, "too_many_attempts")
    assert "this account from this address" in error["message"] and "try again" in error["message"]
    assert 1 <= int(locked.headers["Retry-After"]) <= 3
    wait_until(lambda: login(guarded.client, user["email"], "User-pass-1").status_code == 200, 10, "the lockout to end")


def test_a_success_resets_the_account_count(guarded):
    user = create_user(guarded.client, guarded.headers)
    for _ in range(3):
        assert_error(login(guarded.client, user["email"], "Wrong-pass-1"), 401)
    assert login(guarded.client, user["email"], "User-pass-1").status_code == 200
    for _ in range(3):  # three more after the reset: still under the limit of four
        assert_error(login(guarded.client, user["email"], "Wrong-pass-1"), 401)
    assert login(guarded.client, user["email"], "User-pass-1").status_code == 200


def test_unknown_emails_count_too_and_the_address_is_refused_past_its_limit(guarded, mongo_uri):
    # Many accounts, each under its own limit, from one address: the address limit ends it.
    with guarded.mongo() as mongo:
        mongo[guarded.database]["login_failures"].delete_many({"_id": {"$regex": "^address:"}})
    for _ in range(12):
        response = login(guarded.client, new_email(), "Wrong-pass-1")
        assert response.status_code == 401, response.text
    refused = login(guarded.client, new_email(), "Wrong-pass-1")
    assert_error(refused, 429, "too_many_attempts")
    assert "this address" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    # Nothing stored names a password; the counts are keyed by email and address only.
    with guarded.mongo() as mongo:
        docs = list(mongo[guarded.database]["login_failures"].find())
    assert docs and all(set(doc) <= {"_id", "failures", "first", "lockedUntil"} for doc in docs)
    assert "Wrong-pass-1" not in str(docs)
    wait_until(lambda: login(guarded.client, new_email(), "Wrong-pass-1").status_code == 401, 10, "the lockout to end")


def test_the_limits_are_settings_checked_at_start(guarded):
    result = guarded.m3m("settings")
    assert "login_max_failures = 4" in result.stdout, result.stdout
    bad = {**guarded.env, "M3M_AUTH__LOGIN_MAX_FAILURES": "0"}
    from conftest import run_m3m

    checked = run_m3m("settings", env=bad, cwd=guarded.workdir)
    assert checked.returncode == 1 and "auth.login_max_failures" in checked.stderr, checked.stderr
