"""$schedule: daily, hourly, every('5m') and cron jobs on APScheduler inside the worker; the jobs
call back into the service's JS and end with its run."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_runtime_bindings(ctx):
    from .runtime import binding

    return binding(ctx)


@hookimpl
def m3m_runtime_typings(project):
    from .runtime import TYPINGS

    return TYPINGS
