"""A project's export archive (.tar.gz); importer.py reads one back.

    manifest.json                 format, m3m version, time, the project, counts and sha256 of each part,
                                  and what is not exported
    db/{collection}.bson          the project's documents of each collection plugins declare
                                  (m3m_project_collections), their `omit` fields (secrets, users) left out
    folders/{name}/{path}         the files of each folder plugins declare (m3m_project_folders)
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import secrets
import tarfile
from pathlib import Path

import bson
from bson import ObjectId
from bson.codec_options import CodecOptions

from kernel.plugins import await_me_maybe, hook_results, own_version
from kernel.times import iso, now

FORMAT = "m3m-project"
# 2: no field naming this instance's users is exported (members, creator, a release's author id).
FORMAT_VERSION = 2
CODEC = CodecOptions(tz_aware=True)
NOT_EXPORTED = [
    "the project's API key (make a new one after import: POST /api/projects/{pid}/api-key)",
    "members and the creator (the importing user is the creator and only member)",
    "the user ids of release authors (their names and emails stay)",
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


def omit(doc: dict, path: str) -> None:
    """Drop the field `path` ("author.id": `id` inside `author`) from the document."""
    head, _, rest = path.partition(".")
    if rest and isinstance(doc.get(head), dict):
        omit(doc[head], rest)
    elif not rest:
        doc.pop(head, None)


async def _find(app, name: str, spec: dict, query: dict) -> list[dict]:
    collection = app.m3m.db[name].with_options(codec_options=CODEC)
    docs = [doc async for doc in collection.find(query).sort([("_id", 1)])]
    for doc in docs:
        for path in spec.get("omit", ()):
            omit(doc, path)
    return docs


async def project_documents(app, project_id: str) -> dict[str, list[dict]]:
    """The project's documents by collection, as the plugins declare them (hookspecs.py)."""
    declared = await declared_collections(app, project_id)
    found: dict[str, list[dict]] = {}
    for name, spec in declared.items():
        if "each" not in spec:
            field = spec["field"]
            found[name] = await _find(app, name, spec, {"_id": ObjectId(project_id)} if field == "_id" else {field: project_id})
    for name, spec in declared.items():  # only documents whose references are exported too
        for field, other in (spec.get("references") or {}).items():
            ids = {str(doc["_id"]) for doc in found.get(other, ())}
            found[name] = [doc for doc in found[name] if str(doc.get(field)) in ids]
    for template, spec in declared.items():  # a collection per document of another (records_{id})
        if "each" in spec:
            for owner in found.get(spec["each"], ()):
                name = template.replace("{id}", str(owner["_id"]))
                found[name] = await _find(app, name, spec, {})
    return found


async def export_project(app, project: dict) -> Path:
    """The archive, in a scratch file the caller removes once sent."""
    docs = await project_documents(app, project["id"])
    folders = await declared_folders(app, project["id"])
    target = scratch_dir(app) / f"export-{secrets.token_hex(8)}.tar.gz"
    manifest = {"format": FORMAT, "formatVersion": FORMAT_VERSION, "m3mVersion": own_version(), "created": iso(now()),
                "project": {"id": project["id"], "slug": project.get("slug"), "name": project.get("name")},
                "collections": {}, "files": {}, "notExported": NOT_EXPORTED}
    for name in docs:  # what each holds is the importing m3m's plugins' to say, not the archive's
        manifest["collections"][name] = {}
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
