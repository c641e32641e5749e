"""The [http] section: how long, how large and where $http may go."""

from pydantic import Field, field_validator

from kernel.settings import Duration, Int, Section, Size

# Link-local addresses, where clouds serve instance metadata and credentials (169.254.169.254 on
# AWS, GCP, Azure and most others; fd00:ec2::254 on AWS over IPv6; 100.100.100.200 on Alibaba).
DEFAULT_DENIED = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32"]


class HttpSettings(Section):
    default_timeout: Duration = 30  # a request's whole time (connect, send, answer) when it sets none
    max_timeout: Duration = 120  # the longest `timeout` a request may ask for
    max_response: Size = 16 * 1024**2  # largest body a request reads into memory; past it: too_large
    max_download: Size = 1024**3  # largest body $http.download writes into $storage
    max_redirects: Int = Field(10, ge=0, le=50)
    http2: bool = True  # offer HTTP/2 to https servers (ALPN); HTTP/1.1 otherwise
    ca_file: str = ""  # a PEM file of more certificate authorities to trust (an internal CA), besides the system's
    denied: list[str] = Field(default_factory=lambda: list(DEFAULT_DENIED))  # address ranges never connected to

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: str) -> str:
        import os

        if value and not os.access(value, os.R_OK):
            raise ValueError(f"{value} is not a readable file")
        return value

    @field_validator("denied")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        import ipaddress

        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"{text!r} is not an address range like '10.0.0.0/8' or 'fd00::/8'") from None
        return value
