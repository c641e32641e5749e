"""The hooks of project export/import (added by the export plugin's m3m_add_hookspecs);
docs/hooks.md documents each under its exact signature."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("m3m")


@hookspec
def m3m_project_collections(app, project_id):
    """Return {collection: spec}: the collections holding project `project_id`'s documents; an
    import writes these and nothing else. spec: {"field": the field equal to the project's id
    as text ("_id": the project's own document, one), or "each": a collection whose every
    exported document has a collection of its own, named by this key with "{id}" replaced by that
    document's id ("records_{id}"); "omit": [fields] not exported and refused at import (secrets,
    users and keys of this instance; "a.b" is b inside a); "unique": a field renamed on a clash;
    "references": {field: collection} the field names a document of that collection, exported
    with it, rewritten at import; "data": [fields] holding users' own JSON (keys with $ or dots
    allowed); "check": a function(doc) raising ValueError for an imported document its plugin
    would never have written}. docs/hooks.md has the rules; may be async."""


@hookspec
def m3m_project_folders(app, project_id):
    """Return {name: Path}: folders of the project's files to carry in an export (created at
    import when missing); may be async."""


@hookspec
def m3m_project_imported(app, project_id, user_id):
    """The project `project_id` was just imported by user `user_id`: finish what is this
    plugin's (members, starting a service that ran); may be async."""
