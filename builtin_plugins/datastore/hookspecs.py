"""The hook the data store defines for other plugins (added by its m3m_add_hookspecs);
docs/hooks.md documents it under its exact signature."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("m3m")


@hookspec(firstresult=True)
def m3m_project_files(app, project_id):
    """Return the project's file storage for the data store's `file` fields: an object with
    write_bytes(path, data, overwrite), read_bytes(path), exists(path) and delete(path) (paths
    relative to the project's storage root, synchronous), or None when there is none."""
