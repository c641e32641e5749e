"""$delayed: run a function later, on a pool of runtime.delayed_pool_size tasks at once."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_runtime_bindings(ctx):
    from .runtime import binding

    return binding(ctx)


@hookimpl
def m3m_runtime_typings(project):
    from .runtime import TYPINGS

    return TYPINGS
