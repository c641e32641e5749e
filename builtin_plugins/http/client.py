"""The worker's one httpx client (its connections are reused by every request of the service) and
the one place a request is sent: the whole request under one deadline, the body read in pieces
and decoded here a piece at a time (decoding.py) into a sink that refuses past its cap, httpx's
failures turned into Refused with a code."""

from __future__ import annotations

import asyncio
import typing
import zlib

import httpcore
import httpx

from kernel.errors import Refused

from .decoding import ACCEPT_ENCODING, Decoder
from .guard import Guard, GuardedBackend

CHUNK = 64 * 1024
_client: httpx.AsyncClient | None = None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request and error mapping) over a pool whose every connection is
    made by the guard's backend: httpx has no public way to give a transport a backend."""

    def __init__(self, settings, guard: Guard) -> None:
        super().__init__(http2=settings.http2, trust_env=False)
        context = httpx.create_ssl_context(trust_env=False)
        if settings.ca_file:
            context.load_verify_locations(settings.ca_file)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context, http1=True, http2=settings.http2,
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0,
            network_backend=GuardedBackend(guard),
        )


def shared_client(settings, guard: Guard) -> httpx.AsyncClient:
    """Made on first use, in the worker (not in the fork server its process came from). No
    proxies from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY): a proxy would make every
    connection one the guard never sees, so neither the client nor its transport trusts them."""
    global _client
    if _client is None:
        _client = httpx.AsyncClient(
            transport=GuardedTransport(settings, guard), trust_env=False, max_redirects=settings.max_redirects,
            # only the codings decoding.py undoes a piece at a time (httpx would add br and zstd
            # when a plugin brings brotli or zstandard); a service's own header replaces it
            headers={"User-Agent": "m3m-http", "Accept-Encoding": ACCEPT_ENCODING},
        )
    return _client


async def close_shared_client() -> None:
    global _client
    if _client is not None:
        client, _client = _client, None
        await client.aclose()


class Sink(typing.Protocol):
    async def write(self, chunk: bytes) -> None: ...


async def send(client: httpx.AsyncClient, request: httpx.Request, *, timeout: float, follow: bool,
               limit: int, limit_name: str, sink: Sink) -> httpx.Response:
    """Send `request` and pour its decoded body into `sink`, at most `limit` bytes: a declared
    Content-Length past it is refused before the body is read, and a body that grows past it is
    cut off at the piece that crosses it, counted as it arrives and as it is decoded (no piece
    larger than CHUNK, however small the bytes it came from: decoding.py). Everything,
    redirects included, within `timeout`."""
    url = str(request.url)
    try:
        async with asyncio.timeout(timeout):
            response = await client.send(request, stream=True, follow_redirects=follow)
            try:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise too_large(url, limit, limit_name)
                decoder = Decoder.of(response.headers.get_list("content-encoding", split_commas=True), CHUNK)
                received = size = 0
                async for raw in response.aiter_raw(CHUNK):
                    received += len(raw)
                    if received > limit:
                        raise too_large(url, limit, limit_name)
                    for piece in decoder.decode(raw):
                        size += len(piece)
                        if size > limit:
                            raise too_large(url, limit, limit_name)
                        await sink.write(piece)
            finally:
                await response.aclose()
            return response
    except TimeoutError:
        raise Refused(504, f"{request.method} {url} took longer than {timeout:g}s", code="timeout") from None
    except httpx.TimeoutException:
        raise Refused(504, f"{request.method} {url} timed out", code="timeout") from None
    except httpx.TooManyRedirects:
        raise Refused(502, f"{url} redirected more than {client.max_redirects} times (http.max_redirects)", code="redirects") from None
    except httpx.UnsupportedProtocol as exc:
        raise Refused(422, f"url: {exc} (only http and https)", field="url") from None
    except httpx.LocalProtocolError as exc:
        raise Refused(422, f"the request cannot be sent: {exc}", field="headers") from None
    except zlib.error as exc:  # the body is not what its Content-Encoding says
        raise Refused(502, f"{url} sent a body that cannot be decoded: {exc}", code="bad_response") from None
    except httpx.HTTPError as exc:  # the server broke the protocol or the connection
        raise Refused(502, f"{request.method} {url} failed: {type(exc).__name__}: {exc}", code="network") from None


def too_large(url: str, limit: int, name: str) -> Refused:
    return Refused(413, f"the answer of {url} is larger than {limit} bytes ({name})", code="too_large")


class Buffer:
    """A sink that keeps the body in memory (send() has already capped it)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.parts.append(chunk)

    def value(self) -> bytes:
        return b"".join(self.parts)
