"""The duplex channel between the supervisor and a worker: length-prefixed JSON messages.

A request carries an `id`; its answer carries `re` with the same number, so many requests are
in flight at once. Messages without an id are events (log lines, heartbeats).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import struct
from collections.abc import Awaitable, Callable

_HEADER = struct.Struct(">I")
MAX_MESSAGE = 64 * 1024 * 1024


class ChannelClosed(Exception):
    """The other side went away (the worker exited, or the supervisor closed the channel)."""


class RemoteError(Exception):
    """The other side answered a request with an error: message and, for JS, its stack."""

    def __init__(self, message: str, stack: str | None = None) -> None:
        super().__init__(message)
        self.stack = stack


Handler = Callable[[dict], Awaitable[dict | None]]


class Channel:
    """One end of the channel. `on_request` answers requests; `on_event` takes events."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.pending: dict[int, asyncio.Future] = {}
        self.ids = itertools.count(1)
        self.on_request: Handler | None = None
        self.on_event: Callable[[dict], None] | None = None
        self.closed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    async def open(cls, sock: socket.socket) -> "Channel":
        reader, writer = await asyncio.open_connection(sock=sock, limit=MAX_MESSAGE)
        return cls(reader, writer)

    def send(self, message: dict) -> None:
        if self.closed.is_set():
            raise ChannelClosed("the channel is closed")
        data = json.dumps(message, separators=(",", ":"), default=str).encode()
        self.writer.write(_HEADER.pack(len(data)) + data)

    async def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send a request and wait for its answer (RemoteError if it failed)."""
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        try:
            self.send({**message, "id": request_id})
            answer = await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(request_id, None)
        if not answer.get("ok"):
            raise RemoteError(answer.get("error", "failed"), answer.get("stack"))
        return answer

    async def serve(self) -> None:
        """Read messages until the other side closes; then fail whatever still waits."""
        try:
            while True:
                header = await self.reader.readexactly(_HEADER.size)
                (size,) = _HEADER.unpack(header)
                message = json.loads(await self.reader.readexactly(size))
                self._dispatch(message)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.closed.set()
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ChannelClosed("the other side closed the channel"))

    def _dispatch(self, message: dict) -> None:
        if "re" in message:
            future = self.pending.get(message["re"])
            if future and not future.done():
                future.set_result(message)
        elif "id" in message and self.on_request:
            task = asyncio.create_task(self._answer(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif self.on_event:
            self.on_event(message)

    async def _answer(self, message: dict) -> None:
        try:
            answer = await self.on_request(message) or {}
            answer = {"ok": True, **answer}
        except RemoteError as exc:
            answer = {"ok": False, "error": str(exc), "stack": exc.stack}
        except Exception as exc:  # the answer says what failed; the channel stays up
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            self.send({**answer, "re": message["id"]})
        except ChannelClosed:
            pass

    async def drain(self) -> None:
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass

    def close(self) -> None:
        self.closed.set()
        try:
            self.writer.close()
        except (ConnectionError, OSError, RuntimeError):
            pass
