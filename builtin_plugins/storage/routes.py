"""Storage REST endpoints (docs/api.md "Storage", docs/storage.md) and the direct links at /files/."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Annotated, Literal
from urllib.parse import unquote

from pydantic import BaseModel, Field, StringConstraints
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from quart import Blueprint, Response, current_app, request
from quart.wrappers.response import ResponseBody
from quart_schema import document_querystring, hide, tag
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from kernel.api import Answer, Schema, accepts, allow_body, answers, body, disposition, page_params
from kernel.content import FILE_HEADERS
from kernel.errors import Refused, invalid
from kernel.plugins import app_service
from kernel.tenancy import require_project

from . import links, mime
from .links import LinkKeys
from .paths import segments, text_of
from .service import Files, project_dir

blueprint = Blueprint("storage", __name__)

CHUNK = 256 * 1024
FLUSH_BYTES = 1024 * 1024  # an upload's data is written in pieces of about this size
UserPath = Annotated[str, StringConstraints(max_length=4096)]
# Served files never run as pages of the m3m origin (an uploaded .html or .svg would otherwise
# read an admin's session): the kernel's sandboxing file policy on every file response.


class PathIn(Schema):
    path: UserPath


class FromTo(Schema):
    from_: UserPath = Field(alias="from")
    to: UserPath


class LinkIn(Schema):
    path: UserPath
    expiresIn: int | str | None = None  # seconds, or a duration like "7d"


class Entry(Answer):
    name: str
    path: str
    type: Literal["file", "dir"]
    size: int
    mime: str | None
    modified: str


class Folder(Answer):
    path: str
    entries: list[Entry]
    page: int
    perPage: int
    totalItems: int
    totalPages: int


class Usage(Answer):
    bytes: int
    files: int
    limit: int | None


class Entries(Answer):
    items: list[Entry]


class Link(Answer):
    url: str
    expires: int  # Unix time, seconds


class Rotated(Answer):
    rotated: bool


class Upload(Schema):
    file: list[bytes] = Field(json_schema_extra={"items": {"type": "string", "format": "binary"}})


class PathQuery(BaseModel):
    path: UserPath = ""  # relative to the project's storage root


class FolderQuery(PathQuery):
    page: int = Field(1, ge=1, le=1_000_000)
    perPage: int = Field(100, ge=1)  # at most files.max_page
    sort: Literal["name", "-name", "size", "-size", "modified", "-modified"] = "name"
    search: str = ""


class ContentQuery(PathQuery):
    inline: str = ""  # 1: shown in the browser (an image, a PDF), not downloaded


class ThumbQuery(PathQuery):
    size: Annotated[str, StringConstraints(pattern=r"^\d{1,4}x\d{1,4}f?$")] = "100x100"  # WxH crop, Wx0/0xH keep the ratio, WxHf fit


class UploadQuery(PathQuery):
    overwrite: str = "true"  # false: a name that exists is a 409


class Storage:
    """The app's storage: one Files per project (each keeps its usage measure) and the link keys."""

    def __init__(self, app) -> None:
        self.settings = app.m3m.settings
        self.keys = LinkKeys(app.m3m.db)
        self._files: dict[str, Files] = {}

    def files(self, project_id: str) -> Files:
        if project_id not in self._files:
            self._files[project_id] = Files(project_dir(self.settings.storage.path, project_id), self.settings.files)
        return self._files[project_id]

    def forget(self, project_id: str) -> None:
        self._files.pop(project_id, None)


def storage(app=None) -> Storage:
    return app_service("m3m.storage", Storage, app)


async def project_files(pid: str) -> tuple[dict, Files]:
    project, _ = await require_project(pid)
    return project, storage().files(project["id"])


def run(function, *args, **kwargs):
    """File system work off the event loop."""
    return asyncio.to_thread(function, *args, **kwargs)


def query_path(name: str = "path") -> str:
    return request.args.get(name, "")


# -- listing and folders -------------------------------------------------------------------------


@blueprint.get("/api/projects/<pid>/storage")
@tag(["storage"])
@answers(200, Folder)
@document_querystring(FolderQuery)
async def list_folder(pid: str):
    """?path=dir&page=&perPage=&sort=name|size|modified (- for descending)&search= -> a page of
    {path, entries: [{name, path, type, size, mime, modified}], page, perPage, totalItems, totalPages}:
    folders first, then files."""
    _, files = await project_files(pid)
    limit = current_app.m3m.settings.files.max_page
    per_page = request.args.get("perPage", str(min(100, limit)))
    if not per_page.isdigit() or not 1 <= int(per_page) <= limit:
        raise invalid("perPage", f"must be between 1 and {limit}")
    page = page_params().page if "page" in request.args else 1
    return await run(files.list, query_path(), page, int(per_page), request.args.get("sort", "name"), request.args.get("search", ""))


