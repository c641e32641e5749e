"""Every hook a plugin may implement. docs/hooks.md documents each under its exact signature.

A hook may return a value or an awaitable; the kernel awaits what needs awaiting.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("m3m")
hookimpl = HookimplMarker("m3m")


@hookspec
def m3m_blueprints(app):
    """Return a list of Quart blueprints to mount; REST routes live under /api/..."""


@hookspec
def m3m_startup(app):
    """Prepare the plugin once the database is reachable (indexes, background tasks); may be async."""


@hookspec
def m3m_shutdown(app):
    """Release what m3m_startup took (tasks, files) as the server stops; may be async."""


@hookspec
def m3m_cli(cli):
    """Add commands to the `m3m` click group `cli` (e.g. `m3m new-admin`)."""


@hookspec
def m3m_authenticate(request, app):
    """Return a Principal for the request's credentials, None if they are not this plugin's, or
    raise ApiError(401) for credentials that are this plugin's but invalid; may be async."""
