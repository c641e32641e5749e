"""What every REST route shares: JSON bodies checked by pydantic models, list pagination, ids, times.

`@body(Model)` both documents the request in the OpenAPI document (Quart-Schema) and validates
it. It parses the body as JSON whatever the Content-Type says, so `curl -d '{...}'` works.
`@answers(status, Model)` declares what a route answers (the document's response schemas come
from these models, kernel/openapi.py); `@accepts(media)` a body that is not a JSON object.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote

from bson import ObjectId
from bson.errors import InvalidId
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from quart import Request as QuartRequest
from quart import request
from quart.asgi import ASGIHTTPConnection
from quart.wrappers.request import Body as QuartBody
from quart_schema import document_request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import Refused
from .openapi import ACCEPTS, ANSWERS

M = TypeVar("M", bound=BaseModel)

MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000


STREAM_HIGH_WATER = 1024 * 1024  # bytes of a streamed body held before the client is slowed


class Body(QuartBody):
    """Quart's request body, with two changes for large uploads:

    - a size limit a route may raise before it reads (allow_body): Quart decides on the declared
      length as the request arrives, before routing; here the verdict waits until the route
      reads, and bytes past the limit are dropped, not buffered;
    - back-pressure once a route streams it (`async for chunk in request.body`): past
      STREAM_HIGH_WATER unread bytes the connection stops reading from the client
      (HTTPConnection), so a 200 MB upload never sits in memory."""

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        super().__init__(None, None)
        self.expected = expected_content_length
        self.limit = max_content_length
        self.received = 0
        self.too_large = False
        self.streaming = False
        self.unread = 0
        self.room = asyncio.Event()
        self.room.set()

    def append(self, data: bytes) -> None:
        self.received += len(data)
        if self.limit is not None and self.received > self.limit:
            self.too_large = True
            self.set_complete()
            return
        super().append(data)
        self.unread += len(data)
        if self.streaming and self.unread > STREAM_HIGH_WATER:
            self.room.clear()

    def _verdict(self) -> None:
        if self.too_large or (self.limit is not None and (self.expected or 0) > self.limit):
            raise RequestEntityTooLarge()

    async def __anext__(self) -> bytes:
        self._verdict()
        self.streaming = True
        try:
            data = await super().__anext__()
        except StopAsyncIteration:
            # Bytes past the limit end the body (append): that end is the 413, not a short body
            # a parser would take as whole (a multipart form read to there, its last part dropped).
            self._verdict()
            raise
        self.unread = 0
        self.room.set()
        self._verdict()
        return data

    def __await__(self):
        self._verdict()
        data = yield from super().__await__()
        self._verdict()
        return data


class Request(QuartRequest):
    body_class = Body


class HTTPConnection(ASGIHTTPConnection):
    """Quart's ASGI connection, reading the client's body only while the route has room for it."""

    async def handle_messages(self, request, receive) -> None:
        while True:
            await request.body.room.wait()
            message = await receive()
            if message["type"] == "http.request":
                request.body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    request.body.set_complete()
            elif message["type"] == "http.disconnect":
                return


def allow_body(limit: int) -> None:
    """Let the current route take a body of up to `limit` bytes (instead of server.max_body);
    call it before reading the body. An upload route streams it with `async for chunk in request.body`."""
    request.body.limit = limit


class Schema(BaseModel):
    """Base of request models: unknown fields are refused, so a typo is a 422, not silence."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """Base of response models (`@answers`): a field the model does not name is not documented
    (additionalProperties: false), so an answer that grows one fails the schema check."""

    model_config = ConfigDict(extra="forbid")


def fields_of(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(key, error["msg"].removeprefix("Value error, "))
    return fields


def validation_error(exc: ValidationError) -> Refused:
    fields = fields_of(exc)
    first = next(iter(fields.items()))
    return Refused(422, f"{first[0]}: {first[1]}", fields=fields)


async def read_json() -> Any:
    raw = await request.get_data(as_text=False)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(400, f"the body is not valid JSON: {exc}", code="malformed_json") from None
    except RecursionError:  # json.loads of e.g. 5000 nested objects: bad input, not a 500
        raise Refused(400, "the body is JSON nested too deeply", code="malformed_json") from None


def load_model(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise Refused(400, "the body must be a JSON object", code="malformed_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def body(model: type[M]) -> Callable:
    """Validate the JSON body against `model`; the route receives it as `data=`."""

    def decorator(func: Callable[..., Awaitable]) -> Callable:
        @wraps(func)
        async def wrapper(*args, **kwargs):
            return await func(*args, data=load_model(model, await read_json()), **kwargs)

        return document_request(model)(wrapper)

    return decorator


def answers(status: int | str, kind: Any = None, *, media: str | tuple[str, ...] | None = "application/json",
            description: str = "") -> Callable:
    """Declare one answer of the route for the OpenAPI document: its status and the pydantic
    model (or type: `list[Item]`, `dict[str, Any]`) of its body. `media` other than JSON with no
    `kind` is a file or text (several media types: a tuple; or one `answers` per media type
    with its own kind); a 204 has no body. Errors need no declaring: every operation may
    answer the envelope (kernel/openapi.py), unless the route declares its own "default"."""

    def decorator(func: Callable) -> Callable:
        medias = () if status == 204 or media is None or (kind is None and media == "application/json") else (
            (media,) if isinstance(media, str) else tuple(media))
        setattr(func, ANSWERS, [*getattr(func, ANSWERS, []), (status, kind, medias, description)])
        return func

    return decorator


def accepts(media: str, kind: Any = None, description: str = "") -> Callable:
    """Declare a request body that `@body` does not read: raw bytes (`application/octet-stream`),
    an archive, a multipart upload (with a model of its parts), or JSON that a feature checks itself.
    Stacked, a route takes each of them (in the order written)."""

    def decorator(func: Callable) -> Callable:
        setattr(func, ACCEPTS, [(media, kind, description), *getattr(func, ACCEPTS, [])])
        return func

    return decorator


_pages: dict[type, type] = {}


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """The model of a page of `item`s in the list envelope ({items, page, perPage, totalItems, totalPages})."""
    if item not in _pages:
        _pages[item] = create_model(
            f"{item.__name__}Page", __base__=Answer, items=(list[item], ...), page=(int, ...), perPage=(int, ...),
            totalItems=(int, ...), totalPages=(int, ...),
        )
    return _pages[item]


class PageQuery(BaseModel):
    """?page=&perPage= of a list; also its query parameters in the OpenAPI document (document_querystring)."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    perPage: int = Field(30, ge=1, le=MAX_PER_PAGE)


