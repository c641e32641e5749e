"""A service's request options, as the prelude sends them, checked and made into an httpx.Request.
Each bad option is a 422 naming it. The prelude has already turned what cannot cross as JSON
into text: `json` into `jsonText`, a Uint8Array `body` into `bodyBase64` (a string into
`bodyText`), a Uint8Array part `content` into `contentBase64`."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

import httpx

from kernel.errors import Refused
from kernel.units import parse_duration

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
RESPONSE_TYPES = ("text", "json", "bytes")
KNOWN = {"method", "url", "headers", "query", "jsonText", "bodyText", "bodyBase64", "form", "multipart",
         "timeout", "followRedirects", "responseType"}
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab is allowed inside a value
BODIES = ("jsonText", "bodyText", "bodyBase64", "form", "multipart")


def bad(name: str, reason: str) -> Refused:
    return Refused(422, f"{name}: {reason}", fields={name: reason})


@dataclass
class Planned:
    request: httpx.Request
    timeout: float
    follow: bool
    response_type: str
    opened: list = field(default_factory=list)  # storage files being uploaded, closed after the send

    def close(self) -> None:
        for handle in self.opened:
            handle.close()


def plan(client: httpx.AsyncClient, options, settings, files) -> Planned:
    """The request `options` describe; `files` (the project's storage) feeds multipart parts."""
    if not isinstance(options, dict):
        raise TypeError("$http.request takes an options object")
    unknown = sorted(set(options) - KNOWN)
    if unknown:
        raise bad(unknown[0], "unknown option (see the typings of $http.request)")
    method = options.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise bad("method", f"one of {', '.join(METHODS)}")
    url = options.get("url")
    if not isinstance(url, str) or not url:
        raise bad("url", "an http:// or https:// URL is required")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise bad("url", str(exc)) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise bad("url", "must be an absolute http:// or https:// URL")
    given = [name for name in BODIES if options.get(name) is not None]
    if len(given) > 1:
        raise bad(given[1], f"only one body per request (json, body, form or multipart); {given[0]} is given too")
    follow = options.get("followRedirects", True)
    if not isinstance(follow, bool):
        raise bad("followRedirects", "true or false")
    response_type = options.get("responseType", "text")
    if response_type not in RESPONSE_TYPES:
        raise bad("responseType", "'text', 'json' or 'bytes'")
    timeout = timeout_of(options.get("timeout"), settings)
    opened: list = []  # $storage files of multipart parts: closed here when a later check refuses
    try:
        content, data, parts = body_of(options, files, opened)
        query = query_of(options.get("query"))
        request = client.build_request(
            method.upper(), parsed.copy_merge_params(query) if query else parsed,  # added to the URL's own query
            headers=headers_of(options.get("headers")), content=content, data=data, files=parts,
        )
    except BaseException:
        for handle in opened:
            handle.close()
        raise
    if options.get("jsonText") is not None and "content-type" not in {k.lower() for k in (options.get("headers") or {})}:
        request.headers["Content-Type"] = "application/json"
    return Planned(request, timeout, follow, response_type, opened)


def timeout_of(value, settings) -> float:
    if value is None:
        return settings.default_timeout
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise bad("timeout", "seconds, or a duration like '500ms', '10s'") from None
    if not 0 < seconds <= settings.max_timeout:
        raise bad("timeout", f"more than 0 and at most {settings.max_timeout:g} seconds (http.max_timeout)")
    return seconds


def headers_of(value) -> dict[str, str] | None:
    """Checked before anything is sent: a CR or LF in a value would start a header of its own."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad("headers", "an object of strings")
    for key, text in value.items():
        if not TOKEN.fullmatch(key):
            raise bad("headers", f"{key!r} is not a header name")
        if CONTROL.search(text):
            raise bad("headers", f"the value of {key} holds a control character (CR, LF, NUL...)")
    return value


def scalar(name: str, value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JS numbers may cross as floats: 2 must not become "2.0"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise bad(name, "strings, numbers or booleans")


def query_of(value) -> list[tuple[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad("query", "an object")
    pairs = []
    for key, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            pairs.append((key, scalar(f"query.{key}", one)))
    return pairs


def body_of(options: dict, files, opened: list):
    """(content, data, files) for httpx: at most one is set."""
    for name in ("jsonText", "bodyText"):
        if options.get(name) is not None:
            if not isinstance(options[name], str):
                raise TypeError(f"{name} must cross as text")
            return options[name].encode(), None, None
    if options.get("bodyBase64") is not None:
        return unbase64("body", options["bodyBase64"]), None, None
    form = options.get("form")
    if form is not None:
        if not isinstance(form, dict):
            raise bad("form", "an object of strings, numbers or booleans")
        return None, {key: scalar(f"form.{key}", value) for key, value in form.items()}, None
    multipart = options.get("multipart")
    if multipart is not None:
        return None, *multipart_of(multipart, files, opened)
    return None, None, None


def multipart_of(multipart, files, opened: list):
    from builtin_plugins.storage.mime import by_name
    from builtin_plugins.storage.paths import text_of

    if not isinstance(multipart, dict) or not multipart:
        raise bad("multipart", "an object of fields: a string, or a file {path} from $storage or {content, filename}")
    data, parts = {}, []
    for key, part in multipart.items():
        name = f"multipart.{key}"
        if not isinstance(part, dict):
            data[key] = scalar(name, part)
            continue
        filename, kind = part.get("filename"), part.get("contentType")
        if part.get("path") is not None:
            found, handle = files.open(part["path"])
            opened.append(handle)
            size = handle.seek(0, 2)
            handle.seek(0)
            if size > files.limits.max_read:
                raise bad(name, f"{text_of(found)} is larger than {files.limits.max_read} bytes (files.max_read)")
            filename = filename or found[-1]
            body = handle
        elif part.get("contentBase64") is not None:
            body = unbase64(name, part["contentBase64"])
        elif isinstance(part.get("content"), str):
            body = part["content"].encode()
        else:
            raise bad(name, "a file part needs `path` (in $storage) or `content`")
        filename = filename or key
        if not isinstance(filename, str) or not isinstance(kind, (str, type(None))):
            raise bad(name, "filename and contentType are strings")
        parts.append((key, (filename, body, kind or by_name(filename))))
    return data or None, parts


def unbase64(name: str, text) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise TypeError(f"{name} must cross as base64 text") from None
