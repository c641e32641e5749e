"""A field's pattern cannot make one write hold the server for long (the data store's patterns).

The attacker holds a project's API key (or is a member): a string field's `pattern` is the
project's choice, and one like `(a|aa)+$` takes the whole per-value timeout (50 ms) on a crafted
value. A batch of 100 records of 100 such fields was 10,000 timeouts, 500 s of the server's event
loop in which it answered no one (measured: 20 records of 5 fields, 5.3 s); an import of 10,000
rows, hours. Every write is all or nothing, so once one value has timed out the write is refused
anyway: now no other value's pattern is run in that write. The number of timeouts is what the
answer says (each timed-out value is named as such), so nothing here measures time."""

from __future__ import annotations

import pytest

from auth_support import assert_error
from conftest import new_project

SLOW = "(a|aa)+$"
EVIL = "a" * 40 + "!"
FIELDS = 5


@pytest.fixture(scope="module")
def slow_model(client, owner):
    project = new_project(client, owner["headers"], "redos")
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    headers = {"X-API-Key": key}
    base = f"/api/projects/{project['id']}/models"
    made = client.post(base, headers=headers, json={"name": "Slow", "slug": "slow", "fields": [
        {"key": f"f{index}", "type": "string", "options": {"pattern": SLOW}} for index in range(FIELDS)]})
    assert made.status_code == 201, made.text
    return f"{base}/slow", headers


def timed_out(fields: dict) -> list[str]:
    return [key for key, problem in fields.items() if problem["message"] == "the field's pattern took too long on this value"]


def test_a_batch_of_crafted_values_runs_one_slow_pattern_at_most(client, slow_model):
    url, headers = slow_model
    answer = client.post(f"{url}/records/batch", headers=headers, timeout=600, json={"requests": [
        {"action": "create", "data": {f"f{index}": EVIL for index in range(FIELDS)}} for _ in range(20)]})
    error = assert_error(answer, 422, "validation_failed")
    assert len(timed_out(error["fields"])) == 1, timed_out(error["fields"])  # was 100: 5 s of the loop
    assert all(problem["code"] == "validation_invalid_format" for problem in error["fields"].values())
    assert len(error["fields"]) == 20 * FIELDS  # every value is still named: the write is refused whole


def test_an_import_and_a_single_record_run_one_slow_pattern_at_most(client, slow_model):
    url, headers = slow_model
    rows = [{f"f{index}": EVIL for index in range(FIELDS)} for _ in range(200)]
    error = assert_error(client.post(f"{url}/records/import", json=rows, headers=headers, timeout=600), 422)
    assert len(timed_out(error["fields"])) == 1
    one = assert_error(client.post(f"{url}/records", json=rows[0], headers=headers), 422)
    assert len(timed_out(one["fields"])) == 1


def test_fitting_values_are_still_checked_by_the_pattern(client, slow_model):
    url, headers = slow_model
    made = client.post(f"{url}/records", json={"f0": "aaaa"}, headers=headers)
    assert made.status_code == 201, made.text
    refused = assert_error(client.post(f"{url}/records", json={"f0": "ab"}, headers=headers), 422)
    assert refused["fields"]["f0"]["message"] == f"must match {SLOW}"
