"""A project's files: listing, reading, atomic writes, moves, copies, deletes, usage and quota,
thumbnails. The same class serves the REST routes (in the server) and `$storage` (in a worker).

On disk, under `{storage.path}/projects/{project id}/`:
- `storage/`  the project's tree, the only place users see (paths.Tree confines every access);
- `tmp/`      uploads and saves in progress, renamed into the tree when whole; emptied at start;
- `thumbs/`   cached thumbnails, one folder per source path.
The server's own data (the embedded database, logs, avatars) lives beside `projects/`, never in it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import stat as stat_module
import time
from datetime import datetime, timezone
from pathlib import Path

from kernel.errors import Refused
from kernel.times import iso

from . import mime
from .paths import Tree, segments, text_of

SORTS = {"name", "size", "modified"}
USAGE_TTL = 2.0  # seconds a measured usage is trusted (plus what this process wrote since)


def project_dir(storage_path, project_id: str) -> Path:
    return Path(storage_path) / "projects" / project_id


def quota_refusal(limit: int, used: int, adding: int) -> Refused:
    return Refused(
        507,
        f"the project's storage is full: {used} of {limit} bytes used, {adding} more do not fit",
        code="storage_full",
    )


class Files:
    """One project's storage. Paths are user text, checked by paths.segments on every call."""

    def __init__(self, folder: Path, limits) -> None:
        self.folder = Path(folder)
        self.tree = Tree(self.folder / "storage")
        self.tmp = self.folder / "tmp"
        self.thumbs = self.folder / "thumbs"
        self.limits = limits  # settings.files
        self._usage: tuple[float, int] | None = None

    # -- entries -------------------------------------------------------------------------------

    def entry(self, parts: tuple[str, ...], info: os.stat_result, head: bytes | None = None) -> dict:
        folder = stat_module.S_ISDIR(info.st_mode)
        return {
            "name": parts[-1] if parts else "",
            "path": text_of(parts),
            "type": "dir" if folder else "file",
            "size": 0 if folder else info.st_size,
            "mime": None if folder else mime.of_file(parts[-1], head),
            "modified": iso(datetime.fromtimestamp(info.st_mtime, timezone.utc)),
        }

    def _head(self, parts: tuple[str, ...]) -> bytes | None:
        if not mime.by_name(parts[-1]).startswith("image/"):
            return None
        try:
            with self.tree.open_file(parts) as handle:
                return handle.read(mime.HEAD_BYTES)
        except (Refused, OSError):
            return None

    def stat(self, path) -> dict:
        parts = segments(path)
        info = self.tree.stat(parts)
        return self.entry(parts, info, self._head(parts) if parts and stat_module.S_ISREG(info.st_mode) else None)

    def exists(self, path) -> bool:
        """Whether anything is at the path (a planted link too: nothing can be made there)."""
        try:
            self.tree.lstat(segments(path))
            return True
        except Refused as exc:
            if exc.status == 404:
                return False
            raise

    def list(self, path, page: int = 1, per_page: int = 100, sort: str = "name", search: str = "") -> dict:
        """A page of the folder: folders first, then files, each ordered by `sort` (`-` for
        descending), only names containing `search` (any case)."""
        parts = segments(path)
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        if key not in SORTS:
            raise Refused(422, f"sort: one of {', '.join(sorted(SORTS))}, with - for descending", field="sort")
        if not stat_module.S_ISDIR(self.tree.stat(parts).st_mode):
            raise Refused(409, f"{text_of(parts)} is a file, not a folder", field="path")
        found = self.tree.entries(parts)
        if search:
            needle = search.casefold()
            found = [(name, info) for name, info in found if needle in name.casefold()]
        order = {
            "name": lambda pair: pair[0].casefold(),
            "size": lambda pair: (pair[1].st_size, pair[0].casefold()),
            "modified": lambda pair: (pair[1].st_mtime_ns, pair[0].casefold()),
        }[key]
        folders = sorted((pair for pair in found if stat_module.S_ISDIR(pair[1].st_mode)), key=order, reverse=descending)
        files = sorted((pair for pair in found if not stat_module.S_ISDIR(pair[1].st_mode)), key=order, reverse=descending)
        ordered = folders + files
        window = ordered[(page - 1) * per_page: page * per_page]
        entries = []
        for name, info in window:
            child = parts + (name,)
            entries.append(self.entry(child, info, self._head(child) if stat_module.S_ISREG(info.st_mode) else None))
        total = len(ordered)
        return {
            "path": text_of(parts),
            "entries": entries,
            "page": page,
            "perPage": per_page,
            "totalItems": total,
            "totalPages": (total + per_page - 1) // per_page,
        }

    # -- reading -------------------------------------------------------------------------------

    def open(self, path):
        """(parts, binary file object) of a file to read."""
        parts = segments(path)
        return parts, self.tree.open_file(parts)

    def read_bytes(self, path, limit: int | None = None) -> bytes:
        parts, handle = self.open(path)
        limit = limit or self.limits.max_read
        with handle:
            if os.fstat(handle.fileno()).st_size > limit:
                raise Refused(413, f"{text_of(parts)} is larger than {limit} bytes; read it in parts", field="path")
            return handle.read()

    # -- writing -------------------------------------------------------------------------------

    def temp_path(self) -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"{int(time.time())}-{secrets.token_hex(8)}.part"

    def usage(self) -> int:
        if self._usage is None or time.monotonic() - self._usage[0] > USAGE_TTL:
            self._usage = (time.monotonic(), self.tree.usage()[0])
        return self._usage[1]

    def check_room(self, adding: int) -> None:
        used = self.usage()
        if used + adding > self.limits.max_project_size:
            raise quota_refusal(self.limits.max_project_size, used, adding)

    def _wrote(self, size: int) -> None:
        if self._usage is not None:
            self._usage = (self._usage[0], self._usage[1] + size)

    def write_bytes(self, path, data: bytes, overwrite: bool = True) -> dict:
        """Create or replace the file atomically (its parents are made)."""
        return self.save_bytes(path, data, overwrite)[0]

    def save_bytes(self, path, data: bytes, overwrite: bool = True) -> tuple[dict, bool]:
        """write_bytes, and whether this write created the file (True) or replaced it."""
        parts = segments(path)
        self.check_room(len(data))
        temp = self.temp_path()
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
            created = self.tree.place(temp, parts, overwrite=overwrite)
        finally:
            temp.unlink(missing_ok=True)
        self._wrote(len(data))
        self.drop_thumbs(parts)
        return self.stat(text_of(parts)), created

    def upload(self, path, overwrite: bool = True) -> "Upload":
        """A file written in chunks (Upload.write), placed whole by Upload.commit."""
        return Upload(self, segments(path), overwrite)

    def append(self, path, data: bytes) -> dict:
        parts = segments(path)
        self.check_room(len(data))
        self.tree.append(parts, data)
        self._wrote(len(data))
        self.drop_thumbs(parts)
        return self.stat(text_of(parts))

    def mkdir(self, path) -> dict:
        parts = segments(path)
        if not parts:
            raise Refused(422, "path: name the folder to make", field="path")
        self.tree.mkdir(parts)
        return self.stat(text_of(parts))

    def move(self, source, target) -> dict:
        source_parts, target_parts = segments(source, "from"), segments(target, "to")
        if not source_parts or not target_parts:
            raise Refused(422, "from and to name a file or folder, not the storage root", field="from" if not source_parts else "to")
        self.tree.move(source_parts, target_parts)
        self.drop_thumbs(source_parts)
        return self.stat(text_of(target_parts))

    def copy(self, source, target) -> dict:
        source_parts, target_parts = segments(source, "from"), segments(target, "to")
        if not source_parts or not target_parts:
            raise Refused(422, "from and to name a file or folder, not the storage root", field="from" if not source_parts else "to")
        info = self.tree.stat(source_parts)
        size = info.st_size if stat_module.S_ISREG(info.st_mode) else self._tree_size(source_parts)
        self.check_room(size)
        self.tree.copy_into(source_parts, target_parts, self.temp_path)
        self._wrote(size)
        return self.stat(text_of(target_parts))

    def _tree_size(self, parts: tuple[str, ...]) -> int:
        total = 0
        for name, info in self.tree.entries(parts):
            total += self._tree_size(parts + (name,)) if stat_module.S_ISDIR(info.st_mode) else info.st_size
        return total

    def delete(self, path) -> None:
        parts = segments(path)
        if not parts:
            raise Refused(422, "path: the storage root itself cannot be deleted", field="path")
        self.tree.delete(parts)
        self._usage = None
        self.drop_thumbs(parts)

    # -- thumbnails ----------------------------------------------------------------------------

    def _thumb_folder(self, parts: tuple[str, ...]) -> Path:
        return self.thumbs / hashlib.sha256(text_of(parts).encode()).hexdigest()[:32]

    def drop_thumbs(self, parts: tuple[str, ...]) -> None:
        """Forget the thumbnails of a path (a folder's files keep theirs until asked again: their
        key includes the modification time, and a moved file's old path is never asked)."""
        shutil.rmtree(self._thumb_folder(parts), ignore_errors=True)

    def thumbnail(self, path, size: str) -> tuple[bytes, str]:
        from .thumbs import make, parse_size  # Pillow is loaded only where thumbnails are made

        dimensions = parse_size(size)
        parts, handle = self.open(path)
        with handle:
            info = os.fstat(handle.fileno())
            if not mime.of_file(parts[-1], handle.read(mime.HEAD_BYTES)).startswith("image/"):
                raise Refused(422, f"{text_of(parts)} is not an image", field="path")
            if info.st_size > self.limits.thumb_max_bytes:
                raise Refused(422, f"{text_of(parts)} is larger than {self.limits.thumb_max_bytes} bytes for a thumbnail", field="path")
            folder = self._thumb_folder(parts)
            stamp = f"{info.st_mtime_ns}-{info.st_size}"
            for cached in folder.glob(f"{stamp}-{size}.*"):
                return cached.read_bytes(), mime.by_name(cached.name)
            handle.seek(0)
            data, kind = make(handle, dimensions, self.limits.thumb_max_pixels)
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for old in folder.iterdir():
            if not old.name.startswith(stamp):
                old.unlink(missing_ok=True)  # of an older version of the file
            else:
                kept.append(old)
        # The sizes are the asker's (a direct link's: anyone's), thousands of them, and the cache is
        # outside the quota: only the newest `thumb_cache` of a file are kept (before, every size
        # asked stayed: 20 anonymous requests left 227 MB beside a 12 MB image).
        kept.sort(key=_made_at, reverse=True)
        for old in kept[max(0, self.limits.thumb_cache - 1):]:
            old.unlink(missing_ok=True)
        suffix = {"image/jpeg": ".jpg", "image/webp": ".webp"}.get(kind, ".png")
        temp = self.temp_path()
        temp.write_bytes(data)
        os.replace(temp, folder / f"{stamp}-{size}{suffix}")
        return data, kind


