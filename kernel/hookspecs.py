"""The kernel's hooks; plugins add their own through m3m_add_hookspecs. docs/hooks.md documents
each under its exact signature.

A hook may return a value or an awaitable; the kernel awaits what needs awaiting.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("m3m")
hookimpl = HookimplMarker("m3m")


@hookspec
def m3m_add_hookspecs(pm):
    """Add the hookspecs this plugin defines for others to implement, with pm.add_hookspecs(module);
    called once every plugin is registered, before any other hook."""


@hookspec
def m3m_settings():
    """Return {section: pydantic model} for the settings sections this plugin reads; the kernel
    checks those sections of the settings with the models (their defaults fill missing keys)."""


@hookspec
def m3m_blueprints(app):
    """Return a list of Quart blueprints to mount; REST routes live under /api/..."""


@hookspec
def m3m_asgi_routes(app):
    """Return {path prefix: handler} for requests this plugin answers at the ASGI level, before
    Quart: `async handler(scope, receive, send) -> bool`, False to leave the request to Quart."""


@hookspec
def m3m_content_prefixes():
    """Return the URL path prefixes whose answers are content m3m serves but did not write (pages
    of projects' code, uploaded files): with server.content_uri set, served only on that origin."""


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
    raise Refused(401) for credentials that are this plugin's but invalid; may be async."""


@hookspec
def m3m_resolve_project(app, ref):
    """Return the project named by `ref` (its id or slug) as a dict with at least id, slug, name
    and members (user ids), or None when this plugin does not know it; may be async."""


@hookspec
def m3m_project_deleted(app, project_id):
    """Remove everything this plugin keeps for the deleted project `project_id`; may be async."""


@hookspec
def m3m_member_projects(app, user_ids):
    """Return {user id: [project id, ...]}: the projects each of `user_ids` is a member of, from
    the plugin that keeps projects' members (the one list of project access); may be async."""


@hookspec
def m3m_set_member_projects(app, user_id, project_ids):
    """Make the user a member of exactly the projects `project_ids` and of no other, and return
    True; raise Refused(422) naming an unknown project, changing nothing then; may be async."""


@hookspec
def m3m_user_deleted(app, user_id):
    """Remove everything this plugin keeps for the deleted user `user_id`; may be async."""


@hookspec
def m3m_plugins_report(pm, settings):
    """Return {key: [row, ...]} to list beside the Python plugins in GET /api/plugins and
    `m3m plugins` (each row a dict with at least `name` or `file`, and `status`, `version` or
    `reason`), e.g. the shared libraries a plugin loads; may be async."""
