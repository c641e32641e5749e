"""One request must not take the server's memory and event loop (the data store's `expand`).

The attacker holds a project's API key (or is a member, or is the project's service): it stores
a few records of a model that refers to itself, each referring to all the others, and asks for
a page of them expanded through that ref. The answer holds every expanded record at every place
it is linked: N records, two levels, N^3 copies. Before, the server built it whole: 100 records
made it allocate 3 GB and stop answering everyone for 20 s, then fail; three levels would be a
hundred times that (so the test keeps N small: unbounded, its answers are some 25 MB). Now the expanded records of one answer are charged
where they appear and bounded by datastore.max_expand_size: past it a 400 `invalid_expand`,
before anything big is built, and every other client is answered meanwhile."""

from __future__ import annotations

import pytest

from auth_support import assert_error
from conftest import new_project
from ops_support import Instance
from runtime_support import Deployed

RECORDS = 30  # so that even unbounded (before the fix) an answer here is some 25 MB, not the machine's memory
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def mesh(mongo_uri, tmp_path_factory):
    """An instance with a 1 MB expand bound, and a project whose model `n` has RECORDS records
    each referring to every one of them (with a key: the caller is the project's API key)."""
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("expand"), "expand",
                        M3M_DATASTORE__MAX_EXPAND_SIZE=str(LIMIT)).start()
    project = new_project(instance.client, instance.headers, "mesh")
    key = instance.client.post(f"/api/projects/{project['id']}/api-key", headers=instance.headers).json()["apiKey"]
    headers = {"X-API-Key": key}
    base = f"/api/projects/{project['id']}/models"
    made = instance.client.post(base, json={"name": "Node", "slug": "n", "fields": [
        {"key": "r", "type": "ref", "options": {"model": "n", "maxSelect": 1000}}]}, headers=headers)
    assert made.status_code == 201, made.text
    created = instance.client.post(f"{base}/n/records/batch", headers=headers,
                                   json={"requests": [{"action": "create", "data": {}} for _ in range(RECORDS)]})
    assert created.status_code == 200, created.text
    ids = [record["id"] for record in created.json()["results"]]
    linked = instance.client.post(f"{base}/n/records/batch", headers=headers,
                                  json={"requests": [{"action": "update", "id": rid, "data": {"r": ids}} for rid in ids]})
    assert linked.status_code == 200, linked.text
    yield instance, project, headers, ids
    instance.stop()


def test_an_expansion_past_the_bound_is_refused(mesh):
    instance, project, headers, _ = mesh
    # A page of N records, two levels: N^3 expanded records (27,000 copies of 30, some 25 MB).
    url = f"/api/projects/{project['id']}/models/n/records?perPage={RECORDS}&expand=r.r"
    refused = instance.client.get(url, headers=headers, timeout=120)
    assert refused.status_code == 400, f"{refused.status_code}: {len(refused.content)} bytes"  # (not the 25 MB answer in the report)
    error = assert_error(refused, 400, "invalid_expand")
    assert "datastore.max_expand_size" in error["message"]
    assert error["fields"] == {"expand": f"more than {LIMIT} bytes of expanded records"}
    # One record's own expansion, three levels: N^3 again.
    one = instance.client.get(f"/api/projects/{project['id']}/models/n/records/{mesh[3][0]}?expand=r.r.r", headers=headers)
    assert one.status_code == 400, f"{one.status_code}: {len(one.content)} bytes"
    assert_error(one, 400, "invalid_expand")
    assert instance.client.get("/api/health").status_code == 200


def test_an_expansion_within_the_bound_is_answered(mesh):
    """One level on 10 records: 300 expanded records of about 1 KB, under the bound (the 400 is
    no blanket refusal)."""
    instance, project, headers, ids = mesh
    answer = instance.client.get(f"/api/projects/{project['id']}/models/n/records?perPage=10&expand=r", headers=headers)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [len(item["expand"]["r"]) for item in items] == [RECORDS] * 10
    assert {record["id"] for record in items[0]["expand"]["r"]} == set(ids)


def test_a_service_expanding_past_the_bound_is_refused_too(mesh):
    """`$database.n.find` goes through the same records code in the worker: the same bound."""
    instance, project, _, _ = mesh
    service = Deployed(instance.client, instance.headers, project)
    service.deploy("""
        $router.get('/deep', async () => {
          try {
            await $database.n.find('', {}, { perPage: 30, expand: 'r.r' });
            return { refused: false };
          } catch (error) {
            return { refused: true, status: error.status, code: error.code };
          }
        });
    """)
    answer = instance.client.get(service.bot("/deep"), timeout=120)
    assert answer.json() == {"refused": True, "status": 400, "code": "invalid_expand"}
    service.stop()
