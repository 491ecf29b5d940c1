"""The lists behind a number, for drill-down buttons, captions and Excel sheets.

- "uncovered" (coverage): clients with no communication in the period, with card links;
- "open_missed" (missed): missed calls nobody has called back yet;
- "overdue" (tasks): overdue tasks with links to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from kpi.coverage import CoverageReport
from kpi.missed import MissedReport
from kpi.tasks import TasksReport
from locales import N_, _
from reports.kpi_words import kpi_word
from reports.text import Fmt, phone, short

# Marked here, translated where shown (``list_title``; tables.py names its sheets by them).
LIST_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "uncovered": N_("Клиенты без внимания"),
        "open_missed": N_("Не перезвонили"),
        "overdue": N_("Просроченные задачи"),
    }
)


def list_title(key: str) -> str:
    """'overdue' -> 'Просроченные задачи' / 'Overdue tasks'; an unknown key as it is."""
    title = LIST_TITLES.get(key)
    return key if title is None else _(title)


def _who(employee: str) -> str:
    return short(kpi_word(employee))


@dataclass(frozen=True)
class ListItem:
    """One entry: what it is, where to open it, and one line of detail for people."""

    title: str
    url: str | None
    detail: str
    employee_id: int | None = None
    employee: str = ""
    at: datetime | None = None  # last contact, missed call time, task deadline (local)
    key: bool = False  # a key client


def _uncovered(report: CoverageReport, fmt: Fmt) -> tuple[ListItem, ...]:
    names = {row.employee_id: row.employee for row in report.rows}
    items = []
    for client in report.total.uncovered:
        last = client.last_contact
        seen = (
            _("нет контактов")
            if last is None
            else _("последний контакт {when}").format(when=fmt.when(last))
        )
        employee = names.get(client.employee_id, "")
        items.append(
            ListItem(
                title=client.title,
                url=client.url,
                detail=f"{_who(employee)}, {seen}" if employee else seen,
                employee_id=client.employee_id,
                employee=employee,
                at=None if last is None else fmt.local(last),
                key=client.key,
            )
        )
    # key clients first: they are the ones a head of sales asks about
    return tuple(sorted(items, key=lambda item: not item.key))


def _open_missed(report: MissedReport, fmt: Fmt) -> tuple[ListItem, ...]:
    return tuple(
        ListItem(
            title=phone(call.phone),
            url=None,
            detail=f"{fmt.when(call.at)}, {_who(call.employee)}",
            employee_id=call.employee_id,
            employee=call.employee,
            at=fmt.local(call.at),
        )
        for call in report.total.open
    )


def _overdue(report: TasksReport, fmt: Fmt) -> tuple[ListItem, ...]:
    names = {row.employee_id: row.employee for row in report.rows}
    items = []
    for task in report.total.overdue_tasks:
        employee = names.get(task.employee_id, "")
        due = _("срок {when}").format(when=fmt.when(task.deadline))
        items.append(
            ListItem(
                title=task.title or _("Задача #{id}").format(id=task.id),
                url=task.url,
                detail=f"{due}, {_who(employee)}" if employee else due,
                employee_id=task.employee_id,
                employee=employee,
                at=fmt.local(task.deadline),
            )
        )
    return tuple(items)


_LISTS: Mapping[str, tuple[str, Callable[[Any, Fmt], tuple[ListItem, ...]]]] = MappingProxyType(
    {
        "coverage": ("uncovered", _uncovered),
        "missed": ("open_missed", _open_missed),
        "tasks": ("overdue", _overdue),
    }
)


def drill_down(name: str, figures: Any, fmt: Fmt) -> Mapping[str, tuple[ListItem, ...]]:
    """The report's lists by key ("uncovered", "open_missed", "overdue"); empty if none."""
    found = _LISTS.get(name)
    if found is None:
        return MappingProxyType({})
    key, make = found
    return MappingProxyType({key: make(figures, fmt)})
