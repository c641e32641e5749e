"""Reading a .tar.gz that someone else made, without trusting it.

`extract` writes each member of the archive into a fresh folder while hashing it, and refuses
the archive at the first thing wrong, before that member's data is read:
- a name that is absolute, holds an empty, `.` or `..` part, a backslash or a control character,
  or comes twice;
- a kind other than a regular file (a directory is skipped): no symbolic or hard link, device,
  FIFO or sparse file is ever made;
- more members than `max_members`, or data past `max_bytes` in all (the sizes in the headers are
  checked before the data is read, and the data read is counted too);
- a tar extension header (long names, pax records) larger than EXTENSION_LIMIT, which tarfile
  would read whole, or more than MAX_EXTENSIONS of them in a row.

Nothing is held whole in memory: data goes to disk in CHUNK pieces, and what grows with the
archive is one small record per member. `manifest_of` reads the one JSON part the members are
checked against, bounded by the count of members it can list. `dump_documents` reads a BSON
dump (documents one after another, mongodump's format) one document at a time, each at most
the largest BSON document.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
EXTENSION_LIMIT = 64 * 1024
MAX_EXTENSIONS = 4  # a member has one pax header, or a GNU long name and link: never more in a row
# MongoDB's largest document (16 MiB), with room for the dump's own framing.
MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024
_EXTENSIONS = {tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK}
_FILES = {tarfile.REGTYPE, tarfile.AREGTYPE}
_BAD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\\]")


class ArchiveRefused(Exception):
    """The archive is refused, in one line; `too_large` when a bound was passed (else malformed)."""

    def __init__(self, reason: str, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


@dataclass(frozen=True)
class Part:
    """One extracted member: where its bytes are now, how many, their sha256, and its header's
    mode and modification time."""

    path: Path
    size: int
    sha256: str
    mode: int
    mtime: int


class _Header(tarfile.TarInfo):
    # Checked before tarfile processes a header (_proc_member is its documented place to extend
    # member kinds): tarfile reads an extension header's data whole, then the member it describes
    # from inside that call, so a long chain of them would hold each one's data and a stack frame.
    def _proc_member(self, tar):
        tar.extensions_in_a_row = getattr(tar, "extensions_in_a_row", 0) + 1 if self.type in _EXTENSIONS else 0
        if self.type in _EXTENSIONS and self.size > EXTENSION_LIMIT:
            raise ArchiveRefused(f"a tar extension header of {self.size} bytes (at most {EXTENSION_LIMIT})", True)
        if tar.extensions_in_a_row > MAX_EXTENSIONS:
            raise ArchiveRefused(f"more than {MAX_EXTENSIONS} tar extension headers in a row")
        if self.type not in _EXTENSIONS and self.type not in _FILES and self.type != tarfile.DIRTYPE:
            raise ArchiveRefused(f"{self.name} is a {_kind(self)}, not a file")
        return super()._proc_member(tar)

    def _sparse(self, *args):
        # A GNU sparse map in pax records is read by tarfile until it ends, however long.
        raise ArchiveRefused(f"{self.name} is a sparse file, not a file")

    _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _sparse


def _kind(member: tarfile.TarInfo) -> str:
    kinds = {tarfile.SYMTYPE: "symbolic link", tarfile.LNKTYPE: "hard link", tarfile.CHRTYPE: "character device",
             tarfile.BLKTYPE: "block device", tarfile.FIFOTYPE: "FIFO", tarfile.GNUTYPE_SPARSE: "sparse file",
             tarfile.XGLTYPE: "global pax header"}
    return kinds.get(member.type, f"member of type {member.type!r}")


def check_name(name: str) -> str:
    """The member name, if it is a plain relative path; ArchiveRefused else."""
    parts = name.split("/")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ArchiveRefused(f"a member name is not UTF-8: {name!r}") from None
    if not name or name.startswith("/") or _BAD_CHARACTERS.search(name) or any(p in ("", ".", "..") for p in parts):
        raise ArchiveRefused(f"the member name {name!r} is not a plain relative path")
    return name


def extract(archive: Path, into: Path, *, max_bytes: int, max_members: int) -> dict[str, Part]:
    """Every file of the .tar.gz `archive` written under the folder `into` (made here, must not
    exist), by member name; ArchiveRefused at the first member that breaks a rule."""
    into.mkdir(parents=True)
    parts: dict[str, Part] = {}
    total = members = 0
    try:
        with tarfile.open(archive, "r:gz", tarinfo=_Header) as tar:
            while (member := tar.next()) is not None:
                tar.members.clear()  # tarfile keeps every header it read; nothing here looks back
                members += 1
                if members > max_members:
                    raise ArchiveRefused(f"the archive has more than {max_members} members", True)
                name = check_name(member.name)
                if member.isdir():
                    continue
                if member.size > max_bytes - total:
                    raise ArchiveRefused(f"the archive holds more than {max_bytes} bytes", True)
                total += member.size
                parts[name] = _write(tar, member, into / name)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, ValueError) as exc:  # UnicodeError is one
        raise ArchiveRefused(f"not a readable .tar.gz: {exc}") from None
    return parts


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> Part:
    try:  # in a folder of its own: a name that exists is one that came before ("a", or "a/b" and "a")
        target.parent.mkdir(parents=True, exist_ok=True)
        out = open(target, "xb")
    except (FileExistsError, IsADirectoryError, NotADirectoryError):
        raise ArchiveRefused(f"{member.name} comes twice in the archive (or is a file and a folder)") from None
    source = tar.extractfile(member)
    sha, size = hashlib.sha256(), 0
    with out:
        while chunk := source.read(min(CHUNK, member.size - size)):
            size += len(chunk)
            sha.update(chunk)
            out.write(chunk)
            if size >= member.size:
                break
    if size != member.size:
        raise ArchiveRefused(f"{member.name} ends early")
    return Part(target, size, sha.hexdigest(), member.mode, int(member.mtime))


def manifest_of(parts: dict[str, Part], name: str = "manifest.json") -> dict:
    """The JSON object of the part `name`, taken out of `parts`: at most 1 MiB and 512 bytes per
    member (a manifest lists each part in a line or three); ArchiveRefused else."""
    part = parts.pop(name, None)
    limit = 1024**2 + 512 * (len(parts) + 1)
    if part is None:
        raise ArchiveRefused(f"the archive has no {name}")
    if part.size > limit:
        raise ArchiveRefused(f"{name} is larger than its {len(parts)} parts need ({part.size} bytes)", True)
    try:
        manifest = json.loads(part.path.read_bytes())
    except ValueError:
        raise ArchiveRefused(f"{name} is not JSON") from None
    if not isinstance(manifest, dict):
        raise ArchiveRefused(f"{name} is not a JSON object")
    return manifest


def dump_documents(handle, limit: int = MAX_DOCUMENT):
    """The raw documents of a BSON dump, one at a time; ArchiveRefused for a broken or oversized one."""
    while header := handle.read(4):
        size = int.from_bytes(header, "little")
        if len(header) < 4 or not 5 <= size <= limit:
            raise ArchiveRefused(f"a dump holds a document of {size} bytes (at most {limit})" if len(header) == 4
                                 else "a dump ends in the middle of a document")
        rest = handle.read(size - 4)
        if len(rest) != size - 4:
            raise ArchiveRefused("a dump ends in the middle of a document")
        yield header + rest
