"""Record inserts into one collection that arrive while an insert is on its way go to the
database together, as one `insert_many(ordered=False)` (a group commit): each record is still
written or refused on its own (its own duplicate key, its own error), and nobody waits for a
timer: the first insert goes at once, the ones that come meanwhile follow it in one write. Under
concurrent writes a record costs the server and the database about a third less
(docs/performance.md "Grouped inserts"); one writer alone sees no difference."""

from __future__ import annotations

import asyncio

from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError, WriteConcernError, WriteError

MAX_GROUP = 500  # records per write: a burst is written in parts, each answered when it lands


class Inserts:
    """The insert groups of one database handle, one per collection (the server's and each
    worker's `Models` keep one; a `Records` made on its own gets its own)."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}

    async def insert(self, collection, doc: dict) -> None:
        """Insert `doc` as `collection.insert_one` would: DuplicateKeyError / WriteError for it alone."""
        group = self.groups.get(collection.name)
        if group is None:
            group = self.groups[collection.name] = Group(collection)
        await group.insert(doc)


class Group:
    def __init__(self, collection) -> None:
        self.collection = collection
        self.waiting: list[tuple[dict, asyncio.Future]] = []
        self.writer: asyncio.Task | None = None

    async def insert(self, doc: dict) -> None:
        answer = asyncio.get_running_loop().create_future()
        self.waiting.append((doc, answer))
        if self.writer is None:
            self.writer = asyncio.ensure_future(self._write())
        await answer

    async def _write(self) -> None:
        group: list = []
        try:
            while self.waiting:
                group, self.waiting = self.waiting[:MAX_GROUP], self.waiting[MAX_GROUP:]
                await self._write_group(group)
        finally:
            self.writer = None
            for _, answer in group + self.waiting:  # unanswered only when this task is cancelled
                if not answer.done():
                    answer.cancel()
            self.waiting = []

    async def _write_group(self, group: list[tuple[dict, asyncio.Future]]) -> None:
        if len(group) == 1:
            await self._write_one(*group[0])
            return
        try:
            await self.collection.insert_many([doc for doc, _ in group], ordered=False)
        except BulkWriteError as exc:
            refused = {error["index"]: error for error in exc.details.get("writeErrors", ())}
            concern = exc.details.get("writeConcernErrors") or []  # written, not as safely as asked
            unsure = WriteConcernError(concern[0].get("errmsg", ""), concern[0].get("code"), concern[0]) if concern else None
            for index, (_, answer) in enumerate(group):
                error = refused.get(index)
                settle(answer, unsure if error is None else as_write_error(error))
            return
        except ConnectionFailure as exc:  # the database is away: each fails as its insert_one would
            for _, answer in group:
                settle(answer, exc)
            return
        except Exception:  # e.g. one document too large for the database: each on its own
            for doc, answer in group:
                await self._write_one(doc, answer)
            return
        for _, answer in group:
            settle(answer, None)

    async def _write_one(self, doc: dict, answer: asyncio.Future) -> None:
        try:
            await self.collection.insert_one(doc)
        except Exception as exc:
            settle(answer, exc)
        else:
            settle(answer, None)


def as_write_error(error: dict) -> WriteError:
    """One document's error in a bulk write, as insert_one would have raised it."""
    kind = DuplicateKeyError if error.get("code") in (11000, 11001, 12582) else WriteError
    return kind(error.get("errmsg", ""), error.get("code"), error)


def settle(answer: asyncio.Future, error: BaseException | None) -> None:
    if answer.done():  # its request went away (cancelled): the write stands, nobody to tell
        return
    if error is None:
        answer.set_result(None)
    else:
        answer.set_exception(error)
