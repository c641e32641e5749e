"""The values of a model's fields: what each type accepts, how it is stored, and the PocketBase-style
code of each refusal. Pure Python (no pydantic): the worker's `$database` checks writes with it too.

Stored forms (every record holds every field of its model, docs/datastore.md):
- string, text, email, url, select (maxSelect 1), ref (maxSelect 1): a string, or null;
- number: an int; float: a float; bool: a bool; datetime: a BSON datetime (UTC); date: "YYYY-MM-DD";
- select / ref / file with maxSelect > 1: a list of strings ([] when empty); a file field holds
  file names, the files are in the project storage under `datastore/{model id}/{record id}/`;
- document, json: any JSON value with no key starting with `$` or holding a `.`.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import regex

TYPES = ("string", "text", "number", "float", "bool", "document", "json", "ref", "date", "datetime", "email", "url", "select", "file")
TEXTUAL = ("string", "text", "email", "url")  # `~` works on these (and on select, document paths)
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
SYSTEM = ("id", "created", "updated", "revision")
RESERVED = (*SYSTEM, "expand", "fields")
EMAIL = re.compile(r"^[^@\s\"'<>(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
PATTERN_TIMEOUT = 0.05  # seconds a model's `pattern` may take on one value (the regex module's timeout)
# Set for the length of one write (one_write): whether a pattern has taken too long in it yet.
_TIMED_OUT: ContextVar[list | None] = ContextVar("m3m_datastore_pattern_timed_out", default=None)
MIN_DATETIME = datetime(1, 1, 1, tzinfo=timezone.utc)


class FieldError(Exception):
    """One field's refusal: a PocketBase-style code and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@contextmanager
def one_write():
    """The checks of one write (a record, a batch, an import, a model's change) share this: once a
    pattern has taken PATTERN_TIMEOUT on one value, the write is refused anyway (each is all or
    nothing), so no other value's pattern is run. A pattern is the project's choice, and one
    like `(a|aa)+$` takes the whole timeout on a crafted value: without this, a batch of 100
    records of 100 such fields held the server's event loop 500 s, an import of 10,000 rows
    hours (measured: 20 records of 5 fields, 5 s in which the server answered no one).
    Nested uses share the outer write's."""
    if _TIMED_OUT.get() is not None:
        yield
        return
    token = _TIMED_OUT.set([])
    try:
        yield
    finally:
        _TIMED_OUT.reset(token)


def multi(field: dict) -> bool:
    """A field holding a list: select, ref and file with maxSelect > 1."""
    return field["type"] in ("select", "ref", "file") and int(field.get("options", {}).get("maxSelect") or 1) > 1


def blank(field: dict, value) -> bool:
    """What `required` refuses: null, "" and [] (0 and false are values)."""
    return value is None or value == "" and not isinstance(value, bool) or value == [] and multi(field)


def zero(field: dict):
    """The value a non-nullable field without a default starts with; None where the type has none."""
    if multi(field):
        return []
    return {"string": "", "text": "", "email": "", "url": "", "number": 0, "float": 0.0, "bool": False}.get(field["type"])


