"""The toolkit: $crypto (hashes, hmac, uuid, random bytes), $encoding (base64, hex, url) and
$strings (slugify, truncate, cases, padding) for services. Pure functions, no state."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_runtime_bindings(ctx):
    from .runtime import binding

    return binding(ctx)


@hookimpl
def m3m_runtime_typings(project):
    from .runtime import TYPINGS

    return TYPINGS