class Upload:
    """A file arriving in chunks: written to tmp/, placed into the tree whole on commit, and
    removed (nothing left anywhere) on abort or when the quota or the size limit is passed."""

    def __init__(self, files: Files, parts: tuple[str, ...], overwrite: bool) -> None:
        if not parts:
            raise Refused(422, "path: name the file", field="path")
        self.files = files
        self.parts = parts
        self.overwrite = overwrite
        self.size = 0
        self.temp = files.temp_path()
        self.handle = open(self.temp, "wb")
        self.room = files.limits.max_project_size - files.usage()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.room:
            self.abort()
            raise quota_refusal(self.files.limits.max_project_size, self.files.usage(), self.size)
        self.handle.write(chunk)

    def commit(self) -> dict:
        self.handle.close()
        try:
            self.files.tree.place(self.temp, self.parts, overwrite=self.overwrite)
        finally:
            self.temp.unlink(missing_ok=True)
        self.files._wrote(self.size)
        self.files.drop_thumbs(self.parts)
        return self.files.stat(text_of(self.parts))

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


def _made_at(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:  # removed meanwhile by another request's clean-up
        return 0


def sweep_temporary_files(storage_path, before: float) -> int:
    """Remove what uploads and saves left in every project's tmp/ when a server stopped mid-way
    (a crash, a kill): the files older than `before` (the server's start), so a worker's save
    under way is left alone. Returns the count removed."""
    removed = 0
    for tmp in (Path(storage_path) / "projects").glob("*/tmp"):
        for leftover in tmp.iterdir():
            try:
                if leftover.stat().st_mtime < before:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
    return removed


def remove_project(storage_path, project_id: str) -> None:
    """The project is gone: its tree, its temporary files and its thumbnails with it."""
    shutil.rmtree(project_dir(storage_path, project_id), ignore_errors=True)
