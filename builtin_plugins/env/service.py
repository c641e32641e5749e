"""Per-project environment variables with a type; the value is checked against it. Collection `env`.

The runtime's `$env.get` reads typed values through `EnvService.values`.
"""

from __future__ import annotations

import json
import math
import re

from kernel.db import put_document
from kernel.times import iso, now

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TYPES = ("string", "text", "json", "integer", "float", "boolean")
MAX_STRING = 1024
MAX_TEXT = 256 * 1024


def coerce(type_: str, value):
    """The value as its type, or ValueError with the reason. Forms send strings, so numeric and
    boolean strings are accepted; what is stored is the typed value."""
    if type_ == "string":
        if not isinstance(value, str):
            raise ValueError("a string is required")
        if "\n" in value or "\r" in value:
            raise ValueError("a string is one line; use the text type for several")
        if len(value) > MAX_STRING:
            raise ValueError(f"a string is at most {MAX_STRING} characters; use the text type")
        return value
    if type_ == "text":
        if not isinstance(value, str):
            raise ValueError("a text is required")
        if len(value) > MAX_TEXT:
            raise ValueError(f"a text is at most {MAX_TEXT} characters")
        return value
    if type_ == "json":
        if len(json.dumps(value)) > MAX_TEXT:
            raise ValueError(f"the JSON is at most {MAX_TEXT} characters")
        return value
    if type_ == "integer":
        if isinstance(value, bool):
            raise ValueError("an integer is required, not a boolean")
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", value):
            return int(value)
        if isinstance(value, int) and abs(value) < 2**63:
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        raise ValueError("an integer is required (e.g. 42)")
    if type_ == "float":
        if isinstance(value, bool):
            raise ValueError("a number is required, not a boolean")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ValueError("a number is required (e.g. 1.5)") from None
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
        raise ValueError("a finite number is required (e.g. 1.5)")
    if type_ == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("true or false is required")
    raise ValueError(f"type must be one of {', '.join(TYPES)}")


def public_var(doc: dict) -> dict:
    return {"key": doc["key"], "type": doc["type"], "value": doc["value"], "updated": iso(doc.get("updated"))}


class EnvService:
    def __init__(self, db) -> None:
        self.env = db["env"]

    async def ensure_indexes(self) -> None:
        await self.env.create_index([("project", 1), ("key", 1)], unique=True)

    async def list(self, project_id: str) -> list[dict]:
        return [doc async for doc in self.env.find({"project": project_id}).sort([("key", 1)])]

    async def put(self, project_id: str, key: str, type_: str, value) -> dict:
        """Create or replace; the value must already be coerced."""
        return await put_document(
            self.env, {"project": project_id, "key": key}, {"type": type_, "value": value, "updated": now()}
        )

    async def delete(self, project_id: str, key: str) -> bool:
        result = await self.env.delete_one({"project": project_id, "key": key})
        return result.deleted_count == 1

    async def delete_project(self, project_id: str) -> None:
        await self.env.delete_many({"project": project_id})

    async def values(self, project_id: str) -> dict:
        """key -> typed value, what a running service sees through $env."""
        return {doc["key"]: doc["value"] for doc in await self.list(project_id)}
