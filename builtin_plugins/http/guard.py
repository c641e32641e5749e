"""Where $http may connect: every connection the shared client opens (the first request and each
redirect to a new origin alike) goes through `GuardedBackend.connect_tcp`, which resolves the host
itself, refuses when any of its addresses is in the deny-list (http.denied), and then connects to
the very addresses it checked. Checking the name first and letting the client resolve it again
would leave a gap a DNS answer that changes in between (rebinding) walks through.

Failures leave as `Refused` with the code a service can branch on (dns, refused, tls, denied):
httpx passes an exception that is not httpcore's through unchanged."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing

import httpcore

from kernel.errors import Refused

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(ranges: typing.Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text, strict=False) for text in ranges)


def denied_network(address: str, denied: tuple[Network, ...]) -> Network | None:
    """The denied range `address` falls in, if any; an IPv4 address written as IPv6
    (::ffff:169.254.169.254) is checked as the IPv4 address it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return next((network for network in denied if ip.version == network.version and ip in network), None)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, denied: tuple[Network, ...]) -> None:
        self.denied = denied
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = await self.resolve(host, port, timeout)
        for address in addresses:
            network = denied_network(address, self.denied)
            if network is not None:
                raise Refused(403, f"{host} resolves to {address}, in the denied range {network} (http.denied)", code="denied", field="url")
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return GuardedStream(stream, host)
        if refused(failure):
            raise Refused(502, f"{host}:{port} refused the connection", code="refused") from None
        raise Refused(502, f"cannot connect to {host}:{port}: {failure}", code="unreachable") from None

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise Refused(502, f"cannot resolve {host}: {exc.args[-1] if exc.args else exc}", code="dns", field="url") from None
        return list(dict.fromkeys(info[4][0] for info in found))

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise Refused(403, "$http connects over TCP only", code="denied")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def refused(exc: BaseException | None) -> bool:
    """Whether the connection failed because nothing listens (anyio wraps the socket's error in
    "All connection attempts failed" from an ExceptionGroup of the attempts)."""
    while exc is not None:
        if isinstance(exc, ConnectionRefusedError):
            return True
        if isinstance(exc, BaseExceptionGroup):
            return all(refused(inner) for inner in exc.exceptions)
        exc = exc.__cause__ or exc.__context__
    return False


class GuardedStream(httpcore.AsyncNetworkStream):
    """A connection as the backend made it; a failed TLS handshake becomes code `tls`."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, host: str) -> None:
        self.stream = stream
        self.host = host

    async def read(self, max_bytes, timeout=None):
        return await self.stream.read(max_bytes, timeout)

    async def write(self, buffer, timeout=None):
        await self.stream.write(buffer, timeout)

    async def aclose(self):
        await self.stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname=None, timeout=None):
        try:
            return await self.stream.start_tls(ssl_context, server_hostname, timeout)
        except httpcore.ConnectError as exc:
            reason = exc.__cause__ or exc
            raise Refused(502, f"TLS with {self.host} failed: {getattr(reason, 'verify_message', None) or reason}", code="tls") from None

    def get_extra_info(self, info):
        return self.stream.get_extra_info(info)