@blueprint.get("/api/projects/<pid>/storage/stat")
@tag(["storage"])
@answers(200, Entry)
@document_querystring(PathQuery)
async def stat(pid: str):
    """?path= -> one entry {name, path, type, size, mime, modified}."""
    _, files = await project_files(pid)
    return await run(files.stat, query_path())


@blueprint.get("/api/projects/<pid>/storage/usage")
@tag(["storage"])
@answers(200, Usage)
async def usage(pid: str):
    """{bytes, files, limit}: what the project's files take, against files.max_project_size."""
    _, files = await project_files(pid)
    used, count = await run(files.tree.usage)
    return {"bytes": used, "files": count, "limit": current_app.m3m.settings.files.max_project_size}


@blueprint.post("/api/projects/<pid>/storage/dirs")
@tag(["storage"])
@answers(201, Entry)
@body(PathIn)
async def make_folder(pid: str, data: PathIn):
    """Make a folder, with its parents ({path}); an existing folder is fine."""
    _, files = await project_files(pid)
    return await run(files.mkdir, data.path), 201


@blueprint.post("/api/projects/<pid>/storage/move")
@tag(["storage"])
@answers(200, Entry)
@body(FromTo)
async def move(pid: str, data: FromTo):
    """Rename or move a file or folder ({from, to}); `to` must not exist."""
    _, files = await project_files(pid)
    return await run(files.move, data.from_, data.to)


@blueprint.post("/api/projects/<pid>/storage/copy")
@tag(["storage"])
@answers(201, Entry)
@body(FromTo)
async def copy(pid: str, data: FromTo):
    """Copy a file or a folder with its contents ({from, to}); `to` must not exist."""
    _, files = await project_files(pid)
    return await run(files.copy, data.from_, data.to), 201


@blueprint.delete("/api/projects/<pid>/storage")
@tag(["storage"])
@answers(204)
@document_querystring(PathQuery)
async def delete(pid: str):
    """?path= : delete a file, or a folder with everything in it."""
    _, files = await project_files(pid)
    await run(files.delete, query_path())
    return "", 204


# -- contents ------------------------------------------------------------------------------------


class OpenFileBody(ResponseBody):
    """An open file as a response body, read in a thread, with Range support."""

    def __init__(self, handle, size: int) -> None:
        self.handle = handle
        self.size = size
        self.begin, self.end = 0, size

    async def __aenter__(self):
        await run(self.handle.seek, self.begin)
        return self

    async def __aexit__(self, *exc) -> None:
        self.handle.close()

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        left = self.end - self.handle.tell()
        if left <= 0:
            raise StopAsyncIteration()
        chunk = await run(self.handle.read, min(CHUNK, left))
        if not chunk:
            raise StopAsyncIteration()
        return chunk

    async def make_conditional(self, begin: int, end: int | None) -> int:
        if begin < 0:  # a suffix range, bytes=-N: the last N bytes
            begin = max(0, self.size + begin)
        self.begin, self.end = begin, min(self.size, self.size if end is None else end)
        if not 0 <= self.begin < self.end:
            raise RequestedRangeNotSatisfiable(length=self.size)
        return self.size


async def file_response(files: Files, path: str, attachment: bool) -> Response:
    parts, handle = await run(files.open, path)
    info = await run(os.fstat, handle.fileno())
    head = await run(handle.read, mime.HEAD_BYTES)
    kind = mime.of_file(parts[-1], head)
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": disposition(parts[-1], inline=not attachment and kind not in mime.ACTIVE),
        "Cache-Control": "private, no-cache",
    }
    response = Response(OpenFileBody(handle, info.st_size), headers=headers, content_type=kind)
    response.content_length = info.st_size
    response.last_modified = info.st_mtime
    response.set_etag(f"{info.st_ino}-{info.st_mtime_ns}-{info.st_size}")
    response.timeout = None  # a large file takes as long as it takes
    await response.make_conditional(request, accept_ranges=True, complete_length=info.st_size)
    return response


