"""The backup archive: one .tar.gz with every collection of the m3m database and the storage tree.

    db/{collection}.bson          the documents, BSON one after another (mongodump's format)
    db/{collection}.indexes.json  the collection's indexes (MongoDB extended JSON)
    files/{path}                  every file of {storage.path}, except backup.exclude
    manifest.json                 format, m3m version, time, database, counts and sha256 of each part

Every collection and every file is taken, whichever plugin made it, so a new plugin's data is
in the backup without a change here; except the collections plugins declare transient
(m3m_transient_collections: failed sign-ins...), which a backup leaves out and a restore skips.
Synchronous code (PyMongo's blocking client, tarfile): the CLI runs it directly, the server in a
thread.

A restore trusts nothing in the archive: kernel.archives extracts it into a scratch folder of the
storage tree (names, kinds, sizes and the member count checked before any data is read:
backup.max_restore_size, backup.max_restore_members), every part is checked against the
manifest, and only then is anything changed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from bson import json_util
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel, MongoClient

from kernel.archives import ArchiveRefused, Part, dump_documents, extract, manifest_of
from kernel.db import COLLECTION_NAME
from kernel.plugins import own_version
from kernel.times import iso, now

FORMAT = "m3m-backup"
FORMAT_VERSION = 1
BATCH_BYTES = 8 * 1024 * 1024
INDEXES_LIMIT = 1024**2  # a collection's index list, read whole
# Files a server makes for itself on first start: an instance holding only these is empty.
FRESH_FILES = {"jwt-secret"}


class ArchiveError(Exception):
    """The archive is not a backup, is damaged, or does not fit the target; one line."""


def excluded(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    return any(fnmatch.fnmatch("/".join(parts[: n + 1]), pattern) for pattern in patterns for n in range(len(parts)))


def storage_files(root: Path, patterns: list[str]):
    """Every regular file of the storage tree outside the excluded paths, as (relative, path)."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        rel_folder = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = sorted(d for d in dirs if not excluded(rel_folder + d, patterns))
        for name in sorted(files):
            relative = rel_folder + name
            path = Path(folder) / name
            if not excluded(relative, patterns) and path.is_file() and not path.is_symlink():
                yield relative, path


class _Hashing:
    """Reads exactly `size` bytes of a file, hashing them (a file that shrank is an error)."""

    def __init__(self, handle, size: int) -> None:
        self.handle, self.left, self.sha = handle, size, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.handle.read(n)
        if len(data) < n and n:
            raise ArchiveError(f"{self.handle.name} shrank while it was backed up")
        self.left -= len(data)
        self.sha.update(data)
        return data


