"""kpi's own words that reach a chart as data ("Компания"), in the reader's language.

kpi keeps them as data (a scope's name, a row's label); the layer that shows them translates
them. charts/ may not import reports/ (which has its own table for captions), so the words a
chart can show are marked here for the charts catalog.
"""

from __future__ import annotations

from charts.words import N_, _

KPI_WORDS = frozenset(
    {
        N_("Компания"),  # kpi.scope: the company-wide scope's name
        N_("Итого"),  # kpi.deals.TOTAL_NAME
        N_("Без источника"),  # kpi.conversion.NO_SOURCE
        N_("Новые"),  # kpi.conversion.TYPE_NAMES
        N_("Повторные"),
        N_("Без сотрудника"),  # kpi.missed.NULL_EMPLOYEE
    }
)


def kpi_word(text: str) -> str:
    """``text`` translated when it is one of kpi's own words; a name from the portal as it is."""
    return _(text) if text in KPI_WORDS else text