def page_params() -> PageQuery:
    """?page=&perPage= from the current request, checked."""
    fields = {}
    values = {}
    # page is capped too: skip() takes a 64-bit integer, and no list has a millionth page.
    for key, default, high in (("page", 1, MAX_PAGE), ("perPage", 30, MAX_PER_PAGE)):
        raw = request.args.get(key, default)
        try:
            values[key] = int(raw)
        except (TypeError, ValueError):
            fields[key] = "must be a whole number"
            continue
        if not 1 <= values[key] <= high:
            fields[key] = f"must be between 1 and {high}"
    if fields:
        key, reason = next(iter(fields.items()))
        raise Refused(422, f"{key}: {reason}", fields=fields)
    return PageQuery(**values)


async def paginate(
    collection,
    filter: dict,
    serialize: Callable[[dict], Any],
    sort: list[tuple[str, int]] | None = None,
) -> dict:
    """One page of `collection.find(filter)` in the list envelope of the REST conventions."""
    params = page_params()
    total = await collection.count_documents(filter)
    cursor = collection.find(filter)
    cursor = cursor.sort(sort or [("_id", 1)])
    cursor = cursor.skip((params.page - 1) * params.perPage).limit(params.perPage)
    items = [serialize(doc) async for doc in cursor]
    return {
        "items": items,
        "page": params.page,
        "perPage": params.perPage,
        "totalItems": total,
        "totalPages": (total + params.perPage - 1) // params.perPage,
    }


def object_id(value: str, what: str) -> ObjectId:
    """A path id as an ObjectId; anything that is not one cannot exist, so it is a 404."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise Refused(404, f"{what} not found") from None


UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def disposition(name: str, inline: bool = False) -> str:
    """The Content-Disposition of a download named `name`, whatever the name holds (RFC 6266):
    `filename` keeps only ASCII letters, digits and `._-` (the rest, quotes, `;`, CR/LF and
    path separators included, become `_`), and `filename*` carries the whole name percent-encoded
    in UTF-8. No name can end the header or add another, and the plain name holds no path."""
    plain = UNSAFE_IN_FILENAME.sub("_", name).strip("._") or "download"
    return f"{'inline' if inline else 'attachment'}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
