"""A report's JSON (``crm-pulse report --json``) as the dashboard's table and lists.

Every figure cell carries the JSON's own value in ``data-value`` and its path in
``data-key``, so what the page shows is checked against ``--json`` figure by figure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from locales import _
from reports.kpi_words import kpi_word, metric_name
from web.pages import formats, texts

LABEL_KEYS = ("employee", "source", "reason", "stage", "title")
ID_KEYS = frozenset({"employee_id", "source_id", "status_id", "stage_id", "company_id"})
SHARE_KEYS = frozenset({"coverage", "conversion"})
SECONDS_KEYS = frozenset({"talk_seconds", "avg_callback_seconds"})
MONEY = re.compile(r"^-?\d+\.\d{2}$")
MAX_ROWS = 200  # a wall of rows helps nobody; the workbook has them all
MAX_ITEMS = 10  # drill-down items per row on the page; the workbook has them all


@dataclass(frozen=True)
class Leaf:
    key: str  # "calls", or "metrics.calls.fact"
    label: str
    value: str  # the JSON value, as JSON
    text: str


@dataclass(frozen=True)
class Cell:
    key: str
    leaves: tuple[Leaf, ...]
    status: str = ""


@dataclass(frozen=True)
class Row:
    index: int | None  # position in the JSON's rows; None for the total
    label: str
    ids: tuple[tuple[str, str], ...]  # ("employee-id", "12") for data- attributes
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Item:
    text: str
    url: str | None
    details: str


@dataclass(frozen=True)
class DrillList:
    title: str
    owner: str
    items: tuple[Item, ...]
    hidden: int


@dataclass(frozen=True)
class Table:
    columns: tuple[tuple[str, str], ...]  # key, label
    rows: tuple[Row, ...]
    total: Row | None
    hidden_rows: int
    lists: tuple[DrillList, ...]


def text_of(key: str, value: Any) -> str:  # noqa: PLR0911  (one answer per kind of value)
    name = key.rsplit(".", 1)[-1]
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    if name in SHARE_KEYS and isinstance(value, int | float):
        return formats.percent(float(value))
    if name in SECONDS_KEYS and isinstance(value, int | float):
        return formats.duration(float(value))
    if isinstance(value, str):
        if MONEY.match(value):
            return formats.money(Decimal(value))
        return _(texts.STATUS.get(value, value))
    if isinstance(value, int):
        return formats.count(value)
    if isinstance(value, float):
        return formats.number(value, 2)
    return str(value)


def _label(row: dict[str, Any]) -> str:
    for key in LABEL_KEYS:
        if isinstance(row.get(key), str):
            return kpi_word(str(row[key]))  # "Без сотрудника", "Без источника" are kpi's words
    return "—" if row.get("employee_id", 0) is None else ""


def _leaves(prefix: str, value: Any) -> Iterator[Leaf]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(f"{prefix}.{key}", inner)
        return
    name = prefix.rsplit(".", 1)[-1]
    yield Leaf(
        prefix,
        _(texts.COLUMNS.get(name, name)),
        json.dumps(value, ensure_ascii=False),
        text_of(prefix, value),
    )


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key in keys or key in ID_KEYS or key in LABEL_KEYS or isinstance(value, list):
                continue
            keys.append(key)
    return keys


def _cells(row: dict[str, Any], columns: list[str]) -> tuple[Cell, ...]:
    cells = []
    for key in columns:
        if key not in row:  # a figure other rows have: an empty cell, not a made-up null
            cells.append(Cell(key, ()))
            continue
        value = row[key]
        if isinstance(value, dict) and key == "metrics":
            for metric, figures in value.items():
                status = figures.get("status") or "" if isinstance(figures, dict) else ""
                cells.append(
                    Cell(f"metrics.{metric}", tuple(_leaves(f"metrics.{metric}", figures)), status)
                )
        else:
            cells.append(Cell(key, tuple(_leaves(key, value))))
    return tuple(cells)


def _row(index: int | None, row: dict[str, Any], columns: list[str]) -> Row:
    ids = tuple((key.replace("_", "-"), str(row[key])) for key in sorted(ID_KEYS) if key in row)
    label = _(texts.TOTAL) if index is None else _label(row)
    return Row(index, label, ids, _cells(row, columns))


def _column_labels(rows: list[dict[str, Any]], columns: list[str]) -> list[tuple[str, str]]:
    labels: list[tuple[str, str]] = []
    for key in columns:
        value = next((r[key] for r in rows if isinstance(r.get(key), dict)), None)
        if key == "metrics" and isinstance(value, dict):
            labels.extend((f"metrics.{m}", metric_name(m)) for m in value)
        else:
            labels.append((key, _(texts.COLUMNS.get(key) or key)))
    return labels


def _item(entry: Any) -> Item:
    if not isinstance(entry, dict):
        return Item(str(entry), None, "")
    main = entry.get("title") or entry.get("phone") or entry.get("name") or ""
    url = entry.get("url")
    safe_url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    details = " · ".join(
        text_of(k, v)
        for k, v in entry.items()
        if k not in {"title", "phone", "name", "url", "client_id", "client_type"} and v is not None
    )
    return Item(str(main), safe_url, details)


def _lists(rows: list[dict[str, Any]]) -> tuple[DrillList, ...]:
    found = []
    for row in rows:
        for key, value in row.items():
            if isinstance(value, list) and value:
                found.append(
                    DrillList(
                        _(texts.LISTS.get(key, key)),
                        _label(row),
                        tuple(_item(v) for v in value[:MAX_ITEMS]),
                        max(0, len(value) - MAX_ITEMS),
                    )
                )
    return tuple(found)


def table_of(data: dict[str, Any]) -> Table:
    rows: list[dict[str, Any]] = list(data.get("rows") or [])
    shown = rows[:MAX_ROWS]
    columns = _columns(shown + ([data["total"]] if isinstance(data.get("total"), dict) else []))
    total = data.get("total")
    return Table(
        columns=tuple(_column_labels(shown, columns)),
        rows=tuple(_row(i, r, columns) for i, r in enumerate(shown)),
        total=_row(None, total, columns) if isinstance(total, dict) else None,
        hidden_rows=len(rows) - len(shown),
        lists=_lists(shown),
    )
