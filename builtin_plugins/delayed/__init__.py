"""$delayed: run a function later, on a pool of delayed.pool_size tasks at once."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import DelayedSettings

    return {"delayed": DelayedSettings}
