"""The hooks the runtime defines for other plugins (added by its m3m_add_hookspecs);
docs/hooks.md documents each under its exact signature."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("m3m")


@hookspec
def m3m_release(app, project_id, version):
    """Return the project's release `version` as {version, code} for the runtime to run, or None;
    may be async."""


@hookspec
def m3m_runtime_state(app, project_id):
    """Return the project's runtime state as {release, running}, or None; the runtime answers it
    for plugins that show or guard the running release; may be async."""
