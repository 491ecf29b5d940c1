"""Reading the portal's loosely typed replies: ids as ints or strings, members that may lack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def member(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or None where a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def as_int(value: Any) -> int | None:
    """An id sent as 12 or "12"; anything else (None, "", True, "abc") is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdecimal() else None