def check(field: dict, value, limits) -> object:
    """The value in its stored form, or FieldError. `value` is not None here (null is the caller's)."""
    kind, options = field["type"], field.get("options") or {}
    if kind in ("string", "text", "email", "url"):
        if not isinstance(value, str):
            raise FieldError("validation_invalid_type", f"must be a string, not {_json_type(value)}")
        if kind == "string" and ("\n" in value or "\r" in value):
            raise FieldError("validation_invalid_format", "must be one line (use a text field for several)")
        default_max = limits.max_text if kind == "text" else limits.max_string
        high = options.get("max") or default_max
        if len(value) > high:  # characters, not bytes
            raise FieldError("validation_max_text_constraint", f"must be at most {high} characters")
        if value == "":
            return value
        low = options.get("min") or 0
        if len(value) < low:
            raise FieldError("validation_min_text_constraint", f"must be at least {low} characters")
        if kind == "email" and not EMAIL.match(value):
            raise FieldError("validation_invalid_email", "must be a valid email address")
        if kind == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
                raise FieldError("validation_invalid_url", "must be an http(s) URL")
        if options.get("pattern"):
            timed_out = _TIMED_OUT.get()
            if timed_out:
                raise FieldError("validation_invalid_format", "not checked: a pattern took too long on another value, so this write is refused")
            try:
                matched = regex.fullmatch(options["pattern"], value, timeout=PATTERN_TIMEOUT)
            except TimeoutError:
                if timed_out is not None:
                    timed_out.append(field.get("key"))
                raise FieldError("validation_invalid_format", "the field's pattern took too long on this value") from None
            if not matched:
                raise FieldError("validation_invalid_format", f"must match {options['pattern']}")
        return value
    if kind in ("number", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError("validation_invalid_type", f"must be a number, not {_json_type(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldError("validation_invalid_number", "must be a finite number")
        if kind == "number":
            if isinstance(value, float) and not value.is_integer():
                raise FieldError("validation_only_int_constraint", "must be a whole number")
            if abs(value) >= 2**53:
                raise FieldError("validation_max_number_constraint", "must be smaller than 2^53 in magnitude")
            value = int(value)
        else:
            value = float(value)
        if options.get("min") is not None and value < options["min"]:
            raise FieldError("validation_min_number_constraint", f"must be at least {options['min']}")
        if options.get("max") is not None and value > options["max"]:
            raise FieldError("validation_max_number_constraint", f"must be at most {options['max']}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise FieldError("validation_invalid_type", f"must be true or false, not {_json_type(value)}")
        return value
    if kind == "date":
        return parse_date(value).isoformat()
    if kind == "datetime":
        return parse_datetime(value)
    if kind in ("document", "json"):
        check_document(value)
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode())
        high = options.get("maxSize") or limits.max_document
        if size > high:
            raise FieldError("validation_json_size_limit", f"must be at most {high} bytes of JSON")
        return value
    if kind in ("select", "ref", "file"):
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not multi(field):
            raise FieldError("validation_invalid_type", "takes one value, not a list (maxSelect is 1)")
        if not all(isinstance(item, str) for item in values):
            raise FieldError("validation_invalid_type", "values must be strings")
        values = list(dict.fromkeys(item for item in values if item != ""))
        high = int(options.get("maxSelect") or 1)
        if len(values) > high:
            raise FieldError("validation_too_many_values", f"takes at most {high} values")
        if kind == "select":
            allowed = options.get("values") or []
            wrong = [item for item in values if item not in allowed]
            if wrong:
                raise FieldError("validation_invalid_value", f"{wrong[0]!r} is not one of {', '.join(allowed)}")
        elif kind == "ref" and any(len(item) > 64 for item in values):
            raise FieldError("validation_missing_rel_records", "is not a record id")
        return values if multi(field) else (values[0] if values else None)
    raise FieldError("validation_invalid_type", f"unknown field type {kind}")


def check_document(value, depth: int = 0) -> None:
    """No key a MongoDB query could read as an operator or a path: `$x` and `a.b` are refused."""
    if depth > 32:
        raise FieldError("validation_json_depth", "is nested deeper than 32 levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError("validation_invalid_number", "holds a number that is not finite")
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") or "." in key or "\x00" in key:
                raise FieldError("validation_invalid_key", f"key {key!r}: keys may not start with $ or hold a dot")
            check_document(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_document(item, depth + 1)


def parse_date(value) -> date:
    if not isinstance(value, str):
        raise FieldError("validation_invalid_date", f"must be a date like 2025-01-31, not {_json_type(value)}")
    text = value.strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) <= 10 else parse_datetime(text).date()
    except (ValueError, FieldError):
        raise FieldError("validation_invalid_date", "must be a date like 2025-01-31") from None


def parse_datetime(value) -> datetime:
    """An ISO 8601 time; one with no offset is UTC (as PocketBase reads "2025-01-01 10:00:00")."""
    if not isinstance(value, str):
        raise FieldError("validation_invalid_date", f"must be an ISO 8601 time, not {_json_type(value)}")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError("validation_invalid_date", "must be an ISO 8601 time like 2025-01-31T10:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:
        raise FieldError("validation_invalid_date", "is out of range after conversion to UTC") from None
    # BSON keeps milliseconds: store what will be read back.
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def _json_type(value) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
