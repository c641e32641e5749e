"""Where a service may connect: every connection of $http (the first request and each redirect to
a new origin alike, through `GuardedBackend.connect_tcp`) and of $smtp to a server the project
names (`Guard.connect`) is made here. The guard resolves the host itself, refuses when any of its
addresses may not be reached, and then connects to the very addresses it checked. Checking the
name first and letting the client resolve it again would leave a gap a DNS answer that changes in
between (rebinding) walks through.

An address may not be reached when the ranges refuse it (http.denied and http.allowed:
addresses.py), or when it is m3m's own listening port or its database's, which no range opens:
only http.allow_m3m and http.allow_database do (docs/http.md "m3m itself and its database").

Failures leave as `Refused` with the code a service can branch on (dns, refused, tls, denied,
timeout): httpx passes an exception that is not httpcore's through unchanged."""

from __future__ import annotations

import asyncio
import socket
import ssl
import typing
from dataclasses import dataclass
from urllib.parse import unquote

import httpcore

from kernel.errors import Refused

from .addresses import DEFAULT_DENIED, Address, Ranges, address_of, reached, this_machine

# RFC 6761 6.3: localhost and every name under it are the loopback addresses, whatever DNS says:
# those this machine gives "localhost", else these.
LOOPBACK = [(socket.AF_INET, ("127.0.0.1", 0)), (socket.AF_INET6, ("::1", 0, 0, 0))]
Resolved = list[tuple[int, tuple]]  # (family, socket address) as getaddrinfo gives them


@dataclass(frozen=True)
class Endpoint:
    """A listening port of m3m's own that no range opens: `host` may be a name, `setting` opens it."""

    what: str
    host: str
    port: int
    setting: str


@dataclass(frozen=True)
class Protected:
    endpoint: Endpoint
    addresses: frozenset[Address]  # those its host resolves to, and what they stand for
    local: bool  # its host is this machine: the port is protected on every address of it

    def holds(self, address: Address, port: int, scope: int) -> bool:
        if port != self.endpoint.port:
            return False
        return any(form in self.addresses for form in reached(address)) or (self.local and this_machine(address, scope))


class Guard:
    def __init__(self, ranges: Ranges, endpoints: typing.Iterable[Endpoint], database_uri: str = "", field: str = "url") -> None:
        self.ranges = ranges
        self.field = field  # what a refusal names: the option or the variable that gave the host
        self.endpoints = list(endpoints)
        self.database_uri = database_uri  # its nodes are added at the first check (a mongodb+srv URI needs DNS)
        self.protected: list[Protected] | None = None

    @classmethod
    def of(cls, settings, database_uri: str, field: str = "url") -> "Guard":
        """The guard of a worker: its settings as sent by the supervisor (the [http] section may be
        absent when the http plugin is blocked: then the defaults) and its database's URI."""
        http = getattr(settings, "http", None)
        ranges = Ranges(getattr(http, "denied", DEFAULT_DENIED), getattr(http, "allowed", []))
        endpoints = []
        if not getattr(http, "allow_m3m", False):
            host = settings.server.host or "0.0.0.0"  # empty: every interface, as uvicorn takes it
            endpoints.append(Endpoint("m3m's own server", host, settings.server.port, "http.allow_m3m"))
        return cls(ranges, endpoints, "" if getattr(http, "allow_database", False) else database_uri, field)

    async def resolve(self, host: str, port: int, timeout: float | None) -> Resolved:
        """The addresses `host` resolves to, each checked; a refusal names the range or the endpoint."""
        name = host_name(host)
        literal = literal_of(name)
        if literal is not None:  # a literal is refused before any resolving: fe80::1%eth9 need not exist
            self.check(host, literal, str(literal), port)
            await self.check_protected(host, port, [(literal, 0)], timeout)
            found = numeric(name, port)  # with its zone's interface, no DNS
            if found is None:
                raise Refused(502, f"cannot resolve {host}: no such interface", code="dns", field=self.field)
        else:
            found = await resolved(name, port, timeout, self.field)
        addresses = [(address_of(address[0]), address[3] if family == socket.AF_INET6 else 0) for family, address in found]
        for (address, _), (_, where) in zip(addresses, found):
            self.check(host, address, where[0], port)
        await self.check_protected(host, port, addresses, timeout)
        return found

    def check(self, host: str, address: Address, text: str, port: int) -> None:
        refusal = self.ranges.refusal(address)
        if refusal is not None:
            form, network = refusal
            shown = text if form == address else f"{text} ({form})"
            raise Refused(403, f"{host} resolves to {shown}, in the denied range {network} (http.denied)", code="denied", field=self.field)

    async def check_protected(self, host: str, port: int, addresses: list[tuple[Address, int]], timeout: float | None) -> None:
        for protected in await self.protected_ports(timeout):
            if any(protected.holds(address, port, scope) for address, scope in addresses):
                endpoint = protected.endpoint
                raise Refused(403, f"{joined(host, port)} is {endpoint.what}, which services do not reach ({endpoint.setting})",
                              code="denied", field=self.field)

    async def protected_ports(self, timeout: float | None) -> list[Protected]:
        """m3m's listening port and its database's, resolved at the first check of the worker."""
        if self.protected is None:
            endpoints = list(self.endpoints)
            if self.database_uri:
                for host, port in await database_nodes(self.database_uri):
                    endpoints.append(Endpoint("m3m's database", host, port, "http.allow_database"))
            protected = []
            for endpoint in endpoints:
                found = [(address_of(address[0]), address[3] if family == socket.AF_INET6 else 0)
                         for family, address in await resolved(host_name(endpoint.host), endpoint.port, timeout, None)]
                addresses = frozenset(form for address, _ in found for form in reached(address))
                protected.append(Protected(endpoint, addresses, any(this_machine(address, scope) for address, scope in found)))
            self.protected = protected
        return self.protected

    async def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        """A connected socket to `host`, checked as $http's connections are ($smtp to a project's server)."""
        loop = asyncio.get_running_loop()
        failure: Exception | None = None
        async with asyncio.timeout(timeout):
            for family, address in await self.resolve(host, port, timeout):
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setblocking(False)
                try:
                    await loop.sock_connect(sock, address)
                except OSError as exc:
                    sock.close()
                    failure = exc
                    continue
                except BaseException:
                    sock.close()
                    raise
                return sock
        raise connect_failure(host, port, failure)


