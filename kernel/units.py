"""Durations and sizes as people write them in settings and APIs: "30s", "7d", "16MB".

A module of its own (no pydantic, no dynaconf) so that workers can parse them too.
"""

from __future__ import annotations

import re
from typing import Any

_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_duration(value: Any) -> float:
    """'250ms', '30s', '15m', '168h', '7d' or a number of seconds -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*", str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration like '30s', '15m' or '168h'")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: Any) -> int:
    """'512KB', '16MB', '1GB' or a number of bytes -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*(b|kb|mb|gb)?\s*", str(value), re.IGNORECASE)
    if not match:
        raise ValueError(f"{value!r} is not a size like '512KB' or '16MB'")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]
