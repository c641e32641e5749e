"""The duplex channel between the supervisor and a worker: frames of a JSON head and raw bytes.

A frame is `[head length: 4 bytes][body length: 4 bytes][head][body]` (big-endian lengths). The
head is a small JSON object; the body is bytes that never go through JSON (a route's request and
response bodies), so each body is copied across once, as it is, and never escaped or re-encoded.
Most frames have no body.

A request's head carries an `id`; its answer's head carries `re` with the same number, so many
requests are in flight at once. An answer that failed has `error` (and `stack`) in its head; any
other answer succeeded. Frames without `id` or `re` are events (log lines, heartbeats).
docs/runtime/process.md, "The channel", has the messages.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import struct
from collections.abc import Awaitable, Callable

import orjson

_PREFIX = struct.Struct(">II")  # head length, body length
MAX_MESSAGE = 64 * 1024 * 1024
NO_BODY = b""


class ChannelClosed(Exception):
    """The other side went away (the worker exited, or the supervisor closed the channel)."""


class RemoteError(Exception):
    """The other side answered a request with an error: message and, for JS, its stack."""

    def __init__(self, message: str, stack: str | None = None) -> None:
        super().__init__(message)
        self.stack = stack


# orjson, not json: ~13 CPU-us less per route call, ~5 % of its CPU (docs/performance.md).
# Datetimes and other values JSON has no type for go as str(), as json's default=str did.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def to_json(value) -> bytes:
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS)
    except TypeError:
        # Text from JS may hold a lone surrogate (a log line, a header, an error message), which
        # orjson refuses and json escapes as \udXXX: such a message must still go.
        return json.dumps(value, separators=(",", ":"), default=str).encode()


def from_json(data: bytes | str):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # the escaped lone surrogate above, which orjson refuses
        return json.loads(data)


encode_head, decode_head = to_json, from_json

# A request's head and body in; its answer's head and body out.
Handler = Callable[[dict, bytes], Awaitable[tuple[dict, bytes]]]


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

    def send(self, head: dict, body: bytes = NO_BODY) -> None:
        if self.closed.is_set():
            raise ChannelClosed("the channel is closed")
        data = encode_head(head)
        # One write (one copy of the body, one syscall when the socket takes it at once).
        self.writer.write(b"".join((_PREFIX.pack(len(data), len(body)), data, body)))

    async def request(self, head: dict, timeout: float | None = None, body: bytes = NO_BODY) -> tuple[dict, bytes]:
        """Send a request and wait for its answer's head and body (RemoteError if it failed)."""
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        try:
            self.send({**head, "id": request_id}, body)
            answer, answer_body = await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(request_id, None)
        if "error" in answer:
            raise RemoteError(answer["error"] or "failed", answer.get("stack"))
        return answer, answer_body

    async def serve(self) -> None:
        """Read frames until the other side closes; then fail whatever still waits."""
        read = self.reader.readexactly
        try:
            while True:
                head_size, body_size = _PREFIX.unpack(await read(_PREFIX.size))
                head = decode_head(await read(head_size))
                self._dispatch(head, await read(body_size) if body_size else NO_BODY)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.closed.set()
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ChannelClosed("the other side closed the channel"))

    def _dispatch(self, head: dict, body: bytes) -> None:
        if "re" in head:
            future = self.pending.get(head["re"])
            if future and not future.done():
                future.set_result((head, body))
        elif "id" in head and self.on_request:
            task = asyncio.create_task(self._answer(head, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif self.on_event:
            self.on_event(head)

    async def _answer(self, head: dict, body: bytes) -> None:
        try:
            answer, answer_body = await self.on_request(head, body)
        except RemoteError as exc:
            answer, answer_body = {"error": str(exc), "stack": exc.stack}, NO_BODY
        except Exception as exc:  # the answer says what failed; the channel stays up
            answer, answer_body = {"error": f"{type(exc).__name__}: {exc}"}, NO_BODY
        answer["re"] = head["id"]
        try:
            self.send(answer, answer_body)
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
