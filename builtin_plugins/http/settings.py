"""The [http] section: how long, how large and where $http may go (and $smtp to a server a project
names: guard.py)."""

from pydantic import Field, field_validator

from kernel.settings import Duration, Int, Section, Size

from .addresses import DEFAULT_DENIED


class HttpSettings(Section):
    default_timeout: Duration = 30  # a request's whole time (connect, send, answer) when it sets none
    max_timeout: Duration = 120  # the longest `timeout` a request may ask for
    max_response: Size = 16 * 1024**2  # largest body a request reads into memory; past it: too_large
    max_download: Size = 1024**3  # largest body $http.download writes into $storage
    max_redirects: Int = Field(10, ge=0, le=50)
    http2: bool = True  # offer HTTP/2 to https servers (ALPN); HTTP/1.1 otherwise
    ca_file: str = ""  # a PEM file of more certificate authorities to trust (an internal CA), besides the system's
    # Address ranges services never connect to: everything that is not the public internet (loopback,
    # private, link-local, CGNAT, multicast, reserved, cloud metadata: addresses.DEFAULT_DENIED).
    denied: list[str] = Field(default_factory=lambda: list(DEFAULT_DENIED))
    # Exceptions: ranges services may reach although a wider denied range holds them, e.g.
    # ["10.1.2.0/24"] for an internal API (the most specific range of the two lists decides).
    allowed: list[str] = []
    # m3m's own listening port and its database's stay closed to services whatever the ranges say;
    # these open them on purpose (with their addresses allowed too), e.g. for a service that calls
    # another project's /bot- routes through m3m itself.
    allow_m3m: bool = False
    allow_database: bool = False

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: str) -> str:
        import os

        if value and not os.access(value, os.R_OK):
            raise ValueError(f"{value} is not a readable file")
        return value

    @field_validator("denied", "allowed")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        import ipaddress

        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"{text!r} is not an address range like '10.0.0.0/8' or 'fd00::/8'") from None
        return value