async def database_nodes(uri: str) -> list[tuple[str, int]]:
    """(host, port) of every node of the URI (a mongodb+srv URI's from its SRV record); a node on
    a Unix socket has no port to protect."""
    from pymongo.uri_parser import parse_uri

    try:
        nodes = (await asyncio.to_thread(parse_uri, uri))["nodelist"]
    except Exception as exc:  # the database's nodes unknown: refuse rather than guess (tried again next time)
        raise Refused(502, f"the database's addresses could not be found ({type(exc).__name__}: {exc})", code="dns") from None
    return [(host, port) for host, port in nodes if port]


async def resolved(name: str, port: int, timeout: float | None, field: str | None) -> Resolved:
    """getaddrinfo's addresses of `name`, each once; a name under localhost (m3m.localhost) is
    what this machine calls localhost, whatever DNS would say."""
    local = is_localhost(name)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            found = await loop.getaddrinfo("localhost" if local else name, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise Refused(504, f"resolving {name} took too long", code="timeout") from None
    except (socket.gaierror, UnicodeError) as exc:
        if local:
            return [(family, (address[0], port, *address[2:])) for family, address in LOOPBACK]
        raise Refused(502, f"cannot resolve {name}: {exc.args[-1] if exc.args else exc}", code="dns", field=field) from None
    return list(dict.fromkeys((family, address) for family, _, _, _, address in found))


def host_name(host: str | bytes) -> str:
    """The name to resolve: an IPv6 zone as the URL carried it (fe80::1%25eth0) decoded; a
    numeric address written with a final dot (127.0.0.1.) without it, as DNS has no such name."""
    name = host.decode("ascii") if isinstance(host, bytes) else host
    if ":" in name and "%" in name:
        name = unquote(name)
    if name.endswith(".") and literal_of(name[:-1]) is not None:
        name = name[:-1]
    return name


def literal_of(name: str) -> Address | None:
    """The address a numeric host stands for, in every spelling the resolver takes (2130706433,
    0x7f.1, 017700000001, 127.1, fe80::1%eth0), without asking DNS; None for a name."""
    found = numeric(name.split("%", 1)[0], 0)
    return address_of(found[0][1][0]) if found else None


def numeric(name: str, port: int) -> Resolved | None:
    """getaddrinfo of a numeric host (no DNS, so no thread needed); None when it is not one."""
    try:
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return [(family, address) for family, _, _, _, address in found]


def is_localhost(name: str) -> bool:
    name = name.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def joined(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connect_failure(host: str, port: int, failure: BaseException | None) -> Refused:
    if refused(failure):
        return Refused(502, f"{joined(host, port)} refused the connection", code="refused")
    return Refused(502, f"cannot connect to {joined(host, port)}: {failure}", code="unreachable")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        failure: Exception | None = None
        for _, address in await self.guard.resolve(host, port, timeout):
            try:
                stream = await self.inner.connect_tcp(address[0], port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return GuardedStream(stream, host)
        raise connect_failure(host, port, failure) from None

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
