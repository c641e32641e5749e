"""The HTTP server: uvicorn with its C parser (httptools), configured as m3m serves.

Chosen over Hypercorn (h11, pure Python) by measurement: the same app answers a data store
insert with ~0.7 ms less CPU per request under uvicorn (2.1-2.3 against 2.7-3.1 ms; the REST
insert ratio 0.35-0.41 against 0.29-0.31; docs/performance.md, 2026-12-04 evening). m3m keeps
uvicorn's hands off what it does itself: the client's address behind proxies (kernel/proxies.py,
so no proxy headers here), the signals (`stop` is set by the caller; uvicorn's own handling
would raise the signal again after the shutdown, before the embedded database is stopped), and
logging (the m3m loggers); and it bounds the request head, which uvicorn does not (BoundedHead)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

GRACEFUL_SECONDS = 5  # requests in flight at a stop get this long to end


class StartupFailed(Exception):
    """The app's startup (its plugins' m3m_startup) raised; the message says what."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        yield  # the caller's signal handlers set `stop`


class _StartupWatch:
    """The ASGI app, keeping the message of a failed lifespan startup for the error `serve` ends with."""

    def __init__(self, app) -> None:
        self.app = app
        self.failure: str | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)

        async def watched_send(message):
            if message["type"] == "lifespan.startup.failed":
                self.failure = message.get("message") or "its startup failed"
            await send(message)

        return await self.app(scope, receive, watched_send)


class BoundedHead(HttpToolsProtocol):
    """uvicorn's httptools connection, with the request head (request line and headers) bounded
    in size and in time. llhttp and uvicorn keep a head of any size for as long as the client
    takes to send it (measured before: one unfinished header of 300 MB from an anonymous client
    grew the server by 450 MB, and a connection sending a header line every few seconds stayed
    open for good, so one client could hold every file descriptor of the server). Here a head
    over `max_head` bytes is answered 431, and a connection whose head has not arrived
    `head_timeout` seconds after it opened, or after its request began, is answered 408 (or,
    with nothing of a request received, just closed); both close the connection. Idle
    keep-alive connections between requests are uvicorn's (timeout_keep_alive)."""

    max_head = 64 * 1024  # server.max_head
    head_timeout = 30.0  # server.head_timeout

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.head_bytes = 0  # of the head awaited, counted as they arrive
        self.awaiting_head = True
        self.refused = False
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # the answer is sent and the connection closing: the rest is not read
        if self.awaiting_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.awaiting_head and self.head_bytes > self.max_head and not self.refused:
            self._refuse(431, "request_head_too_large", f"the request line and headers are larger than {self.max_head} bytes (server.max_head)")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.awaiting_head = True
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def on_headers_complete(self) -> None:
        if self.refused:
            return
        # All of one head may come in one read: measured exactly here too, before the app sees it.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_head:
            self._refuse(431, "request_head_too_large", f"the request line and headers are larger than {self.max_head} bytes (server.max_head)")
            return
        self.awaiting_head, self.head_bytes = False, 0
        self._stop_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self.refused:
            super().on_message_complete()

    def connection_lost(self, exc) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _stop_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_too_slow(self) -> None:
        self.head_timer = None
        if self.refused or not self.awaiting_head or self.transport.is_closing():
            return
        if self.head_bytes:
            self._refuse(408, "request_timeout", f"the request's head did not arrive within {self.head_timeout:g} s (server.head_timeout)")
        else:  # a connection that never began a request: nothing to answer
            self.refused = True
            self.transport.close()

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer with the error envelope and close; the app never sees the request."""
        self.refused = True
        self._stop_timer()
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, reason, len(body), body)
        )
        self.transport.close()


def config(app, host: str, port: int, max_head: int = BoundedHead.max_head,
           head_timeout: float = BoundedHead.head_timeout) -> uvicorn.Config:
    protocol = type("BoundedHead", (BoundedHead,), {"max_head": max_head, "head_timeout": head_timeout})
    return uvicorn.Config(
        app, host=host, port=port, http=protocol, ws="none", loop="none", lifespan="on",
        proxy_headers=False, server_header=False, access_log=False, log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )


async def serve(app, host: str, port: int, stop: asyncio.Event, **limits) -> None:
    """Serve `app` until `stop` is set; StartupFailed when the app's startup raised. `limits`:
    max_head, head_timeout (BoundedHead)."""
    watch = _StartupWatch(app)
    server = _Server(config(watch, host, port, **limits))

    async def stop_when_told():
        await stop.wait()
        server.should_exit = True

    stopper = asyncio.create_task(stop_when_told())
    try:
        await server.serve()
    except SystemExit:  # uvicorn's way to end a failed startup
        if watch.failure is None:
            raise
        raise StartupFailed(watch.failure) from None
    finally:
        stopper.cancel()
