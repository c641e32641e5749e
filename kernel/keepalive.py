"""Keep-alive connections survive an answer given before the request's body has arrived.

Hypercorn (0.18, h11; m3m's server until 2026-12, kernel/http_server.py) reuses a connection
only if the request was fully received when the response ends; otherwise it closes the
connection without saying so in the response. Kept under uvicorn (not measured there) so that
the guarantee holds whatever serves the app (tests/test_kernel_app.py). A client
that sends its body in a second packet (httpx does) and gets a quick answer (a 405 or a 401
before any route reads the body) then finds the connection gone on its next request: "Server
disconnected without sending a response" (measured: 3 in 600 such requests). So before the last
part of an answer the rest of a small body is awaited (the server keeps reading it: Quart's
receiver does, or the route did); for a large or chunked one the answer says `connection: close`.
"""

from __future__ import annotations

import asyncio

SMALL_BODY = 64 * 1024  # awaited before the answer ends; a larger one ends the connection
WAIT_SECONDS = 5.0  # a client that sends no more in this time loses its connection, not the answer


class WholeRequestFirst:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length, chunked = None, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if not chunked and (length is None or length == b"0"):
            return await self.app(scope, receive, send)  # no body: nothing to wait for
        small = not chunked and length.isdigit() and int(length) <= SMALL_BODY
        received = asyncio.Event()
        closing = False

        async def watched_receive():
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                received.set()
            return message

        async def careful_send(message):
            nonlocal closing
            if message["type"] == "http.response.start" and not received.is_set():
                headers = list(message.get("headers", []))
                closing = any(name.lower() == b"connection" and b"close" in value.lower() for name, value in headers)
                if not small and not closing:
                    closing = True
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                if not closing and not received.is_set():
                    try:
                        await asyncio.wait_for(received.wait(), WAIT_SECONDS)
                    except asyncio.TimeoutError:
                        pass
            await send(message)

        await self.app(scope, watched_receive, careful_send)
