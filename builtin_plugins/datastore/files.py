"""`file` fields: a record's files in the project storage, under `datastore/{model id}/{record id}/`,
through the storage plugin's files (its path rules and quota) handed over by the
m3m_project_files hook. Only the server has them: in a worker, file fields are read-only."""

from __future__ import annotations

import asyncio
import mimetypes
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


async def write(storage, model: dict, rid: str, name: str, data: bytes) -> None:
    await asyncio.to_thread(storage.write_bytes, f"{folder(model, rid)}/{name}", data, False)


async def read(storage, model: dict, rid: str, name: str) -> bytes:
    return await asyncio.to_thread(storage.read_bytes, f"{folder(model, rid)}/{name}")


async def remove(storage, path: str) -> None:
    """Delete a file or folder if it is there (a record without files has no folder)."""
    if await asyncio.to_thread(storage.exists, path):
        await asyncio.to_thread(storage.delete, path)


def unavailable() -> Refused:
    return Refused(503, "file fields need the project storage (the storage plugin is blocked?)")