@blueprint.get("/api/projects/<pid>/storage/content")
@tag(["storage"])
@answers(200, media="*/*", description="The file")
@answers(206, media="*/*", description="The range asked for")
@answers(304, media=None, description="Not modified")
@document_querystring(ContentQuery)
async def download(pid: str):
    """?path=file[&inline=1] : the file, with its type, length, name and Range support."""
    _, files = await project_files(pid)
    return await file_response(files, query_path(), attachment=request.args.get("inline") != "1")


@blueprint.put("/api/projects/<pid>/storage/content")
@tag(["storage"])
@answers(200, Entry, description="Replaced")
@answers(201, Entry, description="Created")
@accepts("application/octet-stream", None, "the file's bytes")
@document_querystring(PathQuery)
async def save(pid: str):
    """?path=file : the raw body becomes the file (created, or replaced whole, atomically)."""
    _, files = await project_files(pid)
    limit = current_app.m3m.settings.files.max_text
    allow_body(limit)
    data = await request.get_data()
    entry, created = await run(files.save_bytes, query_path(), data)
    return entry, 201 if created else 200


@blueprint.get("/api/projects/<pid>/storage/thumb")
@tag(["storage"])
@answers(200, media="image/*")
@document_querystring(ThumbQuery)
async def thumbnail(pid: str):
    """?path=image&size=50x50 (crop), 50x0 / 0x50 (keep the ratio), 50x50f (fit inside)."""
    _, files = await project_files(pid)
    data, kind = await run(files.thumbnail, query_path(), request.args.get("size", "100x100"))
    return Response(data, content_type=kind, headers={**FILE_HEADERS, "Cache-Control": "private, max-age=60"})


# -- uploads -------------------------------------------------------------------------------------


