"""Archives an attacker would send: a real export or backup changed by hand (its manifest's
checksums made to match again), members of every kind, and bombs: a small .tar.gz that expands
to far more than it weighs, built from concatenated gzip members (gzip allows them one after
another), so that making one costs as little as it weighs."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import threading
from pathlib import Path

import bson

BLOCK = 512
MIB = 1024**2
_ZEROS_MIB = gzip.compress(b"\0" * MIB, compresslevel=9)  # ~1 KB that inflates to 1 MiB


def member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime, info.mode = kind, link, 1_700_000_000, 0o644
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.size else None)
    return out.getvalue()


def members_of(archive: bytes) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return [(info, tar.extractfile(info).read() if info.isfile() else b"") for info in tar]


def with_members(archive: bytes, extra: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """The archive with more members before its manifest (which does not list them)."""
    members = members_of(archive)
    return tar_gz(members[:-1] + extra + members[-1:])


def repacked(archive: bytes, change) -> bytes:
    """A project export with its documents changed by `change(docs, manifest)` (docs: collection
    -> list of documents, to change in place), and the manifest's counts and checksums made to
    match again, as an attacker would."""
    docs, others, manifest = {}, [], None
    for info, data in members_of(archive):
        if info.name == "manifest.json":
            manifest = json.loads(data)
        elif info.name.startswith("db/"):
            docs[info.name[3:-5]] = bson.decode_all(data)
        else:
            others.append((info, data))
    change(docs, manifest)
    members = []
    for name, items in docs.items():
        raw = b"".join(bson.encode(doc) for doc in items)
        entry = manifest["collections"].setdefault(name, {"field": "project"})  # what an older m3m read
        entry.update(documents=len(items), sha256=hashlib.sha256(raw).hexdigest())
        members.append(member(f"db/{name}.bson", raw))
    for name in list(manifest["collections"]):
        if name not in docs:
            del manifest["collections"][name]
    return tar_gz(members + others + [member("manifest.json", json.dumps(manifest).encode())])


def bomb(name: str, size: int, before: list[tuple[tarfile.TarInfo, bytes]] = (), kind: bytes = tarfile.REGTYPE,
         prefix: bytes = b"") -> bytes:
    """A .tar.gz of `before`, then one member `name` of `size` bytes: `prefix`, then zeros. It
    weighs about size / 1000."""
    head = b""
    for info, data in before:
        head += info.tobuf(tarfile.PAX_FORMAT) + data + b"\0" * (-len(data) % BLOCK)
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mtime = kind, size, 1_700_000_000
    head += info.tobuf(tarfile.USTAR_FORMAT) + prefix
    whole, rest = divmod(size - len(prefix), MIB)
    return (gzip.compress(head) + _ZEROS_MIB * whole
            + gzip.compress(b"\0" * rest + b"\0" * (-size % BLOCK) + b"\0" * BLOCK * 2))


def chained_extensions(count: int, name: str) -> bytes:
    """A .tar.gz whose one file `name` comes after `count` pax extension headers in a row (tarfile
    reads each next header from inside the one before)."""
    record = b"17 comment=chain\n"  # the length counts the whole record
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type, pax.size = tarfile.XHDTYPE, len(record)
    link = pax.tobuf(tarfile.USTAR_FORMAT) + record.ljust(BLOCK, b"\0")
    info, data = member(name, b"x")
    return gzip.compress(link * count + info.tobuf(tarfile.USTAR_FORMAT) + data.ljust(BLOCK, b"\0") + b"\0" * BLOCK * 2)


def many_members(count: int, prefix: str) -> bytes:
    """A .tar.gz of `count` empty files (about 30 bytes each once compressed)."""
    return tar_gz([member(f"{prefix}{index}") for index in range(count)])


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def run_measured(command: list[str], env: dict, cwd: Path, timeout: float = 300) -> tuple[int, str, int]:
    """Run a command to its end: (exit code, its stderr, its peak resident memory in bytes, from
    the kernel's accounting of that one child: wait4's ru_maxrss). Killed past `timeout`."""
    with open(cwd / "stderr.txt", "w+") as err:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        err.seek(0)
        return process.returncode, err.read(), usage.ru_maxrss * 1024
