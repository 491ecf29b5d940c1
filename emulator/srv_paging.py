"""Paging of list methods: 50 rows a page, ``total``/``next``, and the ``start=-1`` fast mode.

Tables are sorted by id, so conditions on the id narrow the scan to a slice found by bisection
and an ``ID ASC`` (or ``DESC``) order needs no sort. The official full-export recipe
(``order ID ASC``, ``>ID`` = last, ``start=-1``) therefore touches about 50 rows per page even on
a table of a million rows, like the indexed query it is on a real portal.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.data import ID_KEY
from emulator.filters import Condition, Row, sort_rows
from emulator.phpquery import php_intval
from emulator.portal import Portal

PAGE_SIZE = 50


@dataclass
class Page:
    rows: list[Row]
    total: int  # 0 in fast mode: no COUNT(*) was run
    next: int | None
    counted: int  # rows scanned to count ``total`` (drives the synthetic cost)


def start_of(params: Mapping[str, Any]) -> int:
    """The ``start`` parameter (any case) as PHP's ``intval`` reads it; absent is 0."""
    for key in ("start", "START", "Start"):
        if key in params:
            return php_intval(params[key])
    return 0


def _narrow(
    ids: Sequence[int], conditions: Iterable[Condition], id_key: str
) -> tuple[int, int, list[Condition]]:
    """Index range allowed by simple numeric conditions on the id, and the conditions left."""
    low, high = 0, len(ids)
    rest: list[Condition] = []
    for condition in conditions:
        number = condition.operands[0].number if len(condition.operands) == 1 else None
        if condition.field != id_key or number is None:
            rest.append(condition)
            continue
        if condition.kind == "gt":
            low = max(low, bisect_right(ids, number))
        elif condition.kind == "ge":
            low = max(low, bisect_left(ids, number))
        elif condition.kind == "lt":
            high = min(high, bisect_left(ids, number))
        elif condition.kind == "le":
            high = min(high, bisect_right(ids, number))
        elif condition.kind in ("eq", "in"):
            low = max(low, bisect_left(ids, number))
            high = min(high, bisect_right(ids, number))
        else:
            rest.append(condition)
    return low, max(low, high), rest


_RANGE_KINDS = ("gt", "ge", "lt", "le")


def _date_window(
    portal: Portal, table: str, conditions: Sequence[Condition]
) -> Sequence[int] | None:
    """Row positions that a date range in ``conditions`` allows (None: no date range)."""
    for condition in conditions:
        if condition.kind not in _RANGE_KINDS or condition.by_day or len(condition.operands) != 1:
            continue
        instant = condition.operands[0].instant
        if instant is None or condition.operands[0].number is not None:
            continue
        bounds = [c for c in conditions if c.field == condition.field and c.kind in _RANGE_KINDS]
        stamps, positions = portal.instants(table, condition.field)
        first, last = 0, len(stamps)
        for bound in bounds:
            moment = bound.operands[0].instant if len(bound.operands) == 1 else None
            if moment is None or bound.by_day:
                return None
            stamp = moment.timestamp()
            if bound.kind in ("gt", "ge"):
                cut = bisect_right if bound.kind == "gt" else bisect_left
                first = max(first, cut(stamps, stamp))
            else:
                cut = bisect_left if bound.kind == "lt" else bisect_right
                last = min(last, cut(stamps, stamp))
        return positions[first:last] if first < last else []
    return None


def _scan(
    portal: Portal,
    table: str,
    conditions: Sequence[Condition],
    low: int,
    high: int,
    *,
    descending: bool,
) -> Sequence[int]:
    """Row positions to test in id order; a date range narrows them to its own rows."""
    window = _date_window(portal, table, conditions)
    if window is None or len(window) * 4 > high - low:
        # A wide range (a first sync's history window) matches most rows: a keyset scan
        # finds its 50 at once, while gathering the range would touch all of them.
        return range(high - 1, low - 1, -1) if descending else range(low, high)
    inside = sorted(i for i in window if low <= i < high)
    return inside[::-1] if descending else inside


def query(
    portal: Portal,
    table: str,
    conditions: Sequence[Condition],
    order: Sequence[tuple[str, bool]],
    start: int,
    *,
    aligned: bool = True,
    extra: Callable[[Row], bool] | None = None,
    project: Callable[[Row], Row] | None = None,
) -> Page:
    """One page of ``table``.

    ``order`` empty means stored order (id ascending). ``aligned``: legacy methods turn
    ``start`` into a page number (``intval(start / 50) + 1``); ORM methods use it as an offset.
    """
    rows: Sequence[Row] = portal.rows(table)
    id_key = ID_KEY[table]
    low, high, rest = _narrow(portal.ids(table), conditions, id_key)
    tests: list[Callable[[Row], bool]] = [c.test for c in rest]
    if extra is not None:
        tests.append(extra)
    fast = start < 0
    offset = 0 if fast else (start // PAGE_SIZE) * PAGE_SIZE if aligned else start
    by_id = not order or order[0][0] == id_key
    descending = bool(order) and order[0][1]

    page: list[Row]
    total = 0
    if by_id and not tests:
        total = 0 if fast else high - low
        first = low + offset
        last = min(high, first + PAGE_SIZE)
        if descending:
            page = list(rows[max(low, high - offset - PAGE_SIZE) : max(low, high - offset)])[::-1]
        else:
            page = list(rows[first:last]) if first < high else []
    elif by_id:
        page = []
        indices = _scan(portal, table, rest, low, high, descending=descending)
        for index in indices:
            row = rows[index]
            if all(test(row) for test in tests):
                if total >= offset and len(page) < PAGE_SIZE:
                    page.append(row)
                total += 1
                if fast and len(page) == PAGE_SIZE:
                    break
        if fast:
            total = 0
    else:
        matched = [row for row in rows[low:high] if all(test(row) for test in tests)]
        ordered = sort_rows(matched, order, portal.zone)
        page = ordered[offset : offset + PAGE_SIZE]
        total = 0 if fast else len(matched)

    counted = 0 if fast else high - low
    more = not fast and offset + PAGE_SIZE < total
    if project is not None:
        page = [project(row) for row in page]
    return Page(page, total, offset + PAGE_SIZE if more else None, counted)