@blueprint.post("/api/projects/<pid>/storage/files")
@tag(["storage"])
@answers(201, Entries)
@accepts("multipart/form-data", Upload, "one or more parts named file")
@document_querystring(UploadQuery)
async def upload(pid: str):
    """?path=dir[&overwrite=false] : multipart/form-data, one or more `file` fields; each lands in
    `dir` under its file name (a name with / lands in sub-folders). Streamed to disk; a file is
    placed only when whole. -> {items: [entries]} (201)."""
    _, files = await project_files(pid)
    limit = current_app.m3m.settings.files.max_upload
    allow_body(limit)
    folder = segments(query_path())
    overwrite = request.args.get("overwrite", "true") != "false"
    content_type, options = parse_options_header(request.headers.get("Content-Type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise Refused(415, "send the files as multipart/form-data (fields named file)", field="file")
    if (request.content_length or 0) > limit:
        raise Refused(413, f"the upload is larger than {limit} bytes (files.max_upload)")
    receiver = PartReceiver(files, folder, overwrite)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())
    try:
        async for chunk in request.body:
            try:
                parser.write(chunk)
            except MultipartParseError as exc:
                raise Refused(400, f"the multipart body is malformed: {exc}") from None
            await receiver.flush(final=False)
        await receiver.flush()
        if not receiver.ended:
            raise Refused(400, "the upload ended before its last part (cancelled?)")
        if not receiver.placed:
            raise invalid("file", "no file in the upload (multipart fields named file)")
    except BaseException:
        receiver.abort()
        raise
    return {"items": receiver.placed}, 201


FILENAME = re.compile(rb'filename="([^"]*)"')
FILENAME_STAR = re.compile(rb"filename\*=UTF-8''([^;\s]*)", re.IGNORECASE)


def part_filename(disposition: bytes) -> str | None:
    """The file name of a part's Content-Disposition, as the client wrote it: no unescaping and
    no stripping of what looks like a Windows path (parsers that do either turn `..\\x` or
    `\\\\host\\share` into a different, innocent-looking name; here the path rules refuse it)."""
    star = FILENAME_STAR.search(disposition)
    if star:
        return unquote(star.group(1).decode("ascii", "replace"))
    plain = FILENAME.search(disposition)
    return plain.group(1).decode("utf-8", "replace") if plain else None


class PartReceiver:
    """Multipart parts to files. python-multipart calls back synchronously as bytes arrive,
    several parts within one chunk; the callbacks only queue events (a part opens, data, a part
    ends), and `flush` carries them out in order, the file system work in a thread."""

    def __init__(self, files: Files, folder: tuple[str, ...], overwrite: bool) -> None:
        self.files = files
        self.folder = folder
        self.overwrite = overwrite
        self.placed: list[dict] = []
        self.ended = False
        self._events: list[tuple] = []
        self._header = b""
        self._headers: dict[bytes, bytes] = {}
        self._upload = None  # the Upload being written, None between or for a plain field

    def callbacks(self) -> dict:
        return {
            "on_part_begin": lambda: self._headers.clear(),
            "on_header_field": lambda data, start, end: setattr(self, "_header", bytes(data[start:end]).lower()),
            "on_header_value": self._header_value,
            "on_headers_finished": lambda: self._events.append(("open", self._headers.get(b"content-disposition", b""))),
            "on_part_data": lambda data, start, end: self._events.append(("data", bytes(data[start:end]))),
            "on_part_end": lambda: self._events.append(("close",)),
            "on_end": lambda: setattr(self, "ended", True),
        }

    def _header_value(self, data, start: int, end: int) -> None:
        self._headers[self._header] = self._headers.get(self._header, b"") + bytes(data[start:end])

    async def flush(self, final: bool = True) -> None:
        """Carry out the queued events; raises the refusal of a bad part (a bad name, the quota).
        Between chunks (`final=False`), data alone waits until FLUSH_BYTES have come: fewer, larger
        writes, one thread hop each."""
        if not final and self._events and all(event[0] == "data" for event in self._events):
            if sum(len(event[1]) for event in self._events) < FLUSH_BYTES:
                return
        events, self._events = self._merged(self._events), []
        for event in events:
            if event[0] == "open":
                name = part_filename(event[1])
                if name is None:  # a plain form field, not a file: ignored
                    self._upload = None
                    continue
                relative = segments(name, "file")
                if not relative:
                    raise invalid("file", "a file has no name")
                self._upload = await run(self.files.upload, text_of(self.folder + relative), self.overwrite)
            elif event[0] == "data" and self._upload is not None:
                await run(self._upload.write, event[1])
            elif event[0] == "close" and self._upload is not None:
                upload, self._upload = self._upload, None
                self.placed.append(await run(upload.commit))

    @staticmethod
    def _merged(events: list[tuple]) -> list[tuple]:
        """Consecutive data events as one: one write, one thread hop."""
        merged: list[tuple] = []
        for event in events:
            if event[0] == "data" and merged and merged[-1][0] == "data":
                merged[-1][1].append(event[1])
            elif event[0] == "data":
                merged.append(("data", [event[1]]))
            else:
                merged.append(event)
        return [("data", b"".join(event[1])) if event[0] == "data" else event for event in merged]

    def abort(self) -> None:
        if self._upload is not None:
            self._upload.abort()


# -- direct links --------------------------------------------------------------------------------


@blueprint.post("/api/projects/<pid>/storage/link")
@tag(["storage"])
@answers(200, Link)
@body(LinkIn)
async def make_link(pid: str, data: LinkIn):
    """{path, expiresIn} -> {url, expires}: a link to the file that needs no login."""
    project, files = await project_files(pid)
    parts, handle = await run(files.open, data.path)  # a file that exists, and is a file
    handle.close()
    settings = current_app.m3m.settings
    expires = links.expires_at(data.expiresIn, settings.files)
    key = await storage().keys.key(project["id"])
    token = links.sign(key, project["id"], text_of(parts), expires)
    return {"url": f"{settings.server.content_uri}/files/{token}", "expires": expires}


@blueprint.post("/api/projects/<pid>/storage/link-key")
@tag(["storage"])
@answers(200, Rotated)
async def rotate_link_key(pid: str):
    """A new link key: every direct link of the project stops working at once."""
    project, _ = await require_project(pid, settings=True)
    await storage().keys.rotate(project["id"])
    return {"rotated": True}


@blueprint.get("/files/<token>")
@hide
async def direct_link(token: str):
    """The file a link names, with no login; ?thumb=WxH for its thumbnail, ?download=1 to save it."""
    project_id, path, _ = links.claims(token)
    key = await storage().keys.key(project_id, create=False)
    if key is None:
        raise Refused(404, "no such link")
    links.verify(token, key)
    files = storage().files(project_id)
    if request.args.get("thumb"):
        data, kind = await run(files.thumbnail, path, request.args["thumb"])
        return Response(data, content_type=kind, headers={**FILE_HEADERS, "Cache-Control": "private, max-age=300"})
    return await file_response(files, path, attachment=request.args.get("download") == "1")
