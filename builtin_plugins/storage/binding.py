"""Host side of $storage: the project's files through the same Files class (and so the same path
rules, quota and atomic writes) as the REST API. Bytes cross the boundary as base64 in chunks of
CHUNK bytes, through handles the prelude opens and always closes: no file crosses as one giant
string."""

from __future__ import annotations

import asyncio
import base64
import itertools

from builtin_plugins.runtime.sdk import Binding
from kernel.errors import Refused

from . import links
from .links import LinkKeys
from .paths import text_of
from .service import Files, project_dir

CHUNK = 1024 * 1024
MAX_OPEN = 64  # handles a service may hold at once


def binding(ctx) -> Binding:
    files = Files(project_dir(ctx.settings.storage.path, ctx.project["id"]), ctx.settings.files)
    keys = LinkKeys(ctx.db)
    handles: dict[int, object] = {}
    ids = itertools.count(1)

    def keep(handle) -> int:
        if len(handles) >= MAX_OPEN:
            handle.close() if hasattr(handle, "close") else handle.abort()
            raise Refused(429, f"more than {MAX_OPEN} reads or writes are open at once")
        handle_id = next(ids)
        handles[handle_id] = handle
        return handle_id

    def handle_of(handle_id) -> object:
        if handle_id not in handles:
            raise Refused(404, "no such open file (closed already?)")
        return handles[handle_id]

    def run(function, *args):
        return asyncio.to_thread(function, *args)

    async def open_read(path) -> dict:
        parts, handle = await run(files.open, path)
        size = handle.seek(0, 2)
        handle.seek(0)
        if size > files.limits.max_read:
            handle.close()
            raise Refused(413, f"{text_of(parts)} is larger than {files.limits.max_read} bytes (files.max_read)", field="path")
        return {"handle": keep(handle), "size": size}

    async def read_chunk(handle_id) -> str | None:
        data = await run(handle_of(handle_id).read, CHUNK)
        return base64.b64encode(data).decode() if data else None

    def close(handle_id) -> None:
        handle = handles.pop(handle_id, None)
        if handle is not None:
            handle.close() if hasattr(handle, "close") else handle.abort()

    async def open_write(path) -> int:
        return keep(await run(files.upload, path, True))

    async def write_chunk(handle_id, data_b64) -> None:
        await run(handle_of(handle_id).write, _bytes(data_b64))

    async def commit(handle_id) -> dict:
        upload = handles.pop(handle_id, None)
        if upload is None:
            raise Refused(404, "no such open file (closed already?)")
        return await run(upload.commit)

    async def append(path, data_b64) -> dict:
        return await run(files.append, path, _bytes(data_b64))

    async def listing(path="", options=None) -> list[dict]:
        options = options if isinstance(options, dict) else {}
        page, per_page = options.get("page", 1), options.get("perPage", files.limits.max_page)
        for name, value, high in (("page", page, 10**6), ("perPage", per_page, files.limits.max_page)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 1 <= value <= high:
                raise Refused(422, f"{name} must be a whole number from 1 to {high}", field=name)
        result = await run(files.list, path, int(page), int(per_page), str(options.get("sort", "name")), str(options.get("search", "")))
        return result["entries"]

    async def url(path, expires_in=None) -> str:
        parts, handle = await run(files.open, path)
        handle.close()
        expires = links.expires_at(expires_in, files.limits)
        token = links.sign(await keys.key(ctx.project["id"]), ctx.project["id"], text_of(parts), expires)
        return f"{ctx.settings.server.content_uri}/files/{token}"

    return Binding(
        operations={
            "openRead": open_read, "readChunk": read_chunk, "close": close,
            "openWrite": open_write, "writeChunk": write_chunk, "commit": commit, "append": append,
            "list": listing, "stat": lambda path: run(files.stat, path), "exists": lambda path: run(files.exists, path),
            "mkdir": lambda path: run(files.mkdir, path), "move": lambda a, b: run(files.move, a, b),
            "copy": lambda a, b: run(files.copy, a, b), "delete": lambda path: run(files.delete, path),
            "url": url,
        },
        data={"chunk": CHUNK},
        # what lands in the project's files (an upload's chunks go to tmp/, which no backup holds)
        writes=frozenset({"commit", "append", "mkdir", "move", "copy", "delete"}),
    )


def _bytes(data_b64) -> bytes:
    if not isinstance(data_b64, str):
        raise TypeError("data must cross as base64 text")
    try:
        return base64.b64decode(data_b64, validate=True)
    except ValueError:
        raise TypeError("data is not base64") from None
