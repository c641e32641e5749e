"""Host side of $http: `request` answers {status, ok, headers, url, text | base64} (the body as
text for responseType text/json, as base64 for bytes), `download` pours the body into a file of
`$storage` through the storage plugin's own uploads (its path rules, quota and atomic commit)."""

from __future__ import annotations

import asyncio
import base64

from builtin_plugins.runtime.sdk import Binding
from builtin_plugins.storage.service import Files, project_dir
from kernel.errors import Refused

from .client import Buffer, send, shared_client
from .guard import Guard
from .options import plan


class InFlight:
    """Calls under way: a service with one running must not be put to sleep (docs/runtime/sleep.md),
    e.g. a download a route started without awaiting it."""

    def __init__(self, what: str) -> None:
        self.count = 0
        self.what = what

    def __enter__(self) -> None:
        self.count += 1

    def __exit__(self, *exc) -> None:
        self.count -= 1

    def awake(self) -> str | None:
        return f"{self.count} {self.what} in flight" if self.count else None


def binding(ctx) -> Binding:
    settings = ctx.settings.http
    guard = Guard.of(ctx.settings, ctx.db.uri)
    files = Files(project_dir(ctx.settings.storage.path, ctx.project["id"]), ctx.settings.files)

    async def checked(client, options):
        if isinstance(options, dict) and options.get("multipart") is not None:  # reads $storage files
            return await asyncio.to_thread(plan, client, options, settings, files)
        return plan(client, options, settings, files)

    in_flight = InFlight("outgoing HTTP requests")

    async def request(options) -> dict:
        with in_flight:
            return await request_now(options)

    async def download(url, path, options=None) -> dict:
        with in_flight:
            return await download_now(url, path, options)

    async def request_now(options) -> dict:
        client = shared_client(settings, guard)
        planned = await checked(client, options)
        buffer = Buffer()
        try:
            response = await send(client, planned.request, timeout=planned.timeout, follow=planned.follow,
                                  limit=settings.max_response, limit_name="http.max_response", sink=buffer)
        finally:
            planned.close()
        answer = head_of(response)
        body = buffer.value()
        if planned.response_type == "bytes":
            answer["base64"] = base64.b64encode(body).decode()
        else:
            answer["text"] = body.decode(response.encoding or "utf-8", errors="replace")
        return answer

    async def download_now(url, path, options=None) -> dict:
        options = dict(options) if isinstance(options, dict) else {}
        options.update(url=url, responseType="bytes")
        client = shared_client(settings, guard)
        planned = await checked(client, options)
        upload = await asyncio.to_thread(files.upload, path, True)
        sink = StorageSink(upload)
        try:
            response = await send(client, planned.request, timeout=planned.timeout, follow=planned.follow,
                                  limit=settings.max_download, limit_name="http.max_download", sink=sink)
            if not response.is_success:
                raise Refused(502, f"{planned.request.method} {response.url} answered {response.status_code}; nothing was saved",
                              code="bad_status")
        except BaseException:
            await asyncio.to_thread(upload.abort)
            raise
        finally:
            planned.close()
        entry = await asyncio.to_thread(upload.commit)
        return {**head_of(response), "file": entry}

    return Binding(operations={"request": request, "download": download}, awake=in_flight.awake, writes=frozenset({"download"}))


def head_of(response) -> dict:
    headers: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {"status": response.status_code, "ok": response.is_success, "headers": headers, "url": str(response.url)}


class StorageSink:
    def __init__(self, upload) -> None:
        self.upload = upload

    async def write(self, chunk: bytes) -> None:
        await asyncio.to_thread(self.upload.write, chunk)
