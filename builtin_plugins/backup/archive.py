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

from kernel.plugins import own_version
from kernel.times import iso, now

FORMAT = "m3m-backup"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024
BATCH_BYTES = 8 * 1024 * 1024
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


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.getmember("manifest.json")
            manifest = json.load(tar.extractfile(member))
    except (OSError, tarfile.TarError, KeyError, ValueError, EOFError) as exc:
        raise ArchiveError(f"{archive} is not an m3m backup: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("formatVersion") != FORMAT_VERSION:
        raise ArchiveError(f"{archive} is not an m3m backup of format {FORMAT_VERSION}")
    return manifest


def verify(archive: Path, manifest: dict) -> None:
    """Every part is there with its checksum and count, before anything is written."""
    seen_collections, seen_files = set(), set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = member.name
                if name.startswith("db/") and name.endswith(".bson"):
                    collection = name[3:-5]
                    expected = manifest["collections"].get(collection)
                    sha, count = hashlib.sha256(), 0
                    for raw in _bson_documents(tar.extractfile(member)):
                        sha.update(raw)
                        count += 1
                    if expected is None or (sha.hexdigest(), count) != (expected["sha256"], expected["documents"]):
                        raise ArchiveError(f"the dump of {collection} does not match the manifest")
                    seen_collections.add(collection)
                elif name.startswith("files/") and member.isfile():
                    relative = name[6:]
                    expected = manifest["files"].get(relative)
                    if expected is None or not _safe(relative):
                        raise ArchiveError(f"{relative} is not in the manifest")
                    if _sha_of(tar.extractfile(member)) != expected["sha256"]:
                        raise ArchiveError(f"{relative} does not match its checksum")
                    seen_files.add(relative)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ArchiveError(f"{archive} is damaged: {exc}") from None
    missing = (set(manifest["collections"]) - seen_collections) | (set(manifest["files"]) - seen_files)
    if missing:
        raise ArchiveError(f"the archive lacks {sorted(missing)[:5]}")


def _safe(relative: str) -> bool:
    parts = relative.split("/")
    return bool(relative) and not relative.startswith("/") and ".." not in parts and "" not in parts


def _sha_of(handle) -> str:
    sha = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        sha.update(chunk)
    return sha.hexdigest()


def _bson_documents(handle):
    while header := handle.read(4):
        if len(header) < 4:
            raise ArchiveError("a dump ends in the middle of a document")
        size = int.from_bytes(header, "little")
        rest = handle.read(size - 4)
        if len(rest) != size - 4:
            raise ArchiveError("a dump ends in the middle of a document")
        yield header + rest


def instance_contents(uri: str, database: str, storage: Path, exclude: list[str], transient=frozenset()) -> tuple[list[str], list[str]]:
    """The collections holding documents (other than transient ones) and the files (other than a
    fresh server's) there."""
    with MongoClient(uri) as client:
        db = client[database]
        full = [name for name in db.list_collection_names() if not name.startswith("system.")
                and name not in transient and db[name].find_one({}, {"_id": 1}) is not None]
    files = [relative for relative, _ in storage_files(Path(storage), exclude) if relative not in FRESH_FILES]
    return full, files


def restore(uri: str, database: str, storage: Path, archive: Path, exclude: list[str], force: bool = False,
            transient=frozenset()) -> dict:
    """Restore the archive into this instance: refused if it holds data, unless `force` (then
    the database and the storage tree are emptied first). Checked whole before anything changes.
    The `transient` collections are not brought back (a backup of an older m3m may hold them)."""
    manifest = read_manifest(archive)
    verify(archive, manifest)
    storage = Path(storage)
    full, files = instance_contents(uri, database, storage, exclude, transient)
    if (full or files) and not force:
        what = ", ".join(filter(None, [f"{len(full)} collections with documents" if full else "",
                                       f"{len(files)} files" if files else ""]))
        raise ArchiveError(f"this instance is not empty ({what}); restore with --force to replace it")
    with MongoClient(uri, document_class=RawBSONDocument) as client:
        db = client[database]
        if force:
            for name in db.list_collection_names():
                if not name.startswith("system."):
                    db.drop_collection(name)
            for relative, path in list(storage_files(storage, exclude)):
                path.unlink()
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = member.name
                if _collection_of(name) in transient:
                    continue
                if name.startswith("db/") and name.endswith(".bson"):
                    if name[3:-5] not in db.list_collection_names():  # an empty one is kept too
                        db.create_collection(name[3:-5])
                    _load_documents(db[name[3:-5]], tar.extractfile(member))
                elif name.startswith("db/") and name.endswith(".indexes.json"):
                    _load_indexes(db[name[3:-len(".indexes.json")]], json.load(tar.extractfile(member)))
                elif name.startswith("files/") and member.isfile():
                    _write_file(storage, name[6:], tar.extractfile(member), member)
    return manifest


def _collection_of(member: str) -> str | None:
    """The collection whose documents or indexes a `db/` member holds."""
    for suffix in (".indexes.json", ".bson"):
        if member.startswith("db/") and member.endswith(suffix):
            return member[3:-len(suffix)]
    return None


def _load_documents(collection, handle) -> None:
    batch, size = [], 0
    for raw in _bson_documents(handle):
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


def _write_file(storage: Path, relative: str, source, member: tarfile.TarInfo) -> None:
    target = storage / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.restoring")
    with open(temporary, "wb") as out:
        shutil.copyfileobj(source, out, CHUNK)
    os.utime(temporary, (member.mtime, member.mtime))
    os.chmod(temporary, member.mode & 0o700)  # the operator's alone, whatever an older backup recorded
    os.replace(temporary, target)
