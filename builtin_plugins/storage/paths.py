"""The one place a user path meets the disk, for the REST API and `$storage` alike.

`segments(path)` turns what a user wrote into checked path segments, or refuses it (Refused 422
with the reason). `Tree` then does every file operation below a project's root by walking the
segments with directory file descriptors opened O_NOFOLLOW: a symbolic link is never followed,
so nothing outside the root is read, written, listed, moved into or deleted, even when a
directory is swapped for a link between two calls (docs/storage.md, "Path rules").
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat as stat_module
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

from kernel.errors import Refused

MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 4096
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DRIVE = re.compile(r"^[A-Za-z]:")


def refuse(reason: str, field: str = "path") -> Refused:
    return Refused(422, f"{field}: {reason}", fields={field: reason})


def _danger(text: str) -> str | None:
    """What makes `text` unsafe as a relative path, if anything."""
    if CONTROL.search(text):
        return "control characters (NUL, newlines...) are not allowed"
    if "\\" in text:
        return "backslashes are not allowed; separate folders with /"
    if text.startswith("/"):
        return "must be relative to the storage root (no leading /)"
    if DRIVE.match(text):
        return "drive letters are not allowed"
    if ".." in text.split("/"):
        return "'..' is not allowed"
    return None


def segments(path, field: str = "path") -> tuple[str, ...]:
    """The checked segments of a user path ("" or "." is the root: no segments).

    Refused: NUL and control characters, backslashes, absolute paths, drive letters, `..`,
    percent-encoded or double-encoded forms of any of these, names made only of dots or spaces,
    a segment over 255 bytes, a path over 4096; and a path whose compatibility form (NFKC) would
    be refused or has other segments: look-alikes of `.`, `/` and `\\` (fullwidth `．．`, the
    leaders U+2024 and U+2025, fullwidth solidi) become the real ones when another tool, a file
    system or a user's download normalises the name. Empty segments and `.` are dropped."""
    parts = _checked(path, field)
    folded = unicodedata.normalize("NFKC", path)
    if folded != unicodedata.normalize("NFC", path):
        shown = repr(folded[:100])
        try:
            changed = len(_checked(folded, field)) != len(parts)
        except Refused as exc:
            raise refuse(f"look-alike characters: as {shown} (NFKC) it is refused: {exc.fields[field]}", field) from None
        if changed:  # a look-alike of "." (a segment dropped) or of "/" (one more)
            raise refuse(f"look-alike characters: as {shown} (NFKC) it names other folders", field)
    return parts


def _checked(path, field: str) -> tuple[str, ...]:
    if not isinstance(path, str):
        raise refuse("must be a string", field)
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise refuse(f"is longer than {MAX_PATH_BYTES} bytes", field)
    reason = _danger(path)
    decoded = path
    for _ in range(3):  # %2e%2e, and %252e%252e decoded twice
        try:
            once = unquote(decoded, errors="strict")
        except UnicodeDecodeError:  # %c0%af, the overlong "/" of old decoders
            reason = reason or "percent-encoded bytes that are not UTF-8 are not allowed"
            break
        if once == decoded:
            break
        decoded = once
        if reason is None and _danger(decoded):
            reason = f"percent-encoded form refused: {_danger(decoded)}"
    if reason:
        raise refuse(reason, field)
    parts = []
    for part in unicodedata.normalize("NFC", path).split("/"):
        if part in ("", "."):
            continue
        if not part.strip(". "):
            raise refuse(f"the name {part!r} is only dots or spaces", field)
        if len(part.encode()) > MAX_SEGMENT_BYTES:
            raise refuse(f"a name is longer than {MAX_SEGMENT_BYTES} bytes", field)
        parts.append(part)
    return tuple(parts)


def text_of(parts: tuple[str, ...]) -> str:
    """The canonical form of a path, as the API shows it."""
    return "/".join(parts)


class NotFound(Refused):
    def __init__(self, path: str) -> None:
        super().__init__(404, f"{path or 'the root'} not found")


