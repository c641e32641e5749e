"""Records of a model: validated writes that store every field, revision-guarded updates, lists
with filter, sort, pages, expand and fields. No pydantic and no Quart: the REST routes and the
worker's `$database` both call this, so both check and answer the same way."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from kernel.errors import Refused
from kernel.times import iso, now

from . import fields as types
from . import files as stored_files
from .fields import FieldError
from .filter import compile_filter, compile_sort
from .inserts import Inserts

MAX_EXPAND_DEPTH = 3
UPDATE_ATTEMPTS = 200  # a PATCH retries its guarded write this often against concurrent ones


def collection(db, model: dict):
    return db[f"records_{model['id']}"]


def public(doc: dict) -> dict:
    """A stored record as the API shows it: id, times in ISO 8601, every field."""
    out = {"id": doc["_id"]}
    for key, value in doc.items():
        if key == "_id":
            continue
        out[key] = iso(value) if isinstance(value, datetime) else value
    return out


def refused_fields(problems: dict[str, FieldError]) -> Refused:
    fields = {key: {"code": error.code, "message": error.message} for key, error in problems.items()}
    key, error = next(iter(problems.items()))
    return Refused(422, f"{key}: {error.message}", fields=fields)


class Records:
    """The records of one project's models. `models(project)` answers {slug: model}; it is read
    afresh for each call, so a model created while a service runs is usable at once."""

    def __init__(self, db, limits, models, notify=None, files=None, inserts: Inserts | None = None) -> None:
        self.db, self.limits, self.models = db, limits, models
        self.inserts = inserts or Inserts()  # shared by the Records of one Models (inserts.py)
        self.notify = notify  # notify(model, action, record): the server's live events (events.py)
        self.files = files  # async () -> the project storage (files.py), None where there is none (a worker)

    def tell(self, model: dict, action: str, record: dict) -> None:
        if self.notify is not None:
            self.notify(model, action, record)

    # -- writes ------------------------------------------------------------------------------

    async def validate(self, model: dict, data, current: dict | None = None, uploaded: dict | None = None) -> dict:
        """The fields to store for `data` (a create when `current` is None, else a patch of it),
        or a 422 with every failing field at once. `uploaded`: {file field: names} of the files
        that come with this write (a multipart create), which `data` may name."""
        if not isinstance(data, dict):
            raise Refused(400, "a record is a JSON object", code="malformed_json")
        with types.one_write():
            return await self._validate(model, data, current, uploaded)

    async def _validate(self, model: dict, data: dict, current: dict | None, uploaded: dict | None) -> dict:
        by_key = {field["key"]: field for field in model["fields"]}
        problems: dict[str, FieldError] = {}
        for key in data:
            if key not in by_key:
                code = "validation_system_field" if key in types.SYSTEM else "validation_unknown_field"
                problems[str(key)] = FieldError(code, f"{key} is not a field of {model['slug']}" if code.endswith("unknown_field") else f"{key} is set by the server")
        out: dict = {}
        for key, field in by_key.items():
            if key in data:
                value = data[key]
            elif current is None:
                value = field["default"] if field.get("default") is not None else types.zero(field) if not field.get("nullable", True) else None
            else:
                continue
            try:
                out[key] = self.stored(field, value)
            except FieldError as exc:
                problems[key] = exc
                continue
            if field["type"] == "file":
                self.check_file_names(field, out[key], current, problems, (uploaded or {}).get(key, ()))
            if key not in problems and field.get("required") and types.blank(field, out[key]):
                problems[key] = FieldError("validation_required", "cannot be blank")
        await self.check_refs(model, out, problems)
        if problems:
            raise refused_fields(problems)
        return out

    def check_file_names(self, field: dict, value, current: dict | None, problems: dict, uploaded=()) -> None:
        """A write keeps or drops a record's uploaded files; files come in through the upload route
        or with a multipart create (`uploaded`)."""
        before = stored_files.names(current.get(field["key"]) if current else None) + list(uploaded)
        new = stored_files.names(value)
        if any(name not in before for name in new):
            problems[field["key"]] = FieldError("validation_unknown_file", "names files the record does not have; upload with POST .../records/{id}/files/{key}")
        elif self.files is None and new != before:
            problems[field["key"]] = FieldError("validation_file_readonly", "file fields are changed through the REST API, not by a service")

    def stored(self, field: dict, value):
        if value is None:
            if types.multi(field):
                return []
            if field.get("nullable", True):
                return None
            if types.zero(field) is not None:
                return types.zero(field)  # as PocketBase: a non-nullable field's blank is its zero value
            raise FieldError("validation_not_nullable", "cannot be null")
        value = types.check(field, value, self.limits)
        # Blanks of a unique field are null: it repeats freely in the unique index on both servers.
        return None if value == "" and field.get("options", {}).get("unique") else value

    async def check_refs(self, model: dict, out: dict, problems: dict) -> None:
        """Every id in a ref field names a record of the model it refers to."""
        models = None
        for field in model["fields"]:
            if field["type"] != "ref" or field["key"] in problems or not out.get(field["key"]):
                continue
            ids = out[field["key"]] if isinstance(out[field["key"]], list) else [out[field["key"]]]
            models = models if models is not None else await self.models()
            target = models.get(field["options"]["model"])
            found = set() if target is None else {doc["_id"] async for doc in collection(self.db, target).find({"_id": {"$in": ids}}, {"_id": 1})}
            missing = [item for item in ids if item not in found]
            if missing:
                problems[field["key"]] = FieldError("validation_missing_rel_records", f"no {field['options']['model']} record {missing[0]!r}")

    async def create(self, model: dict, data, checked: bool = False, rid: str | None = None) -> dict:
        """A new record; `checked` when `data` is what validate() answered already."""
        doc = {"_id": rid or str(ObjectId()), **(data if checked else await self.validate(model, data))}
        stamp = now()
        doc.update(created=stamp, updated=stamp, revision=1)
        try:
            await self.inserts.insert(collection(self.db, model), doc)
        except DuplicateKeyError as exc:
            raise self.not_unique(model, exc) from None
        self.tell(model, "create", public(doc))
        return public(doc)

    async def create_with_files(self, model: dict, data, uploads: dict[str, list[tuple[str, object]]]) -> dict:
        """A new record with its first files, `uploads` = {file field: [(client's name, uploaded part)]}
        (a multipart create, as PocketBase takes one): the fields and the files are checked as one
        write, every failing field at once, so a required file field can be filled. The files
        are written first and removed again when the insert is refused (a unique value taken)."""
        if not isinstance(data, dict):
            raise Refused(400, "a record is a JSON object", code="malformed_json")
        by_key = {field["key"]: field for field in model["fields"]}
        problems: dict[str, FieldError] = {}
        named: dict[str, list[str]] = {}
        for key, sent in uploads.items():
            field = by_key.get(key)
            if field is None or field["type"] != "file":
                problems[key] = FieldError("validation_unknown_field", f"{key} is not a file field of {model['slug']}")
                continue
            try:
                stored_files.check_new(field, self.limits, None, [(name, stored_files.size_of(part)) for name, part in sent])
            except Refused as exc:
                problems[key] = FieldError(**exc.fields[key])
                continue
            named[key] = [stored_files.stored_name(name) for name, _ in sent]
            data = {**data, key: named[key] if types.multi(field) else named[key][0]}
        try:
            checked = await self.validate(model, data, uploaded=named)
        except Refused as exc:
            if not exc.fields:
                raise
            problems.update({key: FieldError(**value) for key, value in exc.fields.items() if key not in problems})
        if problems:
            raise refused_fields(problems)
        storage = await self.files() if self.files and named else None
        if named and storage is None:
            raise stored_files.unavailable()
        rid = str(ObjectId())
        try:
            for key, names in named.items():
                for name, (_, part) in zip(names, uploads[key]):
                    await stored_files.write(storage, model, rid, name, part)
            return await self.create(model, checked, checked=True, rid=rid)
        except BaseException:
            if storage is not None:
                await stored_files.remove(storage, stored_files.folder(model, rid))
            raise

    async def update(self, model: dict, rid, patch, revision=None, checked: bool = False) -> dict:
        """Change the fields in `patch`; the rest of the record stays as it is. The write is a
        replace guarded by the record's revision, retried on a concurrent change (so concurrent
        PATCHes of different fields all survive); with `revision` given, a record that has moved
        past it is a 409 instead (If-Match)."""
        if isinstance(patch, dict) and "revision" in patch:
            patch = dict(patch)
            revision = patch.pop("revision") if revision is None else revision
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise Refused(422, "revision: must be a whole number", fields={"revision": {"code": "validation_invalid_type", "message": "must be a whole number"}})
        records = collection(self.db, model)
        current = await self.get_doc(model, rid)
        changes = patch if checked else await self.validate(model, patch, current)
        for attempt in range(UPDATE_ATTEMPTS):
            if revision is not None and current["revision"] != revision:
                raise Refused(409, f"the record is at revision {current['revision']}, not {revision}: read it again", code="stale_revision")
            new = {**current, **changes, "updated": now(), "revision": current["revision"] + 1}
            try:
                if (await records.replace_one({"_id": current["_id"], "revision": current["revision"]}, new)).matched_count:
                    await self.drop_files(model, current, new)
                    self.tell(model, "update", public(new))
                    return public(new)
            except DuplicateKeyError as exc:
                raise self.not_unique(model, exc) from None
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))
            current = await self.get_doc(model, rid)
        raise Refused(409, "the record kept changing; try again")

    async def drop_files(self, model: dict, before: dict, after: dict | None) -> None:
        """Files of `before` that `after` no longer names (its whole folder when it is gone)."""
        if after is None:
            if self.has_files(model, before):
                storage = await self.files() if self.files else None
                if storage is None:
                    raise stored_files.unavailable()
                await stored_files.remove(storage, stored_files.folder(model, before["_id"]))
            return
        for field in model["fields"]:
            if field["type"] != "file":
                continue
            kept = stored_files.names(after.get(field["key"]))
            gone = [name for name in stored_files.names(before.get(field["key"])) if name not in kept]
            if gone:
                storage = await self.files() if self.files else None
                if storage is None:
                    raise stored_files.unavailable()
                for name in gone:
                    await stored_files.remove(storage, f"{stored_files.folder(model, before['_id'])}/{name}")

    def has_files(self, model: dict, doc: dict) -> bool:
        return any(field["type"] == "file" and doc.get(field["key"]) for field in model["fields"])

    async def delete(self, model: dict, rid) -> None:
        doc = await self.get_doc(model, rid)
        if self.files is None and self.has_files(model, doc):
            raise Refused(409, "the record holds files: delete it through the REST API (a service cannot remove files)")
        await collection(self.db, model).delete_one({"_id": doc["_id"]})
        await self.drop_files(model, doc, None)
        self.tell(model, "delete", public(doc))
        await self.unlink(model, [doc["_id"]])

    async def unlink(self, model: dict, ids: list[str]) -> None:
        """Records of other models referring to deleted ones: deleted with them (cascadeDelete),
        or the reference is taken out (null, or the id out of the list)."""
        for other in (await self.models()).values():
            for field in other["fields"]:
                if field["type"] != "ref" or field["options"]["model"] != model["slug"]:
                    continue
                key, records = field["key"], collection(self.db, other)
                query = {key: {"$in": ids}}
                if field["options"].get("cascadeDelete"):
                    docs = [doc async for doc in records.find(query)]
                    gone = [doc["_id"] for doc in docs]
                    await records.delete_many({"_id": {"$in": gone}})
                    for doc in docs:
                        if self.has_files(other, doc) and self.files is not None:
                            await self.drop_files(other, doc, None)
                    if gone:
                        await self.unlink(other, gone)
                    continue
                async for doc in records.find(query):
                    value = [item for item in doc[key] if item not in ids] if isinstance(doc[key], list) else None
                    await records.replace_one({"_id": doc["_id"], "revision": doc["revision"]}, {**doc, key: value, "revision": doc["revision"] + 1})

    def not_unique(self, model: dict, exc: DuplicateKeyError) -> Refused:
        details = getattr(exc, "details", None) or {}
        # MongoDB names the key; nx-27017 only the index, `idx_{collection}_{key}`.
        keys = list((details.get("keyPattern") or {}).keys()) or [field["key"] for field in model["fields"] if field["options"].get("unique") and f"_{field['key']}'" in str(exc)]
        key = keys[0] if keys else "record"
        return refused_fields({key: FieldError("validation_not_unique", "must be unique: another record has this value")})

    # -- reads -------------------------------------------------------------------------------

    async def get_doc(self, model: dict, rid) -> dict:
        if not isinstance(rid, str) or not rid:
            raise Refused(404, "record not found")
        doc = await collection(self.db, model).find_one({"_id": rid})
        if doc is None:
            raise Refused(404, "record not found")
        return doc

    async def get(self, model: dict, rid, expand: str = "", fields: str = "") -> dict:
        [item] = await self.shape(model, [await self.get_doc(model, rid)], expand, fields)
        return item

    async def query(self, model: dict, text: str | None, params: dict | None = None) -> dict:
        models = await self.models()
        return await compile_filter(text, model, models, self.limits, self.ref_ids, params)

    async def ref_ids(self, target: dict, query: dict) -> list[str]:
        """The ids of `target`'s records matching `query`, for a condition through a ref field."""
        cap = self.limits.max_ref_matches
        ids = [doc["_id"] async for doc in collection(self.db, target).find(query, {"_id": 1}).limit(cap + 1)]
        if len(ids) > cap:
            raise Refused(400, f"filter: a condition through a ref matches more than {cap} {target['slug']} records (datastore.max_ref_matches); narrow it", code="invalid_filter", fields={"filter": "too broad a condition through a ref"})
        return ids

    async def list(self, model: dict, *, filter: str | None = None, sort: str | None = None, page: int = 1,
                   per_page: int = 30, skip_total: bool = False, expand: str = "", fields: str = "", params: dict | None = None) -> dict:
        query = await self.query(model, filter, params)
        order = compile_sort(sort if sort is not None else model.get("table", {}).get("defaultSort") or "", model)
        records = collection(self.db, model)
        cursor = records.find(query).sort(order).skip((page - 1) * per_page).limit(per_page)
        docs = [doc async for doc in cursor]
        total = -1 if skip_total else await records.count_documents(query)
        return {
            "items": await self.shape(model, docs, expand, fields),
            "page": page, "perPage": per_page, "totalItems": total,
            "totalPages": -1 if skip_total else (total + per_page - 1) // per_page,
        }

    async def count(self, model: dict, filter: str | None = None, params: dict | None = None) -> int:
        return await collection(self.db, model).count_documents(await self.query(model, filter, params))

    async def shape(self, model: dict, docs: list[dict], expand: str, fields: str) -> list[dict]:
        items = [public(doc) for doc in docs]
        tree = expand_tree(expand, model, await self.models() if expand else {})
        if tree:
            budget = ExpandBudget(self.limits.max_expand_size)
            await self.expand(items, model, tree, await self.models(), [1] * len(items), budget)
        picks = fields_tree(fields, model)
        return [pick(item, picks) for item in items] if picks else items

    async def expand(self, items: list[dict], model: dict, tree: dict, models: dict, times: list[int],
                     budget: "ExpandBudget") -> None:
        """One query per ref field per level, for all the items at once (not one per record).
        `times[i]`: how often items[i] appears in the answer (a record linked from several places
        is one dict, written out at each): what each level adds is charged to `budget` that often."""
        by_key = {field["key"]: field for field in model["fields"]}
        for key, subtree in tree.items():
            field = by_key[key]
            target = models[field["options"]["model"]]
            placed: dict[str, int] = {}  # id -> how often the answer will hold its record here
            for item, count in zip(items, times):
                value = item.get(key)
                for rid in (value if isinstance(value, list) else [value]):
                    if rid:
                        placed[rid] = placed.get(rid, 0) + count
            budget.charge(sum(placed.values()) * SMALLEST_RECORD)  # before reading them: a bound it cannot pass
            found = {doc["_id"]: public(doc) async for doc in collection(self.db, target).find({"_id": {"$in": sorted(placed)}})} if placed else {}
            budget.charge(sum(placed[rid] * max(0, json_size(record) - SMALLEST_RECORD) for rid, record in found.items()))
            if subtree and found:
                await self.expand(list(found.values()), target, subtree, models, [placed[rid] for rid in found], budget)
            for item in items:
                value = item.get(key)
                linked = [found[v] for v in value if v in found] if isinstance(value, list) else found.get(value)
                if linked is not None and linked != []:
                    item.setdefault("expand", {})[key] = linked


SMALLEST_RECORD = 100  # bytes of JSON of a record with no field: id, created, updated, revision


def json_size(record: dict) -> int:
    return len(json.dumps(record, ensure_ascii=False, default=str))


class ExpandBudget:
    """What the expanded records of one answer may take: datastore.max_expand_size bytes of JSON,
    each record counted every time the answer holds it. A ref field of 1000 ids on a page of 500
    records, expanded three levels deep through a model that refers to itself, is a few hundred
    stored records and an answer of 500 * 1000^3 of them: without a bound, building it took
    the server's memory and its event loop (measured: 100 such records, two levels, 3 GB and 20 s).
    Expanded records cost their JSON; the rest of an answer is what was stored, once."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def charge(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise Refused(400, f"expand: the expanded records would take more than {self.limit} bytes "
                          "(datastore.max_expand_size); expand fewer fields or levels, or ask for fewer records",
                          code="invalid_expand", fields={"expand": f"more than {self.limit} bytes of expanded records"})


def expand_tree(text: str, model: dict, models: dict) -> dict:
    """`author,tags.owner` -> {"author": {}, "tags": {"owner": {}}}, each step a ref field."""
    tree: dict = {}
    for part in filter(None, (part.strip() for part in (text or "").split(","))):
        steps = part.split(".")
        if len(steps) > MAX_EXPAND_DEPTH:
            raise Refused(400, f"expand: {part} is deeper than {MAX_EXPAND_DEPTH}", code="invalid_expand", fields={"expand": f"at most {MAX_EXPAND_DEPTH} levels"})
        node, current = tree, model
        for step in steps:
            field = next((field for field in current["fields"] if field["key"] == step), None)
            if field is None or field["type"] != "ref":
                raise Refused(400, f"expand: {step} is not a ref field of {current['slug']}", code="invalid_expand", fields={"expand": f"{step} is not a ref field"})
            current = models.get(field["options"]["model"])
            if current is None:
                raise Refused(400, f"expand: {step} refers to a model that no longer exists", code="invalid_expand", fields={"expand": step})
            node = node.setdefault(step, {})
    return tree


def fields_tree(text: str, model: dict) -> dict:
    """`id,title,expand.author.name` -> {"id": {}, "title": {}, "expand": {"author": {"name": {}}}}."""
    tree: dict = {}
    known = {*types.SYSTEM, "expand", "*", *(field["key"] for field in model["fields"])}
    for part in filter(None, (part.strip() for part in (text or "").split(","))):
        steps = part.split(".")
        if steps[0] not in known:
            raise Refused(400, f"fields: {steps[0]!r} is not a field of {model['slug']}", code="invalid_fields", fields={"fields": f"{steps[0]!r} is not a field"})
        node = tree
        for step in steps:
            node = node.setdefault(step, {})
    return tree


def pick(value, tree: dict):
    if not tree or "*" in tree and len(tree) == 1:
        return value
    if isinstance(value, list):
        return [pick(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    keys = value.keys() if "*" in tree else [key for key in tree if key in value]
    return {key: pick(value[key], tree.get(key, {})) for key in keys}
