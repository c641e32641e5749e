"""Host side of `$database.<model>`: the project's records through the same Records class as the
REST API (the same validation, filter compiler and revision guard). The model is read by slug on
every call, so a model created while the service runs is usable at once. File fields use the
project storage as `$storage` does (storage.service.Files); `attach` puts a stored file in one.

`project_typings` declares, for the editor, one interface per model and a `$database` property
for each (docs/datastore.md "$database")."""

from __future__ import annotations

import asyncio
import json

from builtin_plugins.runtime.sdk import Binding
from kernel.errors import Refused

from . import bulk
from . import files as stored_files
from .fields import multi
from .store import Models

FIND_OPTIONS = ("sort", "page", "perPage", "expand", "fields", "skipTotal")
NOTICE = "datastore.record"  # the topic of a record a service wrote (ctx.tell)


def binding(ctx) -> Binding:
    def tell(model, action, record):
        # To the server's live events (m3m_service_notice in __init__.py): the SSE stream of the
        # model hears a service's writes as it hears the REST API's.
        ctx.tell(NOTICE, {"model": model["_id"], "action": action, "record": record})

    project_id = ctx.project["id"]
    models = Models(ctx.db, ctx.settings.datastore, tell, project_storage(ctx))
    records = models.records(project_id)
    limits = ctx.settings.datastore

    async def model(slug):
        if not isinstance(slug, str):
            raise TypeError("the model is named by its slug")
        return await models.get(project_id, slug)

    def options_of(options) -> dict:
        options = options if isinstance(options, dict) else {}
        unknown = [key for key in options if key not in FIND_OPTIONS]
        if unknown:
            raise TypeError(f"unknown option {unknown[0]!r} (known: {', '.join(FIND_OPTIONS)})")
        page, per_page = options.get("page", 1), options.get("perPage", 30)
        for name, value, high in (("page", page, 1_000_000), ("perPage", per_page, limits.max_per_page)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 1 <= value <= high:
                raise Refused(422, f"{name} must be a whole number from 1 to {high}", field=name)
        for name in ("sort", "expand", "fields"):
            if not isinstance(options.get(name, ""), str):
                raise TypeError(f"{name} must be a string like the REST parameter")
        return {"sort": options.get("sort"), "page": int(page), "per_page": int(per_page), "expand": options.get("expand", ""),
                "fields": options.get("fields", ""), "skip_total": bool(options.get("skipTotal", True))}

    def params_of(params) -> dict | None:
        if params is None:
            return None
        if not isinstance(params, dict):
            raise TypeError("params must be an object of values for the {:name} placeholders")
        return params

    async def insert(slug, doc):
        return await records.create(await model(slug), doc)

    async def insert_many(slug, docs):
        """All or nothing: every document is checked before any is written (a refusal names each
        failing one as `{index}.{key}`), and a late failure takes the written ones out again."""
        if not isinstance(docs, list):
            raise TypeError("insertMany takes an array of documents")
        return await bulk.import_rows(records, await model(slug), docs, "insertMany")

    async def get(slug, rid, options=None):
        target = await model(slug)
        options = options if isinstance(options, dict) else {}
        try:
            return await records.get(target, rid, options.get("expand", "") or "", options.get("fields", "") or "")
        except Refused as exc:
            if exc.status == 404:
                return None
            raise

    async def find(slug, filter=None, params=None, options=None):
        target = await model(slug)
        found = await records.list(target, filter=filter, params=params_of(params), **options_of(options))
        return found["items"]

    async def find_one(slug, filter=None, params=None):
        target = await model(slug)
        found = await records.list(target, filter=filter, params=params_of(params), per_page=1, skip_total=True)
        return found["items"][0] if found["items"] else None

    async def update(slug, rid, patch, options=None):
        revision = options.get("revision") if isinstance(options, dict) else None
        return await records.update(await model(slug), rid, patch, revision)

    async def delete(slug, rid):
        await records.delete(await model(slug), rid)

    async def count(slug, filter=None, params=None):
        return await records.count(await model(slug), filter, params_of(params))

    async def attach(slug, rid, key, path):
        """A file the service wrote to the project storage ($storage), copied into the record's
        file field under a new safe name, checked as the REST upload checks (maxSize, mimeTypes,
        maxSelect): a single-file field's file is replaced, a multi-file field's is added."""
        target = await model(slug)
        field = next((field for field in target["fields"] if field["key"] == key), None) if isinstance(key, str) else None
        if field is None or field["type"] != "file":
            raise Refused(404, f"{target['slug']} has no file field {key}")
        if not isinstance(path, str):
            raise TypeError("attach takes the path of a file in the project storage (as $storage names it)")
        storage = await records.files() if records.files else None
        if storage is None:
            raise stored_files.unavailable()
        doc = await records.get_doc(target, rid)
        found = await asyncio.to_thread(storage.stat, path)
        if found["type"] != "file":
            raise Refused(422, f"{key}: {path} is a folder, not a file", fields={key: {"code": "validation_invalid_type", "message": "a folder, not a file"}})
        stored_files.check_new(field, limits, doc[key], [(found["name"], found["size"])])
        kept, _, max_select = stored_files.room(field, limits, doc[key])
        name = stored_files.stored_name(found["name"])
        copy = f"{stored_files.folder(target, doc['_id'])}/{name}"
        await asyncio.to_thread(storage.copy, path, copy)
        try:
            return await records.update(target, doc["_id"], {key: kept + [name] if max_select > 1 else name}, checked=True)
        except BaseException:
            await stored_files.remove(storage, copy)
            raise

    return Binding(operations={
        "insert": insert, "insertMany": insert_many, "get": get, "find": find, "findOne": find_one,
        "update": update, "delete": delete, "count": count, "attach": attach,
    }, writes=frozenset({"insert", "insertMany", "update", "delete", "attach"}))


def project_storage(ctx):
    """files(project_id) -> async () -> the project's storage, for file fields in the worker: the
    storage plugin's Files (its path rules and quota), as `$storage` uses them. None when the
    storage plugin is blocked: file fields are then read-only here (validation_file_readonly)."""
    if "storage" in (ctx.settings.plugins.blocked or []) or "files" not in ctx.settings:
        return None
    from builtin_plugins.storage.service import Files, project_dir

    storage = Files(project_dir(ctx.settings.storage.path, ctx.project["id"]), ctx.settings.files)

    def files(project_id: str):
        async def get():
            return storage
        return get
    return files


def ts_type(field: dict) -> str:
    kind, options = field["type"], field.get("options") or {}
    if kind == "select":
        base = " | ".join(json.dumps(value) for value in options.get("values", [])) or "string"
    else:
        base = {"number": "number", "float": "number", "bool": "boolean", "document": "any", "json": "any"}.get(kind, "string")
    if multi(field):
        return f"({base})[]"
    return f"{base} | null" if field.get("nullable", True) and kind not in ("document", "json") else base


def interface_names(models: list[dict]) -> dict[str, str]:
    names, taken = {}, set()
    for doc in models:
        base = doc["slug"][0].upper() + doc["slug"][1:] + "Record"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        names[doc["slug"]] = name
        taken.add(name)
    return names


async def project_typings(app, project) -> str:
    """`interface PostsRecord { ... }` per model, and `posts: M3mDatabaseModel<PostsRecord>` on
    M3mDatabase (declared in typings.d.ts, merged here). Without an app (the typings asked for
    outside a server) there are no models to declare."""
    if getattr(app, "m3m", None) is None:
        return ""
    models = sorted((await Models(app.m3m.db, app.m3m.settings.datastore).by_slug(project["id"])).values(), key=lambda doc: doc["slug"])
    names = interface_names(models)
    lines = []
    for doc in models:
        lines.append(f"/** A record of the model {json.dumps(doc['name'])[1:-1]} (`{doc['slug']}`). */")
        lines.append(f"interface {names[doc['slug']]} extends M3mRecordBase {{")
        for field in doc["fields"]:
            about = (field.get("label") or field.get("description") or "").replace("*/", "* /")
            if about:
                lines.append(f"  /** {about} */")
            lines.append(f"  {field['key']}: {ts_type(field)};")
        lines.append("}")
    lines.append("interface M3mDatabase {")
    for doc in models:
        lines.append(f"  readonly {doc['slug']}: M3mDatabaseModel<{names[doc['slug']]}>;")
    lines.append("}")
    return "\n".join(lines) + "\n"
