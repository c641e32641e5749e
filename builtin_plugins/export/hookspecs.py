"""The hooks of project export/import (added by the export plugin's m3m_add_hookspecs);
docs/hooks.md documents each under its exact signature."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("m3m")


@hookspec
def m3m_project_collections(app, project_id):
    """Return {collection: {"field": name, "omit": [fields], "unique": field, "references":
    {field: collection}}}: the collections holding project `project_id`'s documents, found by
    `field` equal to the project id ("_id": the project document itself; None: every document of
    a collection that is the project's own); `omit` fields are not exported (secrets, values that
    mean nothing elsewhere), `unique` is renamed on a clash at import, `references` keeps only
    documents whose field names an exported document of that collection; may be async."""


@hookspec
def m3m_project_folders(app, project_id):
    """Return {name: Path}: folders of the project's files to carry in an export (created at
    import when missing); may be async."""


@hookspec
def m3m_project_imported(app, project_id, user_id):
    """The project `project_id` was just imported by user `user_id`: finish what is this
    plugin's (members, starting a service that ran); may be async."""