def make_backup(uri: str, database: str, storage: Path, out: Path, exclude: list[str], transient=frozenset()) -> dict:
    """Write the archive to `out` (through `out.partial`, renamed when whole), without the
    `transient` collections; returns the manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    manifest = {"format": FORMAT, "formatVersion": FORMAT_VERSION, "m3mVersion": own_version(),
                "created": iso(now()), "database": database, "collections": {}, "files": {}}
    client = MongoClient(uri, document_class=RawBSONDocument)
    try:
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=out.parent) as scratch, \
                tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            db = client[database]
            for name in sorted(db.list_collection_names()):
                if name.startswith("system.") or name in transient:
                    continue
                manifest["collections"][name] = _dump_collection(db[name], Path(scratch), tar)
            total = 0
            own = {out.resolve(), partial.resolve()}  # an archive written into the storage tree
            for relative, path in storage_files(Path(storage), exclude):
                if path.resolve() in own:
                    continue
                entry = _add_file(tar, relative, path)
                if entry is not None:
                    manifest["files"][relative] = entry
                    total += entry["size"]
            manifest["totals"] = {
                "collections": len(manifest["collections"]),
                "documents": sum(c["documents"] for c in manifest["collections"].values()),
                "files": len(manifest["files"]),
                "bytes": total,
            }
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        client.close()
    return manifest


def _dump_collection(collection, scratch: Path, tar: tarfile.TarFile) -> dict:
    dump = scratch / f"{collection.name}.bson"
    sha, count = hashlib.sha256(), 0
    with open(dump, "wb") as handle:
        for doc in collection.find({}, sort=[("_id", 1)]):
            handle.write(doc.raw)
            sha.update(doc.raw)
            count += 1
    tar.add(dump, arcname=f"db/{collection.name}.bson")
    dump.unlink()
    indexes = [json.loads(json_util.dumps(ix)) for ix in collection.with_options(
        codec_options=collection.codec_options.with_options(document_class=dict)).list_indexes()]
    raw_indexes = json.dumps(indexes, indent=1).encode()
    _add_bytes(tar, f"db/{collection.name}.indexes.json", raw_indexes)
    return {"documents": count, "sha256": sha.hexdigest(), "indexes": len(indexes)}


def _add_file(tar: tarfile.TarFile, relative: str, path: Path) -> dict | None:
    try:
        handle = open(path, "rb")
    except FileNotFoundError:  # deleted since the walk saw it
        return None
    with handle:
        info = tar.gettarinfo(fileobj=handle, arcname=f"files/{relative}")
        reader = _Hashing(handle, info.size)
        tar.addfile(info, reader)
        return {"size": info.size, "sha256": reader.sha.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def unpack(archive: Path, into: Path, max_bytes: int, max_members: int) -> tuple[dict, dict[str, Part], dict[str, Part]]:
    """The archive extracted into the folder `into` (kernel.archives: names, kinds, sizes and the
    member count checked before any data is read) and every part checked against the manifest,
    before anything is written: (manifest, dumps and index lists by collection part, files)."""
    try:
        parts = extract(archive, into, max_bytes=max_bytes, max_members=max_members)
        manifest = manifest_of(parts)
    except ArchiveRefused as exc:
        if exc.too_large:
            raise ArchiveError(f"{archive} is refused: {exc} (backup.max_restore_size, backup.max_restore_members)") from None
        raise ArchiveError(f"{archive} is not an m3m backup: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("formatVersion") != FORMAT_VERSION:
        raise ArchiveError(f"{archive} is not an m3m backup of format {FORMAT_VERSION}")
    collections, files = manifest.get("collections"), manifest.get("files")
    if not isinstance(collections, dict) or not isinstance(files, dict):
        raise ArchiveError(f"{archive} is not an m3m backup: its manifest lists no collections and files")
    dumps, found = {}, {}
    for name, part in parts.items():
        collection = name[3:].removesuffix(".bson").removesuffix(".indexes.json") if name.startswith("db/") else None
        if collection is not None and COLLECTION_NAME.match(collection) and collection in collections:
            if name.endswith(".bson"):
                _check_dump(collection, part, collections[collection])
            elif not name.endswith(".indexes.json") or part.size > INDEXES_LIMIT:
                raise ArchiveError(f"{name} is not part of an m3m backup")
            dumps[name] = part
        elif name.startswith("files/") and isinstance(files.get(name[6:]), dict):
            if part.sha256 != files[name[6:]].get("sha256"):
                raise ArchiveError(f"{name[6:]} does not match its checksum")
            found[name[6:]] = part
        else:
            raise ArchiveError(f"{name} is not part of an m3m backup (or not in its manifest)")
    missing = {f"db/{c}.bson" for c in collections} - set(dumps) | set(files) - set(found)
    if missing:
        raise ArchiveError(f"the archive lacks {sorted(missing)[:5]}")
    return manifest, dumps, found


def _check_dump(collection: str, part: Part, expected) -> None:
    count = 0
    with open(part.path, "rb") as handle:
        try:
            for _ in dump_documents(handle):
                count += 1
        except ArchiveRefused as exc:
            raise ArchiveError(f"the dump of {collection}: {exc}") from None
    if not isinstance(expected, dict) or (part.sha256, count) != (expected.get("sha256"), expected.get("documents")):
        raise ArchiveError(f"the dump of {collection} does not match the manifest")


def instance_contents(uri: str, database: str, storage: Path, exclude: list[str], transient=frozenset()) -> tuple[list[str], list[str]]:
    """The collections holding documents (other than transient ones) and the files (other than a
    fresh server's) there."""
    with MongoClient(uri) as client:
        db = client[database]
        full = [name for name in db.list_collection_names() if not name.startswith("system.")
                and name not in transient and db[name].find_one({}, {"_id": 1}) is not None]
    files = [relative for relative, _ in storage_files(Path(storage), exclude) if relative not in FRESH_FILES]
    return full, files


def restore(uri: str, database: str, storage: Path, archive: Path, exclude: list[str], force: bool = False, *,
            max_bytes: int, max_members: int, transient=frozenset()) -> dict:
    """Restore the archive into this instance: refused if it holds data, unless `force` (then
    the database and the storage tree are emptied first). The archive is extracted into a
    scratch folder in the storage tree and checked whole before anything changes. The
    `transient` collections are not brought back (a backup of an older m3m may hold them)."""
    storage = Path(storage)
    full, files = instance_contents(uri, database, storage, exclude, transient)
    if (full or files) and not force:
        what = ", ".join(filter(None, [f"{len(full)} collections with documents" if full else "",
                                       f"{len(files)} files" if files else ""]))
        raise ArchiveError(f"this instance is not empty ({what}); restore with --force to replace it")
    storage.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".backup-restore-", dir=storage))
    try:
        manifest, dumps, parts = unpack(archive, scratch / "parts", max_bytes, max_members)
        with MongoClient(uri, document_class=RawBSONDocument) as client:
            db = client[database]
            if force:
                for name in db.list_collection_names():
                    if not name.startswith("system."):
                        db.drop_collection(name)
                for relative, path in list(storage_files(storage, [*exclude, scratch.name])):
                    path.unlink()
            dumps = {name: part for name, part in dumps.items() if _collection_of(name) not in transient}
            for name, part in dumps.items():
                if name.endswith(".bson"):
                    if name[3:-5] not in db.list_collection_names():  # an empty one is kept too
                        db.create_collection(name[3:-5])
                    with open(part.path, "rb") as handle:
                        _load_documents(db[name[3:-5]], handle)
            for name, part in dumps.items():
                if name.endswith(".indexes.json"):
                    _load_indexes(db[name[3:-len(".indexes.json")]], json.loads(part.path.read_bytes()))
        for relative, part in parts.items():
            _move_file(storage, relative, part)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest


def _collection_of(member: str) -> str | None:
    """The collection whose documents or indexes a `db/` member holds."""
    for suffix in (".indexes.json", ".bson"):
        if member.startswith("db/") and member.endswith(suffix):
            return member[3:-len(suffix)]
    return None


def _load_documents(collection, handle) -> None:
    batch, size = [], 0
    for raw in dump_documents(handle):
        batch.append(RawBSONDocument(raw))
        size += len(raw)
        if size >= BATCH_BYTES or len(batch) >= 1000:
            collection.insert_many(batch, ordered=True)
            batch, size = [], 0
    if batch:
        collection.insert_many(batch, ordered=True)


def _load_indexes(collection, indexes: list[dict]) -> None:
    models = []
    for index in indexes:
        if index.get("name") == "_id_":
            continue
        options = {k: v for k, v in index.items() if k not in ("v", "key", "ns")}
        models.append(IndexModel(list(index["key"].items()), **options))
    if models:
        collection.create_indexes(models)


def _move_file(storage: Path, relative: str, part: Part) -> None:
    target = storage / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.utime(part.path, (part.mtime, part.mtime))
    os.chmod(part.path, part.mode & 0o700)  # the operator's alone, whatever an older backup recorded
    os.replace(part.path, target)  # the scratch folder is in the storage tree: a rename
