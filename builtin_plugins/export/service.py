"""A project's export archive (.tar.gz) and its import.

    manifest.json                 format, m3m version, time, the project, counts and sha256 of each part,
                                  and what is not exported
    db/{collection}.bson          the project's documents of each collection plugins declare
                                  (m3m_project_collections), their `omit` fields (secrets) left out
    folders/{name}/{path}         the files of each folder plugins declare (m3m_project_folders)

At import every id of the exported documents (the project's first) is replaced by a new one,
everywhere it appears (ObjectId or its text), so the same archive can be imported twice; a
`unique` field that clashes (the slug) gets a free variant.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
from pathlib import Path

import bson
from bson import ObjectId
from bson.codec_options import CodecOptions
from pymongo.errors import DuplicateKeyError

from builtin_plugins.storage.paths import segments
from kernel.errors import Refused
from kernel.plugins import await_me_maybe, hook_results, own_version
from kernel.times import iso, now

FORMAT = "m3m-project"
FORMAT_VERSION = 1
CODEC = CodecOptions(tz_aware=True)
CHUNK = 1024 * 1024
NOT_EXPORTED = [
    "the project's API key (make a new one after import: POST /api/projects/{pid}/api-key)",
    "members (the importing user is the only member)",
    "storage direct-link keys (links made before do not work on the copy)",
    "global goals and their statistics (they belong to the instance)",
    "runtime logs",
]


def scratch_dir(app) -> Path:
    path = Path(app.m3m.settings.storage.path) / "exports-tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def declared_collections(app, project_id: str) -> dict[str, dict]:
    declared: dict[str, dict] = {}
    for result in hook_results(app.m3m.pm, "m3m_project_collections", app=app, project_id=project_id):
        declared.update(await await_me_maybe(result) or {})
    return declared


async def declared_folders(app, project_id: str) -> dict[str, Path]:
    folders: dict[str, Path] = {}
    for result in hook_results(app.m3m.pm, "m3m_project_folders", app=app, project_id=project_id):
        folders.update(await await_me_maybe(result) or {})
    return folders


def _files_of(folder: Path):
    if not folder.is_dir():
        return
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(folder).as_posix(), path


async def project_documents(app, project_id: str) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    declared = await declared_collections(app, project_id)
    found: dict[str, list[dict]] = {}
    for name, spec in declared.items():
        collection = app.m3m.db[name].with_options(codec_options=CODEC)
        field = spec.get("field")
        query = {} if field is None else {"_id": ObjectId(project_id)} if field == "_id" else {field: project_id}
        docs = [doc async for doc in collection.find(query).sort([("_id", 1)])]
        for doc in docs:
            for omitted in spec.get("omit", ()):
                doc.pop(omitted, None)
        found[name] = docs
    for name, spec in declared.items():  # only documents whose references are exported too
        for field, other in (spec.get("references") or {}).items():
            ids = {str(doc["_id"]) for doc in found.get(other, ())}
            found[name] = [doc for doc in found[name] if str(doc.get(field)) in ids]
    return declared, found


async def export_project(app, project: dict) -> Path:
    """The archive, in a scratch file the caller removes once sent."""
    declared, docs = await project_documents(app, project["id"])
    folders = await declared_folders(app, project["id"])
    target = scratch_dir(app) / f"export-{secrets.token_hex(8)}.tar.gz"
    manifest = {"format": FORMAT, "formatVersion": FORMAT_VERSION, "m3mVersion": own_version(), "created": iso(now()),
                "project": {"id": project["id"], "slug": project.get("slug"), "name": project.get("name")},
                "collections": {}, "files": {}, "notExported": NOT_EXPORTED}
    for name in docs:  # the import follows these, whichever plugins the other m3m has
        manifest["collections"][name] = {key: value for key, value in declared[name].items() if key in ("field", "unique")}
    try:
        await asyncio.to_thread(_write_archive, target, docs, folders, manifest)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _write_archive(target: Path, docs: dict, folders: dict, manifest: dict) -> None:
    with tarfile.open(target, "w:gz") as tar:
        for name, items in docs.items():
            raw = b"".join(bson.encode(doc, codec_options=CODEC) for doc in items)
            manifest["collections"][name].update(documents=len(items), sha256=hashlib.sha256(raw).hexdigest())
            _add_bytes(tar, f"db/{name}.bson", raw)
        for folder_name, folder in folders.items():
            for relative, path in _files_of(Path(folder)):
                data = path.read_bytes()  # whole: a file a service rewrites meanwhile stays one version
                key = f"{folder_name}/{relative}"
                manifest["files"][key] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                _add_bytes(tar, f"folders/{key}", data)
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _safe(relative: str) -> bool:
    """A folder's name and a path in it, by the storage's path rules (look-alikes included), with
    no segment dropped on the way (`a//b`, `a/./b`)."""
    try:
        return len(parts := segments(relative)) >= 2 and len(parts) == len(relative.split("/"))
    except Refused:
        return False


def read_archive(path: Path) -> tuple[dict, dict[str, list[dict]], dict[str, bytes]]:
    """Manifest, documents and files, every part checked against the manifest; Refused(422) else."""
    def bad(reason: str) -> Refused:
        return Refused(422, f"the archive is not an m3m project export: {reason}", field="file")

    docs, files, manifest = {}, {}, None
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                data = tar.extractfile(member).read()
                if member.name == "manifest.json":
                    manifest = json.loads(data)
                elif member.name.startswith("db/") and member.name.endswith(".bson"):
                    docs[member.name[3:-5]] = data
                elif member.name.startswith("folders/") and _safe(member.name[8:]):
                    files[member.name[8:]] = data
                else:
                    raise bad(f"unexpected member {member.name}")
    except (OSError, tarfile.TarError, EOFError, ValueError) as exc:
        raise bad(str(exc)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("formatVersion") != FORMAT_VERSION:
        raise bad("no manifest of format 1")
    if set(docs) != set(manifest.get("collections", {})) or set(files) != set(manifest.get("files", {})):
        raise bad("its parts do not match the manifest")
    for name, raw in docs.items():
        if hashlib.sha256(raw).hexdigest() != manifest["collections"][name]["sha256"]:
            raise bad(f"db/{name}.bson does not match its checksum")
    for key, data in files.items():
        if hashlib.sha256(data).hexdigest() != manifest["files"][key]["sha256"]:
            raise bad(f"{key} does not match its checksum")
    try:
        decoded = {name: bson.decode_all(raw, CODEC) for name, raw in docs.items()}
    except Exception as exc:  # bson.errors.InvalidBSON and friends
        raise bad(f"a dump does not decode: {exc}") from None
    return manifest, decoded, files


COLLECTION = re.compile(r"^(?!system\.)[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$")
HEX = re.compile(r"^[0-9a-f]{24}$")
HEX_IN = re.compile(r"[0-9a-f]{24}")


def _renamed(text: str, ids: dict) -> str:
    return HEX_IN.sub(lambda m: str(ids[m.group(0)][0]) if m.group(0) in ids else m.group(0), text)


def _remap(value, ids: dict):
    if isinstance(value, ObjectId):
        return ids.get(str(value), (value,))[0] if str(value) in ids else value
    if isinstance(value, str):
        return str(ids[value][0]) if value in ids else value
    if isinstance(value, dict):
        return {key: _remap(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_remap(item, ids) for item in value]
    return value


async def import_project(app, path: Path, user_id: str, slug: str | None = None) -> str:
    """Import the archive as a new project; returns its id."""
    manifest, docs, files = await asyncio.to_thread(read_archive, path)
    declared = manifest["collections"]
    bad = [name for name in docs if not COLLECTION.match(name)]
    if bad or not HEX.match(str(manifest["project"].get("id"))):
        raise Refused(422, f"the archive names a collection m3m does not keep: {bad[:3]}", field="file")
    old_project = manifest["project"]["id"]
    new_project = ObjectId()
    ids = {old_project: (new_project,)}
    for name, items in docs.items():
        for doc in items:
            old = doc.get("_id")
            if isinstance(old, ObjectId) and str(old) not in ids:
                ids[str(old)] = (ObjectId(),)
            elif isinstance(old, str) and HEX.match(old) and old not in ids:
                ids[old] = (ObjectId(),)  # ids kept as text (the data store's)
    inserted: list[tuple[str, object]] = []
    folders = await declared_folders(app, str(new_project))
    try:
        # The project's own document first (its unique field may clash), then the others.
        for name in sorted(docs, key=lambda n: declared[n].get("field") != "_id"):
            spec = declared[name]
            target = _renamed(name, ids)  # a collection named after an id (records_{model id})
            collection = app.m3m.db[target].with_options(codec_options=CODEC)
            for doc in docs[name]:
                doc = _remap(doc, ids)
                if isinstance(doc.get("_id"), str) and not HEX.match(doc["_id"]):
                    doc["_id"] = _renamed(doc["_id"], ids)
                await _insert(collection, doc, spec.get("unique"), slug if spec.get("field") == "_id" else None)
                inserted.append((target, doc["_id"]))
        for key, data in files.items():
            folder_name, relative = key.split("/", 1)
            relative = "/".join(str(ids[part][0]) if part in ids else part for part in relative.split("/"))
            if folder_name not in folders:
                raise Refused(422, f"this m3m keeps no folder {folder_name!r} for projects", field="file")
            await asyncio.to_thread(_write_file, Path(folders[folder_name]), relative, data)
    except BaseException:
        for name, doc_id in inserted:  # no half project is left
            await app.m3m.db[name].delete_one({"_id": doc_id})
        for folder in folders.values():
            await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    for result in hook_results(app.m3m.pm, "m3m_project_imported", app=app, project_id=str(new_project), user_id=user_id):
        await await_me_maybe(result)
    return str(new_project)


async def _insert(collection, doc: dict, unique: str | None, wanted: str | None) -> None:
    if not unique:
        await collection.insert_one(doc)
        return
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


def _write_file(folder: Path, relative: str, data: bytes) -> None:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
