"""PHP's request plumbing as Bitrix24 runs it: ``parse_str``, ``(bool)``, ``json_encode``.

Bitrix24 is PHP; its batch command strings are decoded with ``parse_str`` and the ``$result[...]``
references in them are resolved by ``CRestUtil::processBatchElement``. The emulator copies those
rules here so that a client sees exactly what it would see on a real portal.

PHP arrays are modelled as dicts with string keys while parsing; a dict whose keys are exactly
``"0".."n-1"`` in order becomes a list (that is what ``json_encode`` would show, and what the
method handlers expect for ``select[0]=ID&select[1]=TITLE``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

# ``processBatchElement`` matches ``$<member>`` followed by any run of non-space characters, and
# walks the ``[...]`` steps inside it. The members are the keys of the batch's own result array.
BATCH_MEMBERS = ("result", "next", "total", "time", "error")
_REFERENCE = re.compile(r"\$(" + "|".join(BATCH_MEMBERS) + r")(\S*)", re.IGNORECASE)
_STEP = re.compile(r"\[([^\]]+)\]")
_NAME_END = re.compile(r"[\[]")


def parse_str(query: str) -> dict[str, Any]:
    """``parse_str($query, $out)``: nested ``a[b][c]=v``, ``a[]=v``, URL-decoding."""
    pairs: list[tuple[str, str]] = []
    for chunk in query.split("&"):
        if not chunk:
            continue
        name, _, value = chunk.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return parse_pairs(pairs)


def parse_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Build a PHP array from already-decoded ``name=value`` pairs (a form body, a query)."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        _assign(root, name, value)
    return {key: listify(value) for key, value in root.items()}


def _assign(root: dict[str, Any], name: str, value: Any) -> None:
    name = name.lstrip(" ")
    head_match = _NAME_END.search(name)
    head = name if head_match is None else name[: head_match.start()]
    rest = "" if head_match is None else name[head_match.start() :]
    steps: list[str] = []
    while rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            # PHP keeps an unclosed bracket as part of the top-level name (as "_").
            head = head + "_" + rest[1:]
            steps = []
            break
        steps.append(rest[1:close])
        rest = rest[close + 1 :]
    # PHP turns spaces and dots in the top-level name into underscores.
    head = head.replace(" ", "_").replace(".", "_")
    if not head:
        return
    keys = [head, *steps]
    node = root
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        slot = key if key != "" else _next_index(node)
        if last:
            node[slot] = value
            return
        child = node.get(slot)
        if not isinstance(child, dict):
            child = {}
            node[slot] = child
        node = child


def _next_index(node: Mapping[str, Any]) -> str:
    numbers = [int(k) for k in node if _is_int_key(k)]
    return str(max(numbers) + 1) if numbers else "0"


def _is_int_key(key: str) -> bool:
    return key == "0" or (key[:1] != "0" and key.lstrip("-").isdigit() and key[:2] != "-0")


def listify(value: Any) -> Any:
    """Turn dicts keyed ``"0".."n-1"`` into lists, recursively."""
    if isinstance(value, dict):
        converted = {k: listify(v) for k, v in value.items()}
        if converted and list(converted) == [str(i) for i in range(len(converted))]:
            return list(converted.values())
        return converted
    if isinstance(value, list):
        return [listify(v) for v in value]
    return value


def php_bool(value: Any) -> bool:
    """``(bool)$value``: note that the string ``"false"`` is true in PHP."""
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, (list, dict)):
        return len(value) > 0
    return bool(value)


def php_intval(value: Any) -> int:
    """``intval($value)``: leading digits of a string, 1 for a non-empty array."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, (list, dict)):
        return 1 if value else 0
    if isinstance(value, str):
        match = re.match(r"\s*([+-]?\d+)", value)
        return int(match.group(1)) if match else 0
    return 0


def json_array(value: Mapping[str, Any]) -> Any:
    """How ``json_encode`` prints a PHP array: a list when keyed 0..n-1 (or empty), else a dict."""
    keys = list(value)
    if not keys or keys == [str(i) for i in range(len(keys))]:
        return list(value.values())
    return dict(value)


def split_call(call: str) -> tuple[str, str]:
    """``parse_url($call)``: the method (path) and the query of one batch command."""
    call = call.split("#", 1)[0]
    method, _, query = call.partition("?")
    return method, query


def resolve_references(params: Any, results: Mapping[str, Mapping[str, Any]]) -> Any:
    """Replace ``$result[key][path...]`` references in parsed batch parameters.

    Faithful to ``CRestUtil::processBatchElement``: the path is walked while each step exists; at
    the first missing step the walk stops and the value reached so far is used. So
    ``$result[c0][49][ID]`` against a page of 20 rows yields the whole 20-row list, and against an
    empty page yields ``[]``. A whole-value reference is replaced by that raw value (a list stays a
    list); a reference inside a longer string is string-replaced only when the value is a string or
    a number, and is left as it is otherwise. Keys are not resolved.
    """
    if isinstance(params, dict):
        return {k: resolve_references(v, results) for k, v in params.items()}
    if isinstance(params, list):
        return [resolve_references(v, results) for v in params]
    if isinstance(params, str) and "$" in params:
        return _resolve_string(params, results)
    return params


def _resolve_string(text: str, results: Mapping[str, Mapping[str, Any]]) -> Any:
    current: Any = text
    for match in _REFERENCE.finditer(text):
        steps = _STEP.findall(match.group(2))
        if not steps:
            continue
        value: Any = results.get(match.group(1))
        for step in steps:
            found, value = _step(value, step)
            if not found:
                break
        if match.group(0) == text:
            return value
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str) or not isinstance(current, str):
            continue
        current = current.replace(match.group(0), value)
    return current


def _step(value: Any, key: str) -> tuple[bool, Any]:
    """``isset($value[$key])`` and the element; ``isset`` is false for a null element."""
    if isinstance(value, Mapping):
        item = value.get(key)
        return item is not None, (item if item is not None else value)
    if isinstance(value, (list, str)) and _is_int_key(key):
        index = int(key)
        if 0 <= index < len(value) and value[index] is not None:
            return True, value[index]
    return False, value
