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


@hookspec
def m3m_resolve_project(app, ref):
    """Return the project named by `ref` (its id or slug) as a dict with at least id, slug, name
    and members (user ids), or None when this plugin does not know it; may be async."""


@hookspec
def m3m_project_deleted(app, project_id):
    """Remove everything this plugin keeps for the deleted project `project_id`; may be async."""


@hookspec
def m3m_runtime_state(app, project_id):
    """Return the project's runtime state as {release, running}, or None from plugins that do
    not run services; may be async."""


@hookspec
def m3m_release(app, project_id, version):
    """Return the project's release `version` as {version, code}, or None; may be async."""


@hookspec
def m3m_runtime_bindings(ctx):
    """Return a kernel.runtime.sandbox.Binding (or a list) adding `$` APIs to a service's worker:
    a JS prelude on top of host operations; `ctx` is the worker's RuntimeContext; may be async."""


@hookspec
def m3m_runtime_typings(project):
    """Return TypeScript declarations (text) of the `$` APIs this plugin adds, for the editor;
    `project` is the project they are for; may be async."""
