"""Deals per employee: won (count and revenue) and new, plus the deal outcome conditions.

Revenue (DESIGN.md): the sum of deal amounts in the account currency (``Deal.amount`` is
stored in it) over deals won (stage semantics "S") whose close date's calendar day is in the
period. A deal counts as lost when its stage semantics is "F" or its stage is a failure-side
stage of the dictionary ("failure" or "apology"), so a portal that leaves an apology stage
marked in progress still counts it as lost, never as open.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, tuple_
from sqlmodel import Session, col

from kpi.common import ReportMeta, local_day_bounds
from kpi.periods import Period
from store.models import Deal, DictionaryEntry

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TOTAL_NAME = "Итого"
FAILURE_SEMANTICS = ("failure", "apology")


def deal_won() -> ColumnElement[bool]:
    return col(Deal.stage_semantics) == "S"


def deal_lost() -> ColumnElement[bool]:
    # An uncorrelated IN: the database reads the few failure stages once, not once a row.
    failure_stages = select(col(DictionaryEntry.pipeline_id), col(DictionaryEntry.code)).where(
        col(DictionaryEntry.kind) == "deal_stage",
        col(DictionaryEntry.semantics).in_(FAILURE_SEMANTICS),
    )
    return or_(
        col(Deal.stage_semantics) == "F",
        tuple_(col(Deal.pipeline_id), col(Deal.stage_id)).in_(failure_stages),
    )


def deal_open() -> ColumnElement[bool]:
    return and_(col(Deal.stage_semantics) == "P", not_(deal_lost()))


def close_day_in(period: Period) -> ColumnElement[bool]:
    """The deal's close date (a calendar day) falls inside the period."""
    first, last_exclusive = local_day_bounds(period)
    return and_(col(Deal.close_date) >= first, col(Deal.close_date) < last_exclusive)


def won_by_employee(
    session: Session, user_ids: Sequence[int], period: Period
) -> dict[int, tuple[int, Decimal]]:
    """Per responsible user: (deals won, revenue) for deals closing in the period."""
    result: dict[int, tuple[int, Decimal]] = {uid: (0, ZERO) for uid in user_ids}
    if not result:
        return result
    query = (
        select(col(Deal.responsible_id), func.count(), func.sum(col(Deal.amount)))
        .where(col(Deal.responsible_id).in_(list(result)), deal_won(), close_day_in(period))
        .group_by(col(Deal.responsible_id))
    )
    for uid, count, revenue in session.execute(query):
        result[uid] = (int(count), revenue if revenue is not None else ZERO)
    return result


def new_deals_by_employee(
    session: Session, user_ids: Sequence[int], period: Period
) -> dict[int, int]:
    """Per responsible user: deals created in the period (any stage)."""
    result: dict[int, int] = dict.fromkeys(user_ids, 0)
    if not result:
        return result
    query = (
        select(col(Deal.responsible_id), func.count())
        .where(
            col(Deal.responsible_id).in_(list(result)),
            col(Deal.created_at) >= period.start,
            col(Deal.created_at) < period.end,
        )
        .group_by(col(Deal.responsible_id))
    )
    for uid, count in session.execute(query):
        result[uid] = int(count)
    return result


def money_json(amount: Decimal) -> str:
    """Money as DESIGN.md prints it: a decimal string in kopecks."""
    return str(amount.quantize(CENT))


def meta_json(meta: ReportMeta) -> dict[str, Any]:
    """The head every sales report's JSON shares (DESIGN.md "Machine-readable output")."""
    return {
        "report": meta.report,
        "scope": {"kind": meta.scope.kind, "id": meta.scope.id, "name": meta.scope.name},
        "period": {
            "name": meta.period.name,
            "start": meta.period.start.isoformat(),
            "end": meta.period.end.isoformat(),
        },
        "previous": {
            "name": meta.previous.name,
            "start": meta.previous.start.isoformat(),
            "end": meta.previous.end.isoformat(),
        },
        "data_as_of": None if meta.data_as_of is None else meta.data_as_of.isoformat(),
    }
