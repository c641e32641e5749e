"""Grouped record inserts (builtin_plugins/datastore/inserts.py) on the test database: inserts
that come while one is on its way share one write, and each is still written or refused on its
own: its duplicate key, its bad document, its request gone. And over REST: concurrent creates
each get their own record, concurrent duplicates of a unique value exactly one."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson.errors import InvalidDocument
from conftest import MONGO_URI, TEST_DB, new_project
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import DuplicateKeyError

from builtin_plugins.datastore.inserts import Inserts


class InsertCommands(monitoring.CommandListener):
    """The insert commands the client sends, with how many documents each carried."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def started(self, event) -> None:
        if event.command_name == "insert":
            self.sizes.append(len(event.command["documents"]))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def run(scenario, name: str):
    """`scenario(insert, collection, sent)` on a fresh collection, `insert` of one Inserts;
    sent: the insert commands' sizes."""

    async def main():
        listener = InsertCommands()
        client = AsyncMongoClient(MONGO_URI, event_listeners=[listener])
        collection = client[TEST_DB][f"grouped_{name}"]
        await collection.drop()
        try:
            return await scenario(Inserts().insert, collection, listener.sizes)
        finally:
            await collection.drop()
            await client.close()

    return asyncio.run(main())


def test_concurrent_inserts_share_writes_and_all_land():
    async def scenario(insert, collection, sent):
        await asyncio.gather(*(insert(collection, {"_id": f"r{i}", "n": i}) for i in range(30)))
        assert sorted([doc["n"] async for doc in collection.find()]) == list(range(30))
        return sent

    sent = run(scenario, "all")
    assert sum(sent) == 30
    assert len(sent) < 30  # together, not one write each


def test_one_insert_alone_is_written_at_once():
    async def scenario(insert, collection, sent):
        await insert(collection, {"_id": "only"})
        assert await collection.count_documents({}) == 1
        return sent

    assert run(scenario, "alone") == [1]


def test_a_duplicate_key_fails_its_own_insert_only():
    async def scenario(insert, collection, sent):
        await collection.create_index("code", unique=True)
        await collection.insert_one({"_id": "first", "code": "taken"})
        results = await asyncio.gather(
            insert(collection, {"_id": "a", "code": "x"}),
            insert(collection, {"_id": "b", "code": "taken"}),  # the unique value again
            insert(collection, {"_id": "first", "code": "y"}),  # the id again
            insert(collection, {"_id": "c", "code": "z"}),
            return_exceptions=True,
        )
        assert results[0] is None and results[3] is None
        assert isinstance(results[1], DuplicateKeyError) and isinstance(results[2], DuplicateKeyError)
        assert results[1].code == 11000 and "code" in str(results[1])
        assert sorted([doc["_id"] async for doc in collection.find()]) == ["a", "c", "first"]
        return sent

    assert max(run(scenario, "dup")) > 1  # they did go in one write


def test_a_document_the_database_cannot_take_fails_alone():
    async def scenario(insert, collection, sent):
        results = await asyncio.gather(
            insert(collection, {"_id": "a"}),
            insert(collection, {"_id": "b"}),
            insert(collection, {"_id": "bad", "value": {1, 2}}),  # a set: no BSON for it
            insert(collection, {"_id": "c"}),
            return_exceptions=True,
        )
        assert [type(result) for result in results] == [type(None), type(None), InvalidDocument, type(None)]
        assert sorted([doc["_id"] async for doc in collection.find()]) == ["a", "b", "c"]

    run(scenario, "bad")


def test_a_request_gone_while_waiting_leaves_the_others_written():
    async def scenario(insert, collection, sent):
        first = asyncio.ensure_future(insert(collection, {"_id": "first"}))
        await asyncio.sleep(0)  # the first is on its way: the next wait behind it
        waiting = [asyncio.ensure_future(insert(collection, {"_id": f"w{i}"})) for i in range(3)]
        await asyncio.sleep(0)
        waiting[1].cancel()
        await asyncio.gather(first, waiting[0], waiting[2])
        assert waiting[1].cancelled()
        ids = sorted([doc["_id"] async for doc in collection.find()])
        assert {"first", "w0", "w2"} <= set(ids)  # the cancelled one may be written or not
        await insert(collection, {"_id": "later"})  # and the group still writes
        assert await collection.count_documents({"_id": "later"}) == 1

    run(scenario, "gone")


@pytest.fixture
def records(client, owner):
    project = new_project(client, owner["headers"], "grp")
    base = f"/api/projects/{project['id']}/models"
    made = client.post(base, json={"name": "Codes", "slug": "codes", "fields": [
        {"key": "code", "type": "string", "options": {"unique": True}}, {"key": "n", "type": "number"}]}, headers=owner["headers"])
    assert made.status_code == 201, made.text
    return lambda record: client.post(f"{base}/codes/records", json=record, headers=owner["headers"])


def test_concurrent_creates_each_get_their_own_record(records):
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: records({"code": f"c{i}", "n": i}), range(32)))
    assert [answer.status_code for answer in answers] == [201] * 32
    assert [answer.json()["n"] for answer in answers] == list(range(32))
    assert len({answer.json()["id"] for answer in answers}) == 32


def test_concurrent_creates_of_one_unique_value_store_it_once(records):
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda i: records({"code": "same", "n": i}), range(12)))
    assert sorted(answer.status_code for answer in answers) == [201] + [422] * 11
    refused = [answer.json()["error"] for answer in answers if answer.status_code == 422]
    assert all(error["fields"]["code"]["code"] == "validation_not_unique" for error in refused)
