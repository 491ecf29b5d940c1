"""A report's figures as an ``ATTACH`` block: the table that goes out when no image can.

An ``ATTACH`` is BB text in a structured frame (reference §8.2): one ``MESSAGE`` block for
the title and one ``GRID`` row per employee (or stage, source, reason...) with the report's
first few figures. The portal refuses an attach over 60 000 characters
(``ATTACH_OVERSIZE``), so rows are dropped from the end, with a line saying how many, until
it fits. Pure functions: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.bitrix.texts import CUT_ROWS, MORE_ROWS, NO_DATA, TOTAL, fill, say
from reports.build import Report
from reports.kpi_words import period_label
from reports.markup import bb_text
from reports.tables import Kind, Table, report_tables
from reports.text import Fmt, count, day, number, percent

ATTACH_LIMIT = 60_000
MARGIN = 2_000  # the portal's own encoding of the JSON is a little longer than ours
MAX_ROWS = 40
FIGURES_PER_ROW = 4
# The row's name: the first of these columns that the table has.
_NAME_KINDS: tuple[Kind, ...] = ("text",)
_SKIP_HEADERS = frozenset({"ID"})
COLOR_TOKEN = "primary"


def report_attach(report: Report, *, max_rows: int = MAX_ROWS) -> dict[str, Any]:
    """The report's main table as ``{"COLOR_TOKEN": ..., "BLOCKS": [...]}``."""
    blocks = report_blocks(report, max_rows=max_rows)
    return fit_attach(blocks)


def reports_attach(reports: Sequence[Report], *, max_rows: int = MAX_ROWS) -> dict[str, Any]:
    """Several reports (a morning post) in one attach, a delimiter between them."""
    blocks: list[dict[str, Any]] = []
    for n, report in enumerate(reports):
        if n:
            blocks.append({"DELIMITER": {"SIZE": 200, "COLOR": "#c8c8c8"}})
        blocks.extend(report_blocks(report, max_rows=max_rows))
    return fit_attach(blocks)


def report_blocks(report: Report, *, max_rows: int = MAX_ROWS) -> list[dict[str, Any]]:
    title = f"[b]{bb_text(report.title)}[/b] · {bb_text(period_label(report.meta.period))}"
    blocks: list[dict[str, Any]] = [{"MESSAGE": title}]
    tables = report_tables(report.name, report.figures, {})
    if not tables or not tables[0].rows:
        blocks.append({"MESSAGE": f"[i]{say(NO_DATA)}[/i]"})
        return blocks
    fmt = Fmt(report.meta.period.tz, report.built_at)
    grid = grid_rows(tables[0], fmt)
    shown = grid[:max_rows]
    if tables[0].total and len(grid) > max_rows:
        shown = [*grid[: max_rows - 1], grid[-1]]  # the total row stays
    blocks.append({"GRID": shown})
    if len(shown) < len(grid):
        blocks.append({"MESSAGE": f"[i]{fill(MORE_ROWS, count=str(len(grid) - len(shown)))}[/i]"})
    return blocks


def grid_rows(table: Table, fmt: Fmt) -> list[dict[str, str]]:
    """One GRID row per table row: its name, then its first figures."""
    name_col = next((n for n, k in enumerate(table.kinds) if k in _NAME_KINDS), None)
    figure_cols = [
        n
        for n, (header, kind) in enumerate(zip(table.headers, table.kinds, strict=True))
        if n != name_col and kind not in ("text", "url") and header not in _SKIP_HEADERS
    ][:FIGURES_PER_ROW]
    rows: list[dict[str, str]] = []
    for index, row in enumerate(table.rows):
        is_total = table.total and index == len(table.rows) - 1
        name = say(TOTAL) if is_total else _name(row, name_col)
        figures = " · ".join(
            f"{bb_text(table.headers[n])}: {cell(row[n], table.kinds[n], fmt)}"
            for n in figure_cols
            if not (is_total and row[n] is None)  # "Место: —" says nothing about a total
        )
        rows.append(
            {"NAME": f"[b]{name}[/b]" if is_total else name, "VALUE": figures, "DISPLAY": "LINE"}
        )
    return rows


def _name(row: tuple[Any, ...], name_col: int | None) -> str:
    value = row[name_col] if name_col is not None else None
    return bb_text(str(value)) if value not in (None, "") else "—"


def cell(value: Any, kind: Kind, fmt: Fmt) -> str:
    """A typed table value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return fmt.when(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        numeric: dict[str, Callable[[Any], str]] = {
            "money": fmt.money,
            "share": lambda v: percent(float(v)),
            "points": lambda v: number(v, 1),
            "int": count,
            "number": lambda v: number(v, 2),
        }
        if kind in numeric:
            return numeric[kind](value)
    return bb_text(str(value))


def fit_attach(blocks: list[dict[str, Any]], limit: int = ATTACH_LIMIT - MARGIN) -> dict[str, Any]:
    """The attach, its longest grids losing rows from the end until it fits under ``limit``."""
    keep = {n: len(b["GRID"]) for n, b in enumerate(blocks) if "GRID" in b}

    def build() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for n, block in enumerate(blocks):
            if n not in keep:
                out.append(block)
                continue
            rows = block["GRID"]
            if keep[n]:
                out.append({"GRID": rows[: keep[n]]})
            if keep[n] < len(rows):
                out.append({"MESSAGE": f"[i]{fill(CUT_ROWS, count=str(len(rows) - keep[n]))}[/i]"})
        return out

    current = build()
    while _size(current) > limit and any(keep.values()):
        n = max(keep, key=lambda k: keep[k])
        keep[n] -= max(1, keep[n] // 4)
        current = build()
    return {"COLOR_TOKEN": COLOR_TOKEN, "BLOCKS": current}


def _size(blocks: list[dict[str, Any]]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))
