"""Which addresses a service may connect to: the ranges of http.denied and http.allowed, and what
an address stands for. An address is judged with every address it reaches or carries, and is
refused when any of them is denied:

- 0.0.0.0 and :: ("any address") reach this machine on Linux: they are checked as loopback too;
- an IPv4 address inside an IPv6 one (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d,
  NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::, Teredo's server and client) is checked as the
  IPv4 address it carries, so no IPv6 spelling of 127.0.0.1 or 10.0.0.1 escapes the IPv4 ranges.

Between the two lists the most specific range that holds the address decides (the longest prefix,
as routing does); a range in both lists is allowed (the exception is what the operator asked
for). So `allowed = ["10.1.2.0/24"]` opens that network inside the denied 10.0.0.0/8,
`["127.0.0.0/8"]` opens loopback, and allowing 169.254.0.0/16 does not open the metadata address
169.254.169.254/32, denied on its own."""

from __future__ import annotations

import ipaddress
import socket
import typing

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated (RFC 4291), still routed as IPv4 by some stacks
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are the IPv4 address
ANY = {ipaddress.ip_address("0.0.0.0"): ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::"): ipaddress.ip_address("::1")}

# http.denied's default: every range that is not the public internet (IANA's special-purpose
# address registries), as hosting platforms ship it. http.allowed opens exceptions.
DEFAULT_DENIED = [
    # IPv4
    "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches this machine
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private networks (RFC 1918)
    "100.64.0.0/10",  # carrier-grade NAT, shared address space (RFC 6598)
    "127.0.0.0/8",  # loopback: m3m itself, the embedded database, the host's own services
    "169.254.0.0/16",  # link-local, where clouds serve instance metadata
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation (TEST-NET-1, 2, 3)
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the broadcast address 255.255.255.255
    # IPv6 (IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo addresses are also checked as the
    # IPv4 address they carry: addresses.reached)
    "::/128", "::1/128",  # unspecified (reaches this machine) and loopback
    "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
    "100::/64",  # discard-only
    "2001:2::/48",  # benchmarking
    "2001:db8::/32", "3fff::/20",  # documentation
    "fc00::/7",  # unique local addresses (private networks)
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated)
    "ff00::/8",  # multicast
    # Cloud instance metadata (credentials), each on its own: allowing the range around it (the
    # most specific range decides) does not open it.
    "169.254.169.254/32",  # AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack...
    "169.254.170.2/32",  # AWS ECS task credentials
    "100.100.100.200/32",  # Alibaba Cloud
    "fd00:ec2::254/128",  # AWS over IPv6
    "fd20:ce::254/128",  # GCP over IPv6
    "168.63.129.16/32",  # Azure's host endpoint (WireServer), a public address
]


def networks(ranges: typing.Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text, strict=False) for text in ranges)


def address_of(text: str) -> Address:
    """The address of a socket address's text, without an IPv6 zone (fe80::1%eth0: the zone
    names a link, it is no part of the address)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def reached(address: Address) -> list[Address]:
    """`address`, and every address it stands for (see the module's text), each once."""
    found: list[Address] = []
    waiting = [address]
    while waiting:
        current = waiting.pop(0)
        if current in found:
            continue
        found.append(current)
        if current in ANY:
            waiting.append(ANY[current])
        if isinstance(current, ipaddress.IPv6Address):
            if current.ipv4_mapped is not None:
                waiting.append(current.ipv4_mapped)
            if (current in IPV4_COMPATIBLE and int(current) > 1) or current in NAT64:  # not :: nor ::1
                waiting.append(ipaddress.IPv4Address(int(current) & 0xFFFFFFFF))
            if current.sixtofour is not None:
                waiting.append(current.sixtofour)
            if current.teredo is not None:
                waiting.extend(current.teredo)
    return found


class Ranges:
    """http.denied and http.allowed, parsed once."""

    def __init__(self, denied: typing.Iterable[str], allowed: typing.Iterable[str] = ()) -> None:
        self.denied = networks(denied)
        self.allowed = networks(allowed)

    def deciding(self, address: Address) -> tuple[bool, Network | None]:
        """(denied, the range that decides) for one address; (False, None) when no range holds it."""
        best: tuple[int, bool, Network] | None = None
        for denied, ranges in ((True, self.denied), (False, self.allowed)):
            for network in ranges:
                if network.version == address.version and address in network:
                    if best is None or (network.prefixlen, not denied) > (best[0], not best[1]):
                        best = (network.prefixlen, denied, network)
        return (best[1], best[2]) if best else (False, None)

    def refusal(self, address: Address) -> tuple[Address, Network] | None:
        """(the address it stands for, the denied range) when `address` may not be reached."""
        for form in reached(address):
            denied, network = self.deciding(form)
            if denied:
                return form, network
        return None


def this_machine(address: Address, scope: int = 0) -> bool:
    """Whether `address` is one of this machine's (or "any address", which reaches it): a socket
    binds only to an address of its own host. (With net.ipv4.ip_nonlocal_bind set, every address
    binds: every address then counts as this machine's, which refuses more, never less.)"""
    for form in reached(address):
        family = socket.AF_INET if form.version == 4 else socket.AF_INET6
        where = (str(form), 0) if form.version == 4 else (str(form), 0, 0, scope if form.is_link_local else 0)
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.bind(where)
        except OSError:
            continue
        return True
    return False
