"""Plans as the reports use them: the config's plans, overridden by those set in the store.

Heads set plans from chat or an Excel sheet (``store.plan_models``); each target's newest
row wins over the config's value for the same department or employee, period length and
metric. A newest row with no value removes the override, so the config's plan applies again.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import Session

from kpi.settings import PlanBook
from store.plan_models import current_plans

Targets = Mapping[int, Mapping[str, Mapping[str, Decimal]]]


def effective_plans(session: Session, book: PlanBook) -> PlanBook:
    """``book`` (the config's plans) with every plan set in the store applied over it."""
    rows = current_plans(session)
    if not rows:
        return book
    merged = {"department": _copy(book.departments), "employee": _copy(book.employees)}
    for row in rows:
        table = merged.get(row.target_kind)
        if table is None or row.value is None:  # a removed override: the config's value stays
            continue
        table.setdefault(row.target_id, {}).setdefault(row.length, {})[row.metric] = row.value
    return PlanBook(departments=merged["department"], employees=merged["employee"])


def _copy(targets: Targets) -> dict[int, dict[str, dict[str, Decimal]]]:
    return {
        key: {length: dict(metrics) for length, metrics in lengths.items()}
        for key, lengths in targets.items()
    }
