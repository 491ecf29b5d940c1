"""The ``batch`` wire format both ways: ``cmd`` strings out, ``BatchResult`` back.

Each ``cmd`` value is ``method?query`` where the query is built like PHP's ``http_build_query``
because the portal reads it with ``parse_str``: nested mappings and sequences become
``k[sub]=v`` and ``k[0]=v``, keys and values are URL-encoded, booleans are ``Y``/``N`` and None
is never sent (it confuses the portal). A ``Ref`` is the exception: a ``$result[...]`` reference
to an earlier command's reply, sent as the whole value and unencoded, because the portal swaps
in the referenced value (even a list) only when the reference is the whole value.

``cmd`` keys must never look numeric: PHP renumbers such keys and the reply can no longer say
which command failed. ``cmd_key`` makes ``c0001``-style keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

from crm.errors import ApiError, error_from_reply
from crm.pacing import parse_unix_time

__all__ = [
    "MAX_BATCH",
    "BatchResult",
    "Ref",
    "build_command",
    "check_cmd_key",
    "check_method",
    "cmd_key",
    "encode_params",
    "json_params",
    "parse_batch_reply",
]

MAX_BATCH = 50  # more sub-commands give ERROR_BATCH_LENGTH_EXCEEDED

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PART = re.compile(r"[A-Za-z0-9_]+")
_METHOD = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


@dataclass(frozen=True, slots=True)
class Ref:
    """``$result[key][p1][p2]...``: a value taken from an earlier command of the same batch."""

    key: str
    path: tuple[str | int, ...] = ()

    def __post_init__(self) -> None:
        check_cmd_key(self.key)
        for part in self.path:
            if isinstance(part, int) and part >= 0:
                continue
            if not isinstance(part, str) or not _PART.fullmatch(part):
                msg = f"batch reference parts must be non-negative ints or names, not {part!r}"
                raise ValueError(msg)

    def __str__(self) -> str:
        return f"$result[{self.key}]" + "".join(f"[{part}]" for part in self.path)


def cmd_key(index: int, prefix: str = "") -> str:
    """A ``cmd`` key for the index-th command: ``c0001`` (``q7_c0001`` with a prefix)."""
    return f"{prefix}c{index:04d}"


def check_cmd_key(key: str) -> None:
    """Refuse keys PHP would renumber or that a ``$result[...]`` reference could not name."""
    if not _KEY.fullmatch(key):
        msg = f"batch command key {key!r} must be a name like 'c0001' (letters, digits, _)"
        raise ValueError(msg)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            msg = "naive datetime in Bitrix24 parameters: give it an offset"
            raise ValueError(msg)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    msg = f"cannot send a {type(value).__name__} to Bitrix24"
    raise TypeError(msg)


def _pairs(key: str, value: object, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, Ref):
        out.append(f"{quote_plus(key)}={value}")
    elif isinstance(value, Mapping):
        for sub, item in value.items():
            _pairs(f"{key}[{sub}]", item, out)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, item in enumerate(value):
            _pairs(f"{key}[{index}]", item, out)
    else:
        out.append(f"{quote_plus(key)}={quote_plus(_scalar(value))}")


def encode_params(params: Mapping[str, Any]) -> str:
    """``http_build_query`` of a parameter mapping (empty containers and None are left out)."""
    out: list[str] = []
    for key, value in params.items():
        _pairs(str(key), value, out)
    return "&".join(out)


def check_method(method: str) -> None:
    """Refuse a method name that would change the URL or the query it is put in."""
    if not _METHOD.fullmatch(method):
        msg = f"not a Bitrix24 method name: {method!r}"
        raise ValueError(msg)


def json_params(value: Any) -> Any:
    """Parameters for a JSON body, by the same rules: None left out, dates as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): json_params(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [json_params(v) for v in value if v is not None]
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, date | Decimal):
        return _scalar(value)
    return value


def build_command(method: str, params: Mapping[str, Any] | None = None) -> str:
    """One ``cmd`` value: ``method`` or ``method?query``."""
    check_method(method)
    if method.lower() == "batch":
        msg = "a batch cannot contain another batch"
        raise ValueError(msg)
    query = encode_params(params or {})
    return f"{method}?{query}" if query else method


@dataclass(frozen=True)
class BatchResult:
    """One batch reply, by command key. Failed commands are in ``errors``, not ``results``.

    Keys the portal renumbered (it should not happen with ``cmd_key`` keys) stay as they came.
    """

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, ApiError] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    nexts: dict[str, int] = field(default_factory=dict)
    times: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def _members(value: object) -> dict[str, Any]:
    # PHP sends an empty array as [] and a sequentially keyed one as a list.
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _ints(value: object) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, item in _members(value).items():
        try:
            out[key] = int(item)
        except (TypeError, ValueError):
            continue
    return out


def parse_batch_reply(
    reply: object, methods: Mapping[str, str], *, scrub: Callable[[str], str] = str
) -> BatchResult:
    """Read the ``result`` member of a batch reply; ``methods`` maps command keys to methods."""
    body = _members(reply)
    times = {k: v for k, v in _members(body.get("result_time")).items() if isinstance(v, Mapping)}
    errors: dict[str, ApiError] = {}
    for key, raw in _members(body.get("result_error")).items():
        reset_at = parse_unix_time(times.get(key, {}).get("operating_reset_at"))
        reply_error = {"error": "", "error_description": raw} if isinstance(raw, str) else raw
        errors[key] = error_from_reply(
            None, reply_error, methods.get(key, "batch"), reset_at=reset_at, scrub=scrub
        )
    results = {k: v for k, v in _members(body.get("result")).items() if k not in errors}
    return BatchResult(
        results=results,
        errors=errors,
        totals=_ints(body.get("result_total")),
        nexts=_ints(body.get("result_next")),
        times=times,
    )
