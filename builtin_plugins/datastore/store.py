"""A project's models (collection `datastore_models`) and the changes of a model that has records:
added fields get their default (or null), removed ones go, renamed keys move their values, a type
changes only when every stored value converts. No pydantic here (the routes check definitions
with models.py); the worker reads models through `Models.by_slug`."""

from __future__ import annotations

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from kernel.errors import Refused
from kernel.times import iso, now

from . import fields as types
from . import files as stored_files
from .fields import FieldError
from .inserts import Inserts
from .records import Records, collection, public

SAMPLE = 1  # ids named in a refused type change


def public_model(doc: dict) -> dict:
    return {
        "id": doc["_id"], "name": doc["name"], "slug": doc["slug"], "fields": doc["fields"],
        "table": doc["table"], "form": doc["form"], "created": iso(doc["created"]), "updated": iso(doc["updated"]),
    }


def number_of(text: str):
    """A numeric string as its number (for a type change), or the text unchanged (refused later)."""
    try:
        return int(text.strip())
    except ValueError:
        try:
            return float(text.strip())
        except ValueError:
            return text


class Models:
    def __init__(self, db, limits, notify=None, files=None, cache=None) -> None:
        self.db, self.limits, self.notify = db, limits, notify
        self.files = files  # files(project_id) -> async () -> the project storage; None in a worker
        self.models = db["datastore_models"]
        # The server's: a project's models read once a second at most (kernel.cache.ShortCache),
        # cleared by every change of a model below. None in a worker, which reads them on every
        # call: the server changes models, and a worker must never write a record in an old shape.
        self.cache = cache
        self.inserts = Inserts()  # concurrent inserts into one model share a write (inserts.py)

    async def ensure_indexes(self) -> None:
        await self.models.create_index([("projectRef", ASCENDING), ("slug", ASCENDING)], unique=True)

    def records(self, project_id: str) -> Records:
        return Records(self.db, self.limits, lambda: self.by_slug(project_id), self.notify,
                       self.files(project_id) if self.files else None, self.inserts)

    async def by_slug(self, project_id: str) -> dict[str, dict]:
        """{slug: model} of the project; the dicts may be shared (cached): read them, never change them."""
        if self.cache is None:
            return await self.read(project_id)
        return await self.cache.get(project_id, lambda: self.read(project_id))

    async def read(self, project_id: str) -> dict[str, dict]:
        return {doc["slug"]: {**doc, "id": doc["_id"]} async for doc in self.models.find({"projectRef": project_id})}

    def changed(self) -> None:
        if self.cache is not None:
            self.cache.clear()

    async def list(self, project_id: str) -> list[dict]:
        return [public_model(doc) for doc in sorted((await self.by_slug(project_id)).values(), key=lambda doc: doc["name"].lower())]

    async def get(self, project_id: str, ref: str) -> dict:
        """The model by id or slug, with `id` set (records need it), or a 404."""
        for doc in (await self.by_slug(project_id)).values():
            if ref in (doc["_id"], doc["slug"]):
                return doc
        raise Refused(404, "model not found")

    async def check_refs(self, project_id: str, definition: dict, own_slug: str | None) -> None:
        models = await self.by_slug(project_id)
        slugs = set(models) - ({own_slug} if own_slug else set()) | {definition["slug"]}
        problems = {}
        for index, field in enumerate(definition["fields"]):
            if field["type"] == "ref" and field["options"]["model"] not in slugs:
                problems[f"fields.{index}.options.model"] = f"no model {field['options']['model']!r} in this project"
        if problems:
            first = next(iter(problems.items()))
            raise Refused(422, f"{first[0]}: {first[1]}", fields=problems)

    async def create(self, project_id: str, definition: dict) -> dict:
        if await self.models.count_documents({"projectRef": project_id}) >= self.limits.max_models:
            raise Refused(409, f"a project has at most {self.limits.max_models} models (datastore.max_models)")
        await self.check_refs(project_id, definition, None)
        stamp = now()
        doc = {"_id": str(ObjectId()), "projectRef": project_id, **definition, "created": stamp, "updated": stamp, "revision": 1}
        try:
            await self.models.insert_one(doc)
        except DuplicateKeyError:
            raise Refused(409, f"slug {definition['slug']} is taken in this project", field="slug") from None
        self.changed()
        await self.sync_indexes({**doc, "id": doc["_id"]})
        return public_model(doc)

    async def update(self, project_id: str, current: dict, definition: dict, renames: dict[str, str]) -> dict:
        """Save a changed definition and bring the records along (see migrate)."""
        await self.check_refs(project_id, definition, current["slug"])
        if definition["slug"] != current["slug"]:
            await self.refused_if_referred(project_id, current, "renamed")
        await self.migrate(current, definition, renames)
        await self.sync_indexes({**current, **definition})
        new = {**current, **definition, "updated": now(), "revision": current.get("revision", 0) + 1}
        new.pop("id", None)
        try:
            result = await self.models.replace_one({"_id": current["_id"], "revision": current.get("revision")}, new)
        except DuplicateKeyError:
            raise Refused(409, f"slug {definition['slug']} is taken in this project", field="slug") from None
        finally:
            self.changed()
        if not result.matched_count:
            raise Refused(409, "the model changed meanwhile; read it again")
        return public_model(new)

    async def refused_if_referred(self, project_id: str, model: dict, what: str) -> None:
        for other in (await self.by_slug(project_id)).values():
            if other["_id"] == model["_id"]:
                continue
            for field in other["fields"]:
                if field["type"] == "ref" and field["options"]["model"] == model["slug"]:
                    raise Refused(409, f"{other['slug']}.{field['key']} refers to {model['slug']}: change that field first, then this model can be {what}", field="slug")

    async def delete(self, project_id: str, model: dict) -> None:
        await self.refused_if_referred(project_id, model, "deleted")
        if any(field["type"] == "file" for field in model["fields"]):
            storage = await self.files(project_id)() if self.files else None
            if storage is None:
                raise stored_files.unavailable()
            await stored_files.remove(storage, stored_files.folder(model))
        await collection(self.db, model).drop()
        await self.models.delete_one({"_id": model["_id"]})
        self.changed()

    async def delete_project(self, project_id: str) -> None:
        for model in (await self.by_slug(project_id)).values():
            await collection(self.db, model).drop()
        await self.models.delete_many({"projectRef": project_id})
        self.changed()

    async def migrate(self, current: dict, definition: dict, renames: dict[str, str]) -> None:
        """Every record gets the new shape. A first pass converts every value in memory and counts
        those that do not convert (a 409 with the count and a sample id, nothing written); the
        second writes each record whose shape changed. A rename moves a value only when the old key
        is still there, so a run interrupted half-way is finished by running it again."""
        old = {field["key"]: field for field in current["fields"]}
        new = {field["key"]: field for field in definition["fields"]}
        problems = {}
        for source, target in renames.items():
            if source not in old or target not in new or source == target or source in new:
                problems[f"renames.{source}"] = "rename an existing key to a new key of `fields` (and drop the old one from it)"
        if problems:
            raise Refused(422, next(iter(problems.values())), fields=problems)
        origin = {target: source for source, target in renames.items()}
        records = collection(self.db, current)
        bad: dict[str, list] = {}
        with types.one_write():  # a pattern too slow on one stored value refuses the change: no other is run
            async for doc in records.find({}):
                _, failed = self.reshaped(doc, old, new, origin)
                for key in failed:
                    bad.setdefault(key, []).append(doc["_id"])
        if bad:
            key, ids = next(iter(bad.items()))
            raise Refused(409, f"{len(ids)} records hold a {key} value that does not fit it as a {'required ' if new[key].get('required') else ''}{new[key]['type']} field (e.g. record {ids[0]}); change those first",
                          code="conversion_failed", fields={key: f"{len(ids)} records do not convert, e.g. {ids[0]}"})
        async for doc in records.find({}):
            shaped, _ = self.reshaped(doc, old, new, origin)
            if shaped != doc:
                await records.replace_one({"_id": doc["_id"], "revision": doc["revision"]}, {**shaped, "revision": doc["revision"] + 1})

    def reshaped(self, doc: dict, old: dict, new: dict, origin: dict) -> tuple[dict, list[str]]:
        out = {key: value for key, value in doc.items() if key in ("_id", "created", "updated", "revision") or key in new}
        failed = []
        for key, field in new.items():
            source = origin.get(key, key)
            if key in doc and (key not in origin or origin[key] not in doc):
                value = doc[key]  # already there (or moved by an earlier, interrupted run)
            elif source in doc:
                value = doc[source]
            else:
                default = field.get("default")
                out[key] = default if default is not None else types.zero(field) if not field.get("nullable", True) or types.multi(field) else None
                if out[key] is not None and field["type"] == "datetime":
                    out[key] = types.parse_datetime(default)
                continue
            before = old.get(source)
            if before is not None and (before["type"], types.multi(before)) == (field["type"], types.multi(field)) and field["type"] not in ("select", "ref"):
                out[key] = value
                if field.get("required") and types.blank(field, value):
                    failed.append(key)
                continue
            try:
                out[key] = self.converted(before, field, value)
            except FieldError:
                failed.append(key)
        return out, failed

    def converted(self, before: dict | None, field: dict, value):
        records = Records(self.db, self.limits, None)
        if before is not None and before["type"] != field["type"] and "file" in (before["type"], field["type"]) and value not in (None, "", []):
            raise FieldError("validation_invalid_type", "files stay in file fields")
        plain = public({"_id": "", "v": value})["v"]  # datetimes as ISO text, as an API client would send
        if field["type"] in types.TEXTUAL and isinstance(plain, (int, float)) and not isinstance(plain, bool):
            plain = str(plain)
        elif field["type"] in ("number", "float") and isinstance(plain, str) and plain.strip():
            plain = number_of(plain)
        elif field["type"] == "bool" and isinstance(plain, str) and plain.strip().lower() in ("true", "false"):
            plain = plain.strip().lower() == "true"
        if types.multi(field) and plain is not None and not isinstance(plain, list):
            plain = [plain]
        if not types.multi(field) and isinstance(plain, list):
            if len(plain) > 1:
                raise FieldError("validation_too_many_values", "holds several values")
            plain = plain[0] if plain else None
        stored = records.stored(field, plain)
        if field.get("required") and types.blank(field, stored):
            raise FieldError("validation_required", "cannot be blank")
        return stored

    async def sync_indexes(self, model: dict) -> None:
        """`unique` option -> a unique index on the field; filterable and sortable columns get
        plain ones; indexes of fields no longer unique or present go. Indexes are told apart by
        their keys, not names: nx-27017 ignores the name given (and partialFilterExpression), so
        blank values of a unique field are stored as null, which repeats freely on both servers
        under the partial filter (docs/database.md)."""
        records = collection(self.db, model)
        wanted: dict[str, bool] = {}
        kinds = {field["key"]: "number" if field["type"] in ("number", "float") else "string" for field in model["fields"]}
        for field in model["fields"]:
            if field["options"].get("unique"):
                wanted[field["key"]] = True
        table = model.get("table") or {}
        for key in [*table.get("sortable", []), *table.get("filterable", [])]:
            if key != "id":
                wanted.setdefault(key, False)
        existing: dict[str, tuple[str, bool]] = {}
        async for index in await records.list_indexes():
            keys = list(index["key"].keys())
            if len(keys) == 1 and keys[0] != "_id":
                existing[keys[0]] = (index["name"], bool(index.get("unique")))
        for key, (name, unique) in existing.items():
            if wanted.get(key) != unique:
                await records.drop_index(name)
        for key, unique in wanted.items():
            if key in existing and existing[key][1] == unique:
                continue
            options = {"unique": True, "partialFilterExpression": {key: {"$type": kinds[key]}}} if unique else {}
            try:
                await records.create_index([(key, ASCENDING)], name=f"{'unique' if unique else 'plain'}_{key}", **options)
            except OperationFailure as exc:
                # MongoDB: DuplicateKeyError (11000); nx-27017: OperationFailure "UNIQUE constraint failed".
                if not isinstance(exc, DuplicateKeyError) and exc.code != 11000 and "UNIQUE constraint" not in str(exc):
                    raise
                async for index in await records.list_indexes():
                    if list(index["key"].keys()) == [key]:
                        await records.drop_index(index["name"])
                raise Refused(409, f"{key} cannot be unique: records already repeat a value", field=key) from None
