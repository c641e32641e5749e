"""Data store REST endpoints (docs/api.md "Data store", docs/datastore.md): models and their records."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response, current_app, jsonify, request
from quart_schema import document_querystring, tag

from kernel.api import Answer, accepts, allow_body, answers, body, disposition, load_model, read_json
from kernel.cache import ShortCache
from kernel.content import FILE_HEADERS
from kernel.errors import Refused
from kernel.plugins import app_service, await_me_maybe
from kernel.tenancy import require_project, while_reachable

from . import bulk
from . import files as stored_files
from .events import Events
from .models import FieldIn, FormIn, ModelIn, ModelPatch, TableIn, check_definition
from .store import Models, public_model

blueprint = Blueprint("datastore", __name__)


class DataModel(Answer):
    """A model of the data store: its definition as it was checked (the request's parts), and its id and times."""

    id: str
    name: str
    slug: str
    fields: list[FieldIn]
    table: TableIn
    form: FormIn
    created: str
    updated: str


class Record(BaseModel):
    """A record: `id`, `created`, `updated`, `revision` and the model's own fields (docs/datastore.md)."""

    model_config = ConfigDict(extra="allow")
    id: str


class RecordPage(Answer):
    items: list[Record]
    page: int
    perPage: int
    totalItems: int  # -1 with skipTotal
    totalPages: int


class BatchIn(BaseModel):
    requests: list[dict[str, Any]]  # {action: create|update|delete, id?, data?, revision?}, checked by bulk.batch


class BatchResults(Answer):
    results: list[Record | None]  # in the order of the requests; null for a delete


class ImportedRecords(Answer):
    created: int


class FileParts(BaseModel):
    file: list[bytes] = Field(json_schema_extra={"items": {"type": "string", "format": "binary"}})


class RecordQuery(BaseModel):
    expand: str = ""  # Ref fields to replace by their records, comma-separated
    fields: str = ""  # the fields to answer, comma-separated


class RecordListQuery(RecordQuery):
    filter: str = ""  # PocketBase's grammar: title ~ "abc" && count > 3
    sort: str = ""  # -created,title
    page: int = Field(1, ge=1, le=1_000_000)
    perPage: int = Field(30, ge=1)  # the model's pageSize by default; at most datastore.max_per_page
    skipTotal: str = ""  # 1, true or yes: no totals (both -1), which is faster


class FormatQuery(BaseModel):
    format: Literal["json", "csv"] = "json"


def models(app=None) -> Models:
    return app_service("m3m.datastore", lambda app: Models(app.m3m.db, app.m3m.settings.datastore, events(app).publish, project_files(app), ShortCache()), app)


def project_files(app):
    """files(project_id) -> an async function answering the project's storage (m3m_project_files)."""
    def files(project_id: str):
        async def storage():
            return await await_me_maybe(app.m3m.pm.hook.m3m_project_files(app=app, project_id=project_id))
        return storage
    return files


def events(app=None) -> Events:
    return app_service("m3m.datastore.events", lambda app: Events(), app)


async def project_model(pid: str, ref: str) -> tuple[dict, dict]:
    project, _ = await require_project(pid)
    return project, await models().get(project["id"], ref)


def whole(name: str, raw, default: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Refused(400, f"{name}: must be a whole number", fields={name: "must be a whole number"}) from None
    if not 1 <= value <= high:
        raise Refused(400, f"{name}: must be from 1 to {high}", fields={name: f"must be from 1 to {high}"})
    return value


def if_match() -> int | None:
    """The revision of If-Match ("3", W/"3" or 3); None when the header is absent."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise Refused(400, "If-Match: give the record's revision, as its ETag says", fields={"If-Match": "not a revision"})
    return int(text)


def with_etag(record: dict, status: int = 200):
    response = jsonify(record)
    response.status_code = status
    response.headers["ETag"] = f'"{record["revision"]}"'
    return response


# -- models ----------------------------------------------------------------------------------


@blueprint.get("/api/projects/<pid>/models")
@tag(["datastore"])
@answers(200, list[DataModel])
async def list_models(pid: str):
    """The project's models, by name."""
    project, _ = await require_project(pid)
    return jsonify(await models().list(project["id"]))


@blueprint.post("/api/projects/<pid>/models")
@tag(["datastore"])
@answers(201, DataModel)
@body(ModelIn)
async def create_model(pid: str, data: ModelIn):
    """A new model: fields, table and form configs are checked together (422 names the place)."""
    project, _ = await require_project(pid)
    store = models()
    return await store.create(project["id"], check_definition(data, store.limits)), 201


@blueprint.get("/api/projects/<pid>/models/<ref>")
@tag(["datastore"])
@answers(200, DataModel)
async def get_model(pid: str, ref: str):
    _, model = await project_model(pid, ref)
    return public_model(model)


@blueprint.patch("/api/projects/<pid>/models/<ref>")
@tag(["datastore"])
@answers(200, DataModel)
@body(ModelPatch)
async def update_model(pid: str, ref: str, data: ModelPatch):
    """Change a model; its records follow (added fields get their default, removed ones go,
    `renames` move values, a type change that does not convert every value is a 409)."""
    project, model = await project_model(pid, ref)
    merged = {**public_model(model), **data.model_dump(exclude_unset=True, exclude={"renames"})}
    for name in ("id", "created", "updated"):
        merged.pop(name)
    store = models()
    definition = check_definition(load_model(ModelIn, merged), store.limits)
    return await store.update(project["id"], model, definition, data.renames)


@blueprint.delete("/api/projects/<pid>/models/<ref>")
@tag(["datastore"])
@answers(204)
async def delete_model(pid: str, ref: str):
    """Delete a model and its records; refused (409) while another model's ref points at it."""
    project, model = await project_model(pid, ref)
    await models().delete(project["id"], model)
    return "", 204


# -- records ---------------------------------------------------------------------------------


@blueprint.get("/api/projects/<pid>/models/<ref>/records")
@tag(["datastore"])
@answers(200, RecordPage)
@document_querystring(RecordListQuery)
async def list_records(pid: str, ref: str):
    """?filter=&sort=&page=&perPage=&skipTotal=&expand=&fields= (PocketBase's grammar)."""
    project, model = await project_model(pid, ref)
    store, args = models(), request.args
    per_page_default = model.get("table", {}).get("pageSize") or 30
    result = await store.records(project["id"]).list(
        model, filter=args.get("filter"), sort=args.get("sort"),
        page=whole("page", args.get("page"), 1, 1_000_000),
        per_page=whole("perPage", args.get("perPage"), min(per_page_default, store.limits.max_per_page), store.limits.max_per_page),
        skip_total=args.get("skipTotal", "").lower() in ("1", "true", "yes"),
        expand=args.get("expand", ""), fields=args.get("fields", ""),
    )
    return jsonify(result)


@blueprint.post("/api/projects/<pid>/models/<ref>/records")
@tag(["datastore"])
@answers(201, Record)
@accepts("application/json", dict[str, Any], "the record's fields (checked against the model)")
@accepts("multipart/form-data", dict[str, Any], "or the fields as JSON in a part `@jsonPayload` and files in parts named by their file field")
async def create_record(pid: str, ref: str):
    """A new record; every field is checked at once (422 with `error.fields` = {key: {code, message}}).
    Multipart, it comes with its files (a required file field can be filled this way)."""
    project, model = await project_model(pid, ref)
    records = models().records(project["id"])
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):  # (a form without files is the latter)
        data, uploads = await multipart_record(model)
        return with_etag(await records.create_with_files(model, data, uploads), 201)
    return with_etag(await records.create(model, await read_json()), 201)


JSON_PAYLOAD = "@jsonPayload"  # the part PocketBase's SDK sends a record's fields in


def allow_upload(most: int) -> None:
    """A request carrying files for file fields: at most what the fields take (`most`, from their
    options, which a member chooses) and never more than the server lets any upload into a
    project's storage (files.max_upload), where these files go."""
    files = getattr(current_app.m3m.settings, "files", None)
    allow_body(min(most, files.max_upload) if files is not None else most)


async def multipart_record(model: dict) -> tuple[Any, dict[str, list[tuple[str, Any]]]]:
    """(the fields, {file field: [(client's name, uploaded part)]}) of a multipart create. A form
    value other than `@jsonPayload` is refused: a field's type is never guessed from text."""
    limits = models().limits
    allow_upload(sum(stored_files.most_bytes(field, limits) for field in model["fields"] if field["type"] == "file") + 1024**2)
    form, files = await request.form, await request.files
    if JSON_PAYLOAD not in form and not files:  # e.g. a body without its boundary: parsed as nothing
        raise Refused(400, f"the form holds neither {JSON_PAYLOAD} nor a file part", code="malformed_body",
                      fields={JSON_PAYLOAD: "missing, and no file part either"})
    stray = [key for key in form if key != JSON_PAYLOAD]
    if stray:
        raise Refused(400, f"{stray[0]}: send the record's fields as JSON in the part {JSON_PAYLOAD}",
                      fields={key: f"not a file: send it in {JSON_PAYLOAD}" for key in stray})
    sent_as_file = files.get(JSON_PAYLOAD)  # (a client may send the JSON as a part with a file name)
    raw = sent_as_file.read().decode("utf-8", "replace") if sent_as_file else form.get(JSON_PAYLOAD, "")
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise Refused(400, f"{JSON_PAYLOAD} is not valid JSON: {exc}", code="malformed_json", fields={JSON_PAYLOAD: "not valid JSON"}) from None
    except RecursionError:
        raise Refused(400, f"{JSON_PAYLOAD} is JSON nested too deeply", code="malformed_json", fields={JSON_PAYLOAD: "nested too deeply"}) from None
    return data, {key: [(part.filename or "", part) for part in files.getlist(key)] for key in files if key != JSON_PAYLOAD}


@blueprint.get("/api/projects/<pid>/models/<ref>/records/<rid>")
@tag(["datastore"])
@answers(200, Record)
@document_querystring(RecordQuery)
async def get_record(pid: str, ref: str, rid: str):
    project, model = await project_model(pid, ref)
    record = await models().records(project["id"]).get(model, rid, request.args.get("expand", ""), request.args.get("fields", ""))
    return with_etag(record) if "revision" in record else jsonify(record)


@blueprint.patch("/api/projects/<pid>/models/<ref>/records/<rid>")
@tag(["datastore"])
@answers(200, Record)
@accepts("application/json", dict[str, Any], "the fields to change (and `revision`, for a write that must not be stale)")
async def update_record(pid: str, ref: str, rid: str):
    """Change some fields; `If-Match: "<revision>"` (or `revision` in the body) makes a stale write a 409."""
    project, model = await project_model(pid, ref)
    return with_etag(await models().records(project["id"]).update(model, rid, await read_json(), if_match()))


@blueprint.delete("/api/projects/<pid>/models/<ref>/records/<rid>")
@tag(["datastore"])
@answers(204)
async def delete_record(pid: str, ref: str, rid: str):
    project, model = await project_model(pid, ref)
    await models().records(project["id"]).delete(model, rid)
    return "", 204


@blueprint.post("/api/projects/<pid>/models/<ref>/records/batch")
@tag(["datastore"])
@answers(200, BatchResults)
@accepts("application/json", BatchIn)
async def batch_records(pid: str, ref: str):
    """{requests: [{action: create|update|delete, id?, data?, revision?}]}: every request is checked
    first (a 422 names them as `{index}.{key}`), then applied; a write failing after that undoes the
    ones before it. The answer lists each result (null for a delete)."""
    project, model = await project_model(pid, ref)
    store = models()
    data = await read_json()
    requests = data.get("requests") if isinstance(data, dict) else None
    return jsonify({"results": await bulk.batch(store.records(project["id"]), model, requests, store.limits.max_batch)})


@blueprint.get("/api/projects/<pid>/models/<ref>/records/events")
@tag(["datastore"])
@answers(200, media="text/event-stream")
async def record_events(pid: str, ref: str):
    """Server-sent events `create` / `update` / `delete` with `{action, record}` (this server's
    writes), until the caller may no longer reach the project."""
    project, model = await project_model(pid, ref)
    stream = while_reachable(project["id"], events().stream(model["_id"], models().limits.events_ping))
    response = Response(stream, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


@blueprint.get("/api/projects/<pid>/models/<ref>/records/export")
@tag(["datastore"])
@answers(200, list[Record], media="application/json", description="Every record: a JSON array (?format=json), or CSV")
@answers(200, media="text/csv")
@document_querystring(FormatQuery)
async def export_records(pid: str, ref: str):
    """Every record, `?format=json` (an array) or `csv` (lists and documents as JSON in the cell)."""
    project, model = await project_model(pid, ref)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Refused(400, "format: json or csv", fields={"format": "json or csv"})
    text, content_type = await bulk.export(models().records(project["id"]), model, fmt)
    response = Response(text, content_type=content_type)  # (mimetype= would add a second charset)
    response.headers["Content-Disposition"] = disposition(f"{model['slug']}.{fmt}")
    return response


@blueprint.post("/api/projects/<pid>/models/<ref>/records/import")
@tag(["datastore"])
@answers(201, ImportedRecords)
@accepts("application/json", list[dict[str, Any]], "a JSON array of records, or CSV with ?format=csv (text/csv)")
@document_querystring(FormatQuery)
async def import_records(pid: str, ref: str):
    """A JSON array or CSV (`?format=`, else from Content-Type) through the same validation; any
    refused row is a 422 listing every one (`{row}.{key}`), and nothing is written."""
    project, model = await project_model(pid, ref)
    store = models()
    allow_body(store.limits.max_import_body)
    fmt = request.args.get("format") or ("csv" if "csv" in (request.content_type or "") else "json")
    if fmt not in ("json", "csv"):
        raise Refused(400, "format: json or csv", fields={"format": "json or csv"})
    raw = await request.get_data(as_text=False)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(400, "the import is not UTF-8 text", code="malformed_body") from None
    rows = bulk.rows_of(text, fmt, model, store.limits.max_import)
    return jsonify({"created": len(await bulk.import_rows(store.records(project["id"]), model, rows))}), 201


async def file_field(pid: str, ref: str, rid: str, key: str):
    project, model = await project_model(pid, ref)
    field = next((field for field in model["fields"] if field["key"] == key), None)
    if field is None or field["type"] != "file":
        raise Refused(404, f"{model['slug']} has no file field {key}")
    records = models().records(project["id"])
    return model, field, records, await records.get_doc(model, rid)


@blueprint.post("/api/projects/<pid>/models/<ref>/records/<rid>/files/<key>")
@tag(["datastore"])
@answers(200, Record)
@accepts("multipart/form-data", FileParts, "one or more parts named file")
async def upload_files(pid: str, ref: str, rid: str, key: str):
    """Multipart `file` parts into a file field: a single-file field's file is replaced, a
    multi-file field's are added (up to maxSelect). Checked: maxSize, mimeTypes (by name)."""
    model, field, records, doc = await file_field(pid, ref, rid, key)
    storage = await records.files()
    if storage is None:
        raise stored_files.unavailable()
    kept, max_size, max_select = stored_files.room(field, models().limits, doc[key])
    allow_upload(max_size * max_select + 1024**2)
    parts = (await request.files).getlist("file")
    if not parts:
        raise Refused(422, "file: send the files as multipart parts named file", fields={key: {"code": "validation_required", "message": "no file part"}})
    stored_files.check_new(field, models().limits, doc[key], [(part.filename or "", stored_files.size_of(part)) for part in parts])
    uploads = [(stored_files.stored_name(part.filename or "file"), part) for part in parts]
    written = []
    try:
        for name, part in uploads:
            await stored_files.write(storage, model, doc["_id"], name, part)
            written.append(name)
        names = kept + written
        record = await records.update(model, doc["_id"], {key: names if max_select > 1 else names[0]}, checked=True)
    except BaseException:
        for name in written:
            await stored_files.remove(storage, f"{stored_files.folder(model, doc['_id'])}/{name}")
        raise
    return with_etag(record)


@blueprint.get("/api/projects/<pid>/models/<ref>/records/<rid>/files/<key>/<name>")
@tag(["datastore"])
@answers(200, media="*/*", description="The file")
async def download_file(pid: str, ref: str, rid: str, key: str, name: str):
    """One file of a record (an attachment, images inline; never a live page of this origin)."""
    model, field, records, doc = await file_field(pid, ref, rid, key)
    if name not in stored_files.names(doc[key]):
        raise Refused(404, "file not found")
    storage = await records.files()
    if storage is None:
        raise stored_files.unavailable()
    mime = stored_files.mime_of(name)
    size, chunks = await stored_files.opened(storage, model, doc["_id"], name)
    response = Response(chunks, mimetype=mime)
    response.content_length = size
    response.timeout = None  # a large file takes as long as it takes
    inline = mime.startswith("image/") and mime != "image/svg+xml"
    response.headers["Content-Disposition"] = disposition(name, inline=inline)
    response.headers.update(FILE_HEADERS)
    return response
