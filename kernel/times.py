"""Times as m3m writes them: UTC everywhere; ISO 8601 in the API, `2025-01-01 12:00:00.123` in logs.

A module of its own (no Quart, no pydantic) so that workers can use it too.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(value: datetime | str | None) -> str | None:
    """ISO 8601 UTC with milliseconds and a Z, as every API time is written."""
    if value is None:
        return None
    if isinstance(value, str):
        # nx-27017 stores a datetime written by $set as text ('2025-01-01 12:00:00.123000', UTC).
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def log_stamp() -> str:
    """The time at the start of a log line: `2025-01-01 12:00:00.123` (UTC)."""
    return now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