class Tree:
    """A project's storage root; every method takes checked segments (see `segments`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- walking -------------------------------------------------------------------------------

    def _root_fd(self) -> int:
        self.root.mkdir(parents=True, exist_ok=True)  # made on first use, listing included
        return os.open(self.root, DIR_FLAGS)

    def _descend(self, fd: int, name: str, create: bool, walked: str) -> int:
        try:
            return os.open(name, DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise NotFound(walked) from None
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ELOOP):
                raise Refused(409, f"{walked} is not a folder", fields={"path": f"{walked} is not a folder"}) from None
            raise
        try:
            os.mkdir(name, 0o700, dir_fd=fd)  # the operator's alone, umask or not (docs/operations.md)
        except FileExistsError:
            pass  # made meanwhile, or a file: the open below tells
        return self._descend(fd, name, False, walked)

    @contextmanager
    def folder(self, parts: tuple[str, ...], create: bool = False) -> Iterator[int]:
        """A descriptor of the folder `parts` (the root for ()), walked without following links."""
        fd = self._root_fd()
        try:
            for index, name in enumerate(parts):
                next_fd = self._descend(fd, name, create, text_of(parts[: index + 1]))
                os.close(fd)
                fd = next_fd
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def parent(self, parts: tuple[str, ...], create: bool = False) -> Iterator[tuple[int, str]]:
        """The descriptor of the folder holding `parts[-1]`, and that name."""
        if not parts:
            raise refuse("names the storage root; name a file or folder in it")
        with self.folder(parts[:-1], create) as fd:
            yield fd, parts[-1]

    # -- reading -------------------------------------------------------------------------------

    def lstat(self, parts: tuple[str, ...]) -> os.stat_result:
        """The entry's own stat, a link included (not followed); NotFound when absent."""
        if not parts:
            with self.folder(()) as fd:
                return os.fstat(fd)
        with self.parent(parts) as (fd, name):
            try:
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise NotFound(text_of(parts)) from None

    def stat(self, parts: tuple[str, ...]) -> os.stat_result:
        """The stat of a file or folder; a link (planted from outside m3m) is refused: only
        delete touches one, and it removes the link."""
        info = self.lstat(parts)
        if stat_module.S_ISLNK(info.st_mode):
            raise Refused(409, f"{text_of(parts)} is a symbolic link", field="path")
        return info

    def entries(self, parts: tuple[str, ...]) -> list[tuple[str, os.stat_result]]:
        """(name, stat) of the folder's files and folders; links and other kinds are left out."""
        with self.folder(parts) as fd:
            found = []
            with os.scandir(fd) as listing:
                for entry in listing:
                    info = entry.stat(follow_symlinks=False)
                    if stat_module.S_ISDIR(info.st_mode) or stat_module.S_ISREG(info.st_mode):
                        found.append((entry.name, info))
            return found

    def open_file(self, parts: tuple[str, ...]):
        """The regular file `parts`, open for reading (a binary file object)."""
        with self.parent(parts) as (fd, name):
            try:
                file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except FileNotFoundError:
                raise NotFound(text_of(parts)) from None
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise Refused(422, f"{text_of(parts)} is a symbolic link", field="path") from None
                raise
        if not stat_module.S_ISREG(os.fstat(file_fd).st_mode):
            os.close(file_fd)
            raise Refused(409, f"{text_of(parts)} is a folder, not a file", field="path")
        return os.fdopen(file_fd, "rb")

    def usage(self) -> tuple[int, int]:
        """(bytes, files) under the root, links not followed."""
        total = files = 0
        if not self.root.is_dir():
            return 0, 0
        for _, _, names, dir_fd in os.fwalk(self.root, follow_symlinks=False):
            for name in names:
                try:
                    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat_module.S_ISREG(info.st_mode):
                    total += info.st_size
                    files += 1
        return total, files

    # -- writing -------------------------------------------------------------------------------

    def mkdir(self, parts: tuple[str, ...]) -> None:
        """Make the folder and its parents; 409 when a file stands in the way."""
        with self.folder(parts, create=True):
            pass

    def place(self, temp: Path, parts: tuple[str, ...], overwrite: bool = True) -> bool:
        """Move the finished temporary file `temp` (same file system) to `parts`, at once: a
        reader sees the old file or the new one, never a mix. Parents are made. True when it
        created the file: of writers racing for a new name exactly one did (os.link refuses
        a name that exists), the others replaced it."""
        with self.parent(parts, create=True) as (fd, name):
            try:
                existing = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                existing = None
            if existing is None:
                try:
                    os.link(temp, name, dst_dir_fd=fd, follow_symlinks=False)
                    os.unlink(temp)
                    return True
                except FileExistsError:  # another writer created it meanwhile: replace it below
                    existing = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if existing is not None:
                if stat_module.S_ISLNK(existing.st_mode):  # planted from outside m3m: left alone
                    raise Refused(409, f"{text_of(parts)} is a symbolic link", field="path")
                if stat_module.S_ISDIR(existing.st_mode):
                    raise Refused(409, f"{text_of(parts)} is a folder", field="path")
                if not overwrite:
                    raise Refused(409, f"{text_of(parts)} exists", field="path")
            os.rename(temp, name, dst_dir_fd=fd)
            return False

    def append(self, parts: tuple[str, ...], data: bytes) -> int:
        """Append to the file (made if missing, with its parents); the new size."""
        with self.parent(parts, create=True) as (fd, name):
            try:
                file_fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.EISDIR):
                    raise Refused(409, f"{text_of(parts)} is not a file", field="path") from None
                raise
            try:
                os.write(file_fd, data)
                return os.fstat(file_fd).st_size
            finally:
                os.close(file_fd)

    def move(self, source: tuple[str, ...], target: tuple[str, ...]) -> None:
        """Rename or move a file or folder; the target must not exist (409)."""
        if target[: len(source)] == source:
            raise Refused(422, "a folder cannot move into itself", field="to")
        self.stat(source)
        with self.parent(source) as (source_fd, source_name), self.parent(target, create=True) as (target_fd, target_name):
            if _exists(target_fd, target_name):
                raise Refused(409, f"{text_of(target)} exists", field="to")
            os.rename(source_name, target_name, src_dir_fd=source_fd, dst_dir_fd=target_fd)

    def delete(self, parts: tuple[str, ...]) -> None:
        """Delete a file, or a folder with everything in it (a link is removed, not followed)."""
        with self.parent(parts) as (fd, name):
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise NotFound(text_of(parts)) from None
            if stat_module.S_ISDIR(info.st_mode):
                shutil.rmtree(name, dir_fd=fd)  # fd-based on Linux: immune to link swaps
            else:
                os.unlink(name, dir_fd=fd)

    def copy_into(self, source: tuple[str, ...], target: tuple[str, ...], make_temp) -> None:
        """Copy a file or a folder's tree to `target` (which must not exist); each file is
        written to a temporary file from `make_temp()` and placed whole."""
        if target[: len(source)] == source:
            raise Refused(422, "a folder cannot be copied into itself", field="to")
        info = self.stat(source)
        with self.parent(target, create=True) as (fd, name):
            if _exists(fd, name):
                raise Refused(409, f"{text_of(target)} exists", field="to")
        if stat_module.S_ISREG(info.st_mode):
            with self.open_file(source) as reader:
                temp = make_temp()
                try:
                    with open(temp, "wb") as writer:
                        shutil.copyfileobj(reader, writer, 1024 * 1024)
                    self.place(temp, target, overwrite=False)
                finally:
                    temp.unlink(missing_ok=True)
            return
        self.mkdir(target)
        for name, child in self.entries(source):
            self.copy_into(source + (name,), target + (name,), make_temp)


def _exists(fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=fd, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False
