"""The hooks the runtime defines for other plugins (added by its m3m_add_hookspecs);
docs/hooks.md documents each under its exact signature."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("m3m")


@hookspec
def m3m_release(app, project_id, version):
    """Return the project's release `version` as {version, code} for the runtime to run, or None;
    may be async."""


@hookspec
def m3m_service_notice(app, project_id, topic, data):
    """Take a notice a binding sent from a service's worker with `ctx.tell(topic, data)` (JSON
    data; the project is the service's, known to the supervisor, never taken from the worker);
    may be async. Notices reach the implementations one at a time, in the order they were sent."""


@hookspec
def m3m_runtime_state(app, project_id):
    """Return the project's runtime state as {release, running}, or None; the runtime answers it
    for plugins that show or guard the running release; may be async."""
