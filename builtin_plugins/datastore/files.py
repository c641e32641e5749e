"""`file` fields: a record's files in the project storage, under `datastore/{model id}/{record id}/`,
through the storage plugin's files (its path rules and quota): handed over by the
m3m_project_files hook in the server, made by binding.project_storage in a worker (as $storage
makes them). Without the storage plugin, file fields are read-only in a worker."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import secrets

from kernel.errors import Refused

ROOT = "datastore"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def folder(model: dict, rid: str | None = None) -> str:
    return f"{ROOT}/{model['_id']}" + (f"/{rid}" if rid else "")


def stored_name(filename: str) -> str:
    """A safe, unique name for an upload: `report_k3x9q2.pdf` (as PocketBase does)."""
    base = (filename or "file").replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = UNSAFE.sub("_", stem).strip("._")[:80] or "file"
    suffix = UNSAFE.sub("", suffix)[:16].lower()
    return f"{stem}_{secrets.token_hex(3)}" + (f".{suffix}" if suffix else "")


def mime_of(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def accepted(mime: str, allowed: list[str]) -> bool:
    return not allowed or any(mime == item or item.endswith("/*") and mime.startswith(item[:-1]) for item in allowed)


def names(value) -> list[str]:
    return value if isinstance(value, list) else [value] if value else []


COPY_CHUNK = 1024 * 1024


def size_of(upload) -> int:
    """The bytes of an uploaded part (werkzeug's FileStorage: spooled to a temporary file)."""
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


async def write(storage, model: dict, rid: str, name: str, upload) -> None:
    """The uploaded part into the record's folder, copied a chunk at a time through the storage's
    Upload (its quota checked as it grows): a file is never held whole in memory. (Before, each
    part was read whole: one API key's 400 MB upload grew the server by 400 MB, and a field's
    maxSize is the member's choice.)"""
    await asyncio.to_thread(_copy, storage, f"{folder(model, rid)}/{name}", upload.stream)


def _copy(storage, path: str, source) -> None:
    target = storage.upload(path, overwrite=False)
    try:
        while chunk := source.read(COPY_CHUNK):
            target.write(chunk)
        target.commit()
    except BaseException:
        target.abort()
        raise


async def opened(storage, model: dict, rid: str, name: str):
    """(size, the file's chunks) of a record's file: read as it is sent, never whole (a slow
    client held a whole file of up to files.max_read in memory for as long as it took)."""
    _, handle = await asyncio.to_thread(storage.open, f"{folder(model, rid)}/{name}")
    size = (await asyncio.to_thread(os.fstat, handle.fileno())).st_size

    async def chunks():
        try:
            while chunk := await asyncio.to_thread(handle.read, COPY_CHUNK):
                yield chunk
        finally:
            handle.close()

    return size, chunks()


async def remove(storage, path: str) -> None:
    """Delete a file or folder if it is there (a record without files has no folder)."""
    if await asyncio.to_thread(storage.exists, path):
        await asyncio.to_thread(storage.delete, path)


def room(field: dict, limits, current) -> tuple[list[str], int, int]:
    """(the names kept when files are added, maxSize, maxSelect) of a file field holding `current`:
    a single-file field's file is replaced, a multi-file field's are added to."""
    options = field["options"]
    max_size, max_select = options.get("maxSize") or limits.max_file_size, int(options.get("maxSelect") or 1)
    return (names(current) if max_select > 1 else []), max_size, max_select


def most_bytes(field: dict, limits) -> int:
    """The most a file field takes in one write: maxSelect files of maxSize."""
    _, max_size, max_select = room(field, limits, None)
    return max_size * max_select


def check_new(field: dict, limits, current, incoming: list[tuple[str, int]]) -> None:
    """New files `(name, size)` for a file field holding `current`: a 422 naming the field when
    there are too many, one is too large, or its type (by name) is not in mimeTypes. The one
    check of the REST upload and of `$database...attach`."""
    key, options = field["key"], field["options"]
    kept, max_size, max_select = room(field, limits, current)
    if not incoming:
        raise Refused(422, f"{key}: no file given", fields={key: {"code": "validation_required", "message": "no file given"}})
    def refused(code: str, message: str) -> Refused:  # the field's message names the file, as the whole one does
        return Refused(422, f"{key}: {message}", fields={key: {"code": code, "message": message}})

    if len(kept) + len(incoming) > max_select:
        raise refused("validation_too_many_values", f"takes at most {max_select} files")
    for name, size in incoming:
        mime = mime_of(name)
        if size > max_size:
            raise refused("validation_file_size_limit", f"{name} is larger than {max_size} bytes")
        if not accepted(mime, options.get("mimeTypes") or []):
            raise refused("validation_invalid_mime_type", f"{name} is {mime}, not one of {', '.join(options['mimeTypes'])}")


def unavailable() -> Refused:
    return Refused(503, "file fields need the project storage (the storage plugin is blocked?)")
