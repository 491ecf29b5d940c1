"""The kpi words people see, in their language: totals, "no employee", sources, periods.

kpi/ keeps these words as data in Russian (they are also JSON values, an interface that
does not change with the language) and may not look texts up. The layer that shows them
to a person passes them through ``kpi_word``; a word not in the table (an employee's or a
source's name from the portal) comes back as it is. A period carries its Russian and
English labels; ``period_label`` picks the one for the language in force.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Protocol

from locales import N_, _, language

# The kpi constants' values, marked for the catalog (kpi/deals TOTAL_NAME, kpi/missed
# NULL_EMPLOYEE, kpi/conversion NO_SOURCE and TYPE_NAMES, kpi/scope's company scope).
# Written out rather than imported so that the catalog extractor sees them; a unit test
# checks they still equal the kpi constants.
KPI_WORDS: frozenset[str] = frozenset(
    {
        N_("Итого"),
        N_("Без сотрудника"),
        N_("Без источника"),
        N_("Новые"),
        N_("Повторные"),
        N_("Компания"),
    }
)
# The kinds of scope, as the Excel summary and a reply name them.
SCOPE_KINDS = MappingProxyType(
    {"company": N_("Компания"), "department": N_("Отдел"), "employee": N_("Сотрудник")}
)


def kpi_word(text: str) -> str:
    """A kpi data word in the language in force; any other text (a name) as it is."""
    return _(text) if text in KPI_WORDS else text


def scope_kind(kind: str) -> str:
    """'company' -> 'Компания' / 'Company'; an unknown kind as it is."""
    word = SCOPE_KINDS.get(kind)
    return kind if word is None else _(word)


class Labelled(Protocol):
    """A kpi.periods Period or PeriodChoice: both carry a label per language."""

    @property
    def label_ru(self) -> str: ...

    @property
    def label_en(self) -> str: ...


def period_label(period: Labelled) -> str:
    """The period's label in the language in force ('ноябрь 2026' / 'November 2026')."""
    return period.label_en if language() == "en" else period.label_ru


# The kpi metrics by name (kpi and the config know only their keys), for every text and sheet.
METRIC_NAMES = MappingProxyType(
    {
        "calls": N_("Звонки"),
        "successful_calls": N_("Успешные звонки"),
        "talk_minutes": N_("Минуты разговоров"),
        "meetings": N_("Встречи"),
        "emails": N_("Письма"),
        "new_deals": N_("Новые сделки"),
        "deals_won": N_("Выигранные сделки"),
        "revenue": N_("Выручка"),
        "points": N_("Баллы"),
    }
)


def metric_name(key: str) -> str:
    """'calls' -> 'Звонки' / 'Calls'; an unknown metric as its key."""
    name = METRIC_NAMES.get(key)
    return key if name is None else _(name)
