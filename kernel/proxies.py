"""The caller's address behind a reverse proxy. Only peers listed in `server.trusted_proxies`
are believed: from them, the client is the right-most X-Forwarded-For address that is not itself
a trusted proxy (each proxy appends the address it saw, so everything left of that is what the
client claimed and is ignored). A request straight from anyone else keeps its peer address, so a
client cannot pose as another address by sending the header itself. Whatever reads the caller's
address afterwards (`request.remote_addr`, an ASGI route's `scope["client"]`) reads this one."""

from __future__ import annotations

from ipaddress import ip_address, ip_network


def networks(entries: list[str]):
    """The trusted proxies as networks ("10.0.0.1", "10.0.0.0/8", "::1"); a bad entry is a ValueError naming it."""
    out = []
    for entry in entries:
        try:
            out.append(ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(out)


def _trusted(address: str, trusted) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False  # a unix socket or a name: not an address we were told to trust
    return any(parsed in network for network in trusted)


def client_of(peer: str, forwarded_for: list[str], trusted) -> str:
    """The client's address for a request from `peer` carrying these X-Forwarded-For values."""
    if not _trusted(peer, trusted):
        return peer
    hops = [part.strip() for value in forwarded_for for part in value.split(",") if part.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer  # garbage from the proxy chain: keep what we know
    return hops[0] if hops else peer  # every hop is a proxy of ours: the first is the closest we have


class TrustedProxies:
    """ASGI middleware: rewrites scope["client"] for requests that came through a trusted proxy."""

    def __init__(self, app, trusted) -> None:
        self.app, self.trusted = app, trusted

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
            if forwarded:
                client = client_of(peer, forwarded, self.trusted)
                if client != peer:
                    scope = dict(scope, client=(client, port))
        await self.app(scope, receive, send)
