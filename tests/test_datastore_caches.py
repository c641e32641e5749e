"""The short-lived caches a record request reads through (kernel/cache.py; docs/datastore.md
"What the caches assume"): a change made through the server counts at the very next request, a
change made behind its back within the TTL, and a read begun before a change never stores the
old state."""

from __future__ import annotations

import asyncio
import time

import pytest
from bson import ObjectId
from conftest import new_project

from kernel.cache import TTL, ShortCache


@pytest.fixture
def world(client, owner):
    project = new_project(client, owner["headers"], "cache")
    base = f"/api/projects/{project['id']}/models"
    made = client.post(base, json={"name": "Things", "slug": "things", "fields": [{"key": "a", "type": "string"}]}, headers=owner["headers"])
    assert made.status_code == 201, made.text
    return project, base


def insert(client, base, headers, record):
    return client.post(f"{base}/things/records", json=record, headers=headers)


def test_a_model_change_counts_at_the_next_insert(client, owner, world):
    _, base = world
    headers = owner["headers"]
    assert insert(client, base, headers, {"a": "x"}).status_code == 201  # the models are cached now
    added = client.patch(f"{base}/things", json={"fields": [{"key": "a", "type": "string"}, {"key": "b", "type": "number"}]}, headers=headers)
    assert added.status_code == 200, added.text
    with_b = insert(client, base, headers, {"a": "y", "b": 2})
    assert with_b.status_code == 201, with_b.text
    assert with_b.json()["b"] == 2
    dropped = client.patch(f"{base}/things", json={"fields": [{"key": "b", "type": "number"}]}, headers=headers)
    assert dropped.status_code == 200, dropped.text
    refused = insert(client, base, headers, {"a": "z"})
    assert refused.status_code == 422 and refused.json()["error"]["fields"]["a"]["code"] == "validation_unknown_field"
    assert client.delete(f"{base}/things", headers=headers).status_code == 204
    assert insert(client, base, headers, {"b": 1}).status_code == 404


def test_a_blocked_member_a_removed_member_and_an_old_key_are_refused_at_once(client, root_headers, users, owner, world):
    project, base = world
    member = users.make()
    members = f"/api/projects/{project['id']}/members"
    assert client.put(members, json={"members": [owner["id"], member["id"]]}, headers=owner["headers"]).status_code == 200
    assert insert(client, base, member["headers"], {"a": "m"}).status_code == 201  # user and project cached
    assert client.put(members, json={"members": [owner["id"]]}, headers=owner["headers"]).status_code == 200
    assert insert(client, base, member["headers"], {"a": "m"}).status_code == 404
    assert client.put(members, json={"members": [owner["id"], member["id"]]}, headers=owner["headers"]).status_code == 200
    assert insert(client, base, member["headers"], {"a": "m"}).status_code == 201
    assert client.post(f"/api/users/{member['id']}/block", headers=root_headers).status_code == 200
    blocked = insert(client, base, member["headers"], {"a": "m"})
    assert blocked.status_code == 401 and blocked.json()["error"]["code"] == "user_blocked"

    key_url = f"/api/projects/{project['id']}/api-key"
    old = client.post(key_url, headers=owner["headers"]).json()["apiKey"]
    assert insert(client, base, {"X-API-Key": old}, {"a": "k"}).status_code == 201
    new = client.post(key_url, headers=owner["headers"]).json()["apiKey"]
    gone = insert(client, base, {"X-API-Key": old}, {"a": "k"})
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "invalid_api_key"
    assert insert(client, base, {"X-API-Key": new}, {"a": "k"}).status_code == 201


def refused_within(check, limit: float) -> float:
    """Seconds until `check()` is true, failing past `limit`."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < limit, f"still let through after {limit} s"
        time.sleep(0.05)
    return time.monotonic() - began


def test_a_change_behind_the_server_s_back_counts_within_the_ttl(client, users, owner, world, mongo):
    """As another process would (a second server, a restore): written in the database directly."""
    project, base = world
    member = users.make()
    members = f"/api/projects/{project['id']}/members"
    assert client.put(members, json={"members": [owner["id"], member["id"]]}, headers=owner["headers"]).status_code == 200
    assert insert(client, base, member["headers"], {"a": "m"}).status_code == 201
    doc = mongo["users"].find_one({"_id": ObjectId(member["id"])})
    mongo["users"].replace_one({"_id": doc["_id"]}, {**doc, "blocked": True})
    took = refused_within(lambda: insert(client, base, member["headers"], {"a": "m"}).status_code == 401, TTL + 2)
    assert took <= TTL + 1
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    assert insert(client, base, {"X-API-Key": key}, {"a": "k"}).status_code == 201
    doc = mongo["projects"].find_one({"_id": ObjectId(project["id"])})
    mongo["projects"].replace_one({"_id": doc["_id"]}, {k: v for k, v in doc.items() if k != "apiKeyHash"})
    took = refused_within(lambda: insert(client, base, {"X-API-Key": key}, {"a": "k"}).status_code == 401, TTL + 2)
    assert took <= TTL + 1


def test_a_read_begun_before_a_clear_stores_nothing():
    async def scenario():
        cache, gate, reads = ShortCache(), asyncio.Event(), []

        async def load():
            reads.append(1)
            await gate.wait()  # the write and its clear() happen while this read is under way
            return f"state {len(reads)}"

        slow = asyncio.create_task(cache.get("k", load))
        await asyncio.sleep(0)
        cache.clear()
        gate.set()
        assert await slow == "state 1"  # the caller gets what it read...
        assert await cache.get("k", load) == "state 2"  # ...but the next one reads again
        assert await cache.get("k", load) == "state 2"  # and that one is kept
        assert len(reads) == 2

        async def nothing():
            reads.append(1)
            return None

        assert await cache.get("missing", nothing) is None and await cache.get("missing", nothing) is None
        assert len(reads) == 4  # a miss is never stored
        short = ShortCache(ttl=0.05)
        assert await short.get("k", load) == "state 5"
        await asyncio.sleep(0.1)
        assert await short.get("k", load) == "state 6"  # past the TTL it reads again

    asyncio.run(scenario())
