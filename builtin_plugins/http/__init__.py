"""Outgoing HTTP for services: `$http` on one shared httpx client per worker, with timeouts, a
response size cap, uploads from and downloads into `$storage`, and a deny-list of address ranges
checked on every connection (docs/http.md)."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import HttpSettings

    return {"http": HttpSettings}
