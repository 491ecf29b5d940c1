"""Each report's figures as plain tables: what the Excel export writes, one sheet each.

Values stay typed (int, Decimal, float shares, aware datetimes, dates); ``reports.excel``
turns them into Excel numbers and dates with a format per column kind; each report's own
tables are built in ``reports.tables_kpi``. Sheet names and headers are in the language in
force (looked up when a table is built); kpi's own words in the rows ('Итого', 'Без
сотрудника') are translated too, names from the portal are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from locales import N_, _
from reports.kpi_words import kpi_word
from reports.lists import LIST_TITLES, ListItem

Kind = Literal["text", "int", "points", "money", "number", "share", "datetime", "date", "url"]
# (attribute of the row object, column header, kind)
Col = tuple[str, str, Kind]


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (<= 31 characters, none of []:*?/\)
    headers: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: bool = False  # the last row is the total (bold)


def table(title: str, cols: Sequence[Col], rows: Sequence[Any], total: Any = None) -> Table:
    """A sheet of ``rows``' attributes; a text cell that is a kpi word is translated."""
    body = [*rows, total] if total is not None else list(rows)
    return Table(
        title,
        tuple(c[1] for c in cols),
        tuple(c[2] for c in cols),
        tuple(tuple(_cell(getattr(r, c[0]), c[2]) for c in cols) for r in body),
        total=total is not None,
    )


def _cell(value: Any, kind: Kind) -> Any:
    return kpi_word(value) if kind == "text" and isinstance(value, str) else value


def who() -> tuple[Col, ...]:
    """The two columns that say whose a row is."""
    return (("employee", _("Сотрудник"), "text"), ("employee_id", "ID", "int"))


WHEN = MappingProxyType(
    {
        "uncovered": N_("Последний контакт"),
        "open_missed": N_("Время звонка"),
        "overdue": N_("Срок"),
    }
)


def list_table(key: str, items: Sequence[ListItem]) -> Table:
    """A drill-down list as a sheet; its name is the list's title (Excel allows 31 characters)."""
    when = _(WHEN.get(key, N_("Когда")))
    headers = (_("Название"), _("Сотрудник"), when, _("Ссылка"), _("Подробности"))
    kinds: tuple[Kind, ...] = ("text", "text", "datetime", "url", "text")
    rows = tuple((x.title, kpi_word(x.employee), x.at, x.url, x.detail) for x in items)
    title = LIST_TITLES.get(key)
    return Table((key if title is None else _(title))[:31], headers, kinds, rows)


def report_tables(name: str, figures: Any, lists: Mapping[str, Sequence[ListItem]]) -> list[Table]:
    """The report's tables, then one per drill-down list."""
    from reports.tables_kpi import TABLES  # it imports this module

    return [*TABLES[name](figures), *(list_table(k, v) for k, v in lists.items())]
