"""Importing a project archive, whose every byte may be an attacker's (docs/operations.md
"Moving a project").

1. The archive is extracted into a scratch folder by kernel.archives: names, kinds, sizes and
   the member count are checked before any data is read (export.max_import_size,
   export.max_import_members); then every part is checked against the manifest's sha256.
2. A dry run checks every document against what the running plugins declare
   (m3m_project_collections) and gives it its new ids: see `Plan.document`. The ids of the
   archive are kept in a SQLite file in the scratch folder, so memory does not grow with them.
3. Only then is anything written: the project's document first (its slug may clash), the rest,
   the files; a failure half-way removes everything written under the new project's id.

Any refusal is a 422 on the field `file` whose message names the member, collection, document
and field at fault; a bound passed is a 413.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from itertools import islice
from pathlib import Path

import bson
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from builtin_plugins.storage.paths import segments
from kernel.archives import ArchiveRefused, dump_documents, extract, manifest_of
from kernel.db import COLLECTION_NAME
from kernel.errors import Refused
from kernel.plugins import await_me_maybe, hook_results

from .service import CODEC, FORMAT, FORMAT_VERSION, declared_collections, declared_folders

HEX = re.compile(r"^[0-9a-f]{24}$")
BATCH = 500


def refused(reason: str, too_large: bool = False) -> Refused:
    if too_large:
        return Refused(413, f"the archive is too large: {reason} (export.max_import_size, export.max_import_members)",
                       field="file")
    return Refused(422, f"the archive is refused: {reason}", field="file")


class Ids:
    """Every id of the archive's documents -> (its new id, its collection), in SQLite."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)  # one thread at a time, never two
        self.db.execute("CREATE TABLE ids (old TEXT PRIMARY KEY, new TEXT NOT NULL, collection TEXT NOT NULL)")

    def add(self, old: str, new: str, collection: str) -> bool:
        try:
            self.db.execute("INSERT INTO ids VALUES (?, ?, ?)", (old, new, collection))
            return True
        except sqlite3.IntegrityError:
            return False

    def get(self, old: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT new, collection FROM ids WHERE old = ?", (old,)).fetchone()
        return (row[0], row[1]) if row else None

    def close(self) -> None:
        self.db.close()


class Plan:
    """What the archive may write, from the running plugins' declarations, and the rules each
    document is held to."""

    def __init__(self, declared: dict[str, dict], old_project: str, new_project: ObjectId, ids: Ids,
                 wanted: str | None) -> None:
        self.declared, self.old_project, self.new_project = declared, old_project, new_project
        self.ids, self.wanted = ids, wanted

    def target(self, name: str) -> tuple[str, dict]:
        """The collection an archived one goes to, and its declaration: a declared name, or one
        collection per document of another (`each`), named after that document's (new) id."""
        if name in self.declared and "each" not in self.declared[name]:
            return name, self.declared[name]
        for template, spec in self.declared.items():
            head, _, tail = template.partition("{id}")
            if "each" in spec and name.startswith(head) and name.endswith(tail) and len(name) > len(head + tail):
                found = self.ids.get(name[len(head):len(name) - len(tail)])
                if found and found[1] == spec["each"]:
                    return template.replace("{id}", found[0]), spec
                raise refused(f"db/{name}.bson names no {spec['each']} document of the archive")
        raise refused(f"the collection {name} is not one the plugins here keep for a project")

    def register(self, collection: str, spec: dict, index: int, doc: dict) -> None:
        """First pass: the document's own id, its project and the fields no import may set."""
        where = f"{collection} document {index}"
        old = doc.get("_id")
        if not (isinstance(old, ObjectId) or (isinstance(old, str) and HEX.match(old))):
            raise refused(f"{where}: _id {old!r} is not an id")
        field = spec.get("field")
        if "each" not in spec:
            expected = ObjectId(self.old_project) if field == "_id" else self.old_project
            if doc.get(field) != expected or type(doc.get(field)) is not type(expected):
                raise refused(f"{where}: {field} {doc.get(field)!r} is not the archive's project")
        new = str(self.new_project) if field == "_id" else str(ObjectId())
        if not self.ids.add(str(old), new, collection):
            raise refused(f"{where}: _id {old} comes twice in the archive")
        for path in spec.get("omit", ()):
            if _has(doc, path):
                raise refused(f"{where}: {path} is never taken from an archive (its plugin leaves it out)")
        _check_keys(doc, set(spec.get("data", ())), where)

    def document(self, collection: str, spec: dict, index: int, doc: dict) -> dict:
        """Second pass: the document with every id of the archive replaced by its new one; its
        references must name documents of the archive, and no other id may appear in it."""
        where = f"{collection} document {index}"
        for field, other in (spec.get("references") or {}).items():
            found = self.ids.get(str(doc.get(field)))
            if found is None or found[1] != other:
                raise refused(f"{where}: {field} {doc.get(field)!r} names no {other} document of the archive")
        new = self._remap(doc, where)
        check, unique = spec.get("check"), spec.get("unique")
        if check is not None:
            try:
                check(new)
            except ValueError as exc:
                raise refused(f"{where}: {_reason(exc)}") from None
            try:  # `?slug=` is held to the same rule as the archive's slug
                if unique and self.wanted is not None:
                    check({**new, unique: self.wanted})
            except ValueError as exc:
                raise Refused(422, f"{unique}: {_reason(exc)}", field=unique) from None
        return new

    def _remap(self, value, where: str):
        if isinstance(value, ObjectId):
            found = self.ids.get(str(value))
            if found is None:
                raise refused(f"{where}: the id {value} names nothing in the archive")
            return ObjectId(found[0])
        if isinstance(value, str) and HEX.match(value):
            found = self.ids.get(value)  # a text id of the archive (a record's reference); other text is data
            return found[0] if found else value
        if isinstance(value, dict):
            return {key: self._remap(item, where) for key, item in value.items()}
        if isinstance(value, list):
            return [self._remap(item, where) for item in value]
        return value

    def path(self, relative: str) -> str:
        """A file's path with the ids in it replaced (a data store record's folder)."""
        return "/".join((self.ids.get(part) or (part,))[0] if HEX.match(part) else part for part in relative.split("/"))


def _has(doc: dict, path: str) -> bool:
    head, _, rest = path.partition(".")
    if head not in doc:
        return False
    return not rest or (isinstance(doc[head], dict) and _has(doc[head], rest))


def _check_keys(value, data: set[str], where: str, depth: int = 0) -> None:
    """No key a query could read as an operator or a path ($x, a.b), except inside the fields a
    plugin declares as its users' own JSON (`data`), which its API takes as they are."""
    if depth > 100:
        raise refused(f"{where}: nested deeper than 100 levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") or "." in key or "\x00" in key:
                raise refused(f"{where}: the key {key!r} (keys may not start with $ or hold a dot)")
            if not (depth == 0 and key in data):
                _check_keys(item, data, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_keys(item, data, where, depth + 1)


def _reason(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)  # pydantic's ValidationError: the first field and why
    if callable(errors) and errors():
        first = errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    return str(exc)


def _documents(name: str, path: Path):
    with open(path, "rb") as handle:
        index = 0
        try:
            for index, raw in enumerate(dump_documents(handle)):
                yield index, bson.decode(raw, CODEC)
        except ArchiveRefused as exc:
            raise refused(f"db/{name}.bson: {exc}") from None
        except Exception as exc:  # bson.errors.InvalidBSON and the decoders' own errors
            raise refused(f"db/{name}.bson: document {index} does not decode: {exc}") from None


# -- 1. the archive's parts ------------------------------------------------------------------

def unpack(archive: Path, into: Path, settings) -> tuple[dict, dict[str, Path], dict[str, Path]]:
    """The manifest, the dumps by collection and the files by folder/path, every part checked."""
    try:
        parts = extract(archive, into, max_bytes=settings.max_import_size, max_members=settings.max_import_members)
        manifest = manifest_of(parts)
    except ArchiveRefused as exc:
        raise refused(str(exc), exc.too_large) from None
    if manifest.get("format") != FORMAT:
        raise refused("it is not an m3m project export")
    if manifest.get("formatVersion") != FORMAT_VERSION:
        raise refused(f"it is of format {manifest.get('formatVersion')!r}; this m3m imports format {FORMAT_VERSION}"
                      " (export the project again from an up-to-date m3m)")
    project = manifest.get("project")
    if not isinstance(project, dict) or not HEX.match(str(project.get("id"))):
        raise refused("the manifest names no project id")
    collections, listed = manifest.get("collections"), manifest.get("files")
    if not isinstance(collections, dict) or not isinstance(listed, dict):
        raise refused("the manifest lists no collections and files")
    dumps, files = {}, {}
    for name, part in parts.items():
        if name.startswith("db/") and name.endswith(".bson") and COLLECTION_NAME.match(name[3:-5]):
            dumps[name[3:-5]] = (part, collections.get(name[3:-5]))
        elif name.startswith("folders/") and name.count("/") >= 2:
            files[name[8:]] = (part, listed.get(name[8:]))
        else:
            raise refused(f"the member {name} is not part of a project export")
    for name, (part, entry) in [*dumps.items(), *files.items()]:
        if not isinstance(entry, dict) or entry.get("sha256") != part.sha256:
            raise refused(f"{name} does not match the manifest")
    if set(dumps) != set(collections) or set(files) != set(listed):
        raise refused("the manifest lists parts the archive does not hold")
    return manifest, {name: part.path for name, (part, _) in dumps.items()}, {key: part.path for key, (part, _) in files.items()}


# -- 2. the dry run --------------------------------------------------------------------------

def check(plan: Plan, dumps: dict[str, Path], files: dict[str, Path], folders: dict[str, Path]) -> list[tuple]:
    """Every document and file checked, before anything is written: [(archived name, target, spec)]
    in the order they are to be written."""
    # The project's own document first, then the collections it names, then those named after
    # another's documents (records_{id}), whose names need that other's ids.
    def rank(name: str) -> int:
        spec = plan.declared.get(name)
        return 2 if spec is None or "each" in spec else 0 if spec.get("field") == "_id" else 1

    targets = []
    for name in sorted(dumps, key=rank):
        target, spec = plan.target(name)
        count = 0
        for index, doc in _documents(name, dumps[name]):
            plan.register(name, spec, index, doc)
            count += 1
        if spec.get("field") == "_id" and count != 1:
            raise refused(f"{name} holds {count} documents; the project is one")
        targets.append((name, target, spec))
    for name, spec in plan.declared.items():
        if spec.get("field") == "_id" and name not in dumps:
            raise refused(f"the archive holds no {name} document")
    for name, _, spec in targets:
        for index, doc in _documents(name, dumps[name]):
            plan.document(name, spec, index, doc)
    for key in files:
        folder, _, relative = key.partition("/")
        if folder not in folders:
            raise refused(f"folders/{key}: this m3m keeps no folder {folder!r} for projects")
        try:  # the storage's path rules, look-alikes of '..' and '/' included
            kept = segments(relative)
        except Refused as exc:
            raise refused(f"folders/{key}: {exc.message}") from None
        if len(kept) != len(relative.split("/")):  # no segment dropped on the way (a//b, a/./b)
            raise refused(f"folders/{key}: an empty or '.' segment")
    return targets


# -- 3. the writes ---------------------------------------------------------------------------

async def import_project(app, archive: Path, scratch: Path, user_id: str, slug: str | None = None) -> str:
    """Import the archive (a file) as a new project, working in the folder `scratch` (the caller
    removes it); returns the new project's id. `slug` is the one asked for (`?slug=`)."""
    manifest, dumps, files = await asyncio.to_thread(unpack, archive, scratch / "parts", app.m3m.settings.export)
    new_project = ObjectId()
    declared = await declared_collections(app, str(new_project))
    folders = await declared_folders(app, str(new_project))
    ids = Ids(scratch / "ids.sqlite")
    try:
        plan = Plan(declared, manifest["project"]["id"], new_project, ids, slug)
        targets = await asyncio.to_thread(check, plan, dumps, files, folders)
        written: list[tuple[str, dict]] = []
        try:
            for name, target, spec in targets:
                written.append((target, spec))
                await _write_collection(app, plan, name, target, spec, dumps[name])
            for key, path in files.items():
                folder_name, _, relative = key.partition("/")
                await asyncio.to_thread(_move, path, Path(folders[folder_name]), plan.path(relative))
        except BaseException:
            await _remove(app, plan, written, folders)
            raise
    finally:
        ids.close()
    project_id = str(new_project)
    for result in hook_results(app.m3m.pm, "m3m_project_imported", app=app, project_id=project_id, user_id=user_id):
        await await_me_maybe(result)
    return project_id


async def _write_collection(app, plan: Plan, name: str, target: str, spec: dict, dump: Path) -> None:
    collection = app.m3m.db[target].with_options(codec_options=CODEC)
    documents = _documents(name, dump)

    def next_batch() -> list[dict]:
        return [plan.document(name, spec, index, doc) for index, doc in islice(documents, BATCH)]

    while batch := await asyncio.to_thread(next_batch):
        if spec.get("unique"):
            for doc in batch:
                await _insert_unique(collection, doc, spec["unique"], plan.wanted)
        else:
            await collection.insert_many(batch, ordered=True)


async def _insert_unique(collection, doc: dict, unique: str, wanted: str | None) -> None:
    base = wanted or doc.get(unique) or "project"
    stem = re.sub(r"-\d+$", "", base)[:60]
    for attempt in range(1, 100):
        doc[unique] = base if attempt == 1 else f"{stem}-{attempt}"
        try:
            await collection.insert_one(doc)
            return
        except DuplicateKeyError:
            if wanted:
                raise Refused(409, f"{unique} {wanted!r} is taken", field=unique) from None
    raise Refused(409, f"no free {unique} near {base!r}", field=unique)


def _move(source: Path, folder: Path, relative: str) -> None:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, target)


async def _remove(app, plan: Plan, written: list[tuple[str, dict]], folders: dict[str, Path]) -> None:
    """No half project is left: whatever was written carries the new project's id (or is a
    collection of its own)."""
    for target, spec in written:
        collection = app.m3m.db[target]
        if "each" in spec:
            await collection.drop()
        elif spec["field"] == "_id":
            await collection.delete_one({"_id": plan.new_project})
        else:
            await collection.delete_many({spec["field"]: str(plan.new_project)})
    for folder in folders.values():
        await asyncio.to_thread(shutil.rmtree, folder, True)
