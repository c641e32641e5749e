"""The HTTP server: uvicorn with its C parser (httptools), configured as m3m serves.

Chosen over Hypercorn (h11, pure Python) by measurement: the same app answers a data store
insert with ~0.7 ms less CPU per request under uvicorn (2.1-2.3 against 2.7-3.1 ms; the REST
insert ratio 0.35-0.41 against 0.29-0.31; docs/performance.md, 2026-12-04 evening). m3m keeps
uvicorn's hands off what it does itself: the client's address behind proxies (kernel/proxies.py,
so no proxy headers here), the signals (`stop` is set by the caller; uvicorn's own handling
would raise the signal again after the shutdown, before the embedded database is stopped), and
logging (the m3m loggers)."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

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


def config(app, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, http="httptools", ws="none", loop="none", lifespan="on",
        proxy_headers=False, server_header=False, access_log=False, log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )


async def serve(app, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve `app` until `stop` is set; StartupFailed when the app's startup raised."""
    watch = _StartupWatch(app)
    server = _Server(config(watch, host, port))

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
