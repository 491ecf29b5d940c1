"""Lost: leads and deals closed unsuccessfully in the period, by reason and by employee.

A lead is lost when its status semantics is "F" or its status is a failure-side status of
the dictionary ("failure" or "apology"); it belongs to the period of its ``closed_at`` (a
lost lead with no close time belongs to no period). A deal is lost as ``kpi.deals``
says and belongs to the period of its close day. The final status is the reason: rows per
(entity, status) with the dictionary's name, most lost first; ``amount`` sums the lead's
or deal's amount. Only records whose responsible is an employee in scope count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of
from kpi.deals import (
    FAILURE_SEMANTICS,
    TOTAL_NAME,
    ZERO,
    close_day_in,
    deal_lost,
    meta_json,
    money_json,
)
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Deal, DictionaryEntry, Lead

Entity = Literal["lead", "deal"]


@dataclass(frozen=True)
class LostRow:
    entity: Entity
    status_id: str
    reason: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class LostEmployeeRow:
    employee_id: int | None
    employee: str
    leads: int
    deals: int
    count: int
    amount: Decimal


@dataclass(frozen=True)
class LostReport:
    meta: ReportMeta
    # Per reason, as DESIGN.md's JSON lists them.
    reasons: tuple[LostRow, ...]
    rows: tuple[LostEmployeeRow, ...]
    total: LostEmployeeRow
    previous_total: LostEmployeeRow


def lead_lost() -> ColumnElement[bool]:
    failure_statuses = select(col(DictionaryEntry.code)).where(
        col(DictionaryEntry.kind) == "lead_status",
        col(DictionaryEntry.semantics).in_(FAILURE_SEMANTICS),
    )
    return or_(col(Lead.status_semantics) == "F", col(Lead.status_id).in_(failure_statuses))


def _lead_filter(user_ids: tuple[int, ...], period: Period) -> list[ColumnElement[bool]]:
    return [
        col(Lead.responsible_id).in_(user_ids),
        lead_lost(),
        col(Lead.closed_at) >= period.start,
        col(Lead.closed_at) < period.end,
    ]


def _deal_filter(user_ids: tuple[int, ...], period: Period) -> list[ColumnElement[bool]]:
    return [col(Deal.responsible_id).in_(user_ids), deal_lost(), close_day_in(period)]


def _reasons(session: Session, user_ids: tuple[int, ...], period: Period) -> tuple[LostRow, ...]:
    if not user_ids:
        return ()
    names: dict[tuple[str, int, str], str] = {
        (kind, pipe, code): name
        for kind, pipe, code, name in session.execute(
            select(
                col(DictionaryEntry.kind),
                col(DictionaryEntry.pipeline_id),
                col(DictionaryEntry.code),
                col(DictionaryEntry.name),
            ).where(col(DictionaryEntry.kind).in_(("lead_status", "deal_stage")))
        )
    }
    leads = session.execute(
        select(col(Lead.status_id), func.count(), func.sum(col(Lead.amount)))
        .where(*_lead_filter(user_ids, period))
        .group_by(col(Lead.status_id))
    )
    rows = [
        LostRow("lead", code, names.get(("lead_status", 0, code), code), int(n), amount or ZERO)
        for code, n, amount in leads
    ]
    deals = session.execute(
        select(col(Deal.pipeline_id), col(Deal.stage_id), func.count(), func.sum(col(Deal.amount)))
        .where(*_deal_filter(user_ids, period))
        .group_by(col(Deal.pipeline_id), col(Deal.stage_id))
    )
    rows.extend(
        LostRow("deal", code, names.get(("deal_stage", pipe, code), code), int(n), amount or ZERO)
        for pipe, code, n, amount in deals
    )
    return tuple(sorted(rows, key=lambda r: (-r.count, -r.amount, r.entity, r.status_id)))


def _by_employee(
    session: Session, scope: Scope, period: Period
) -> tuple[tuple[LostEmployeeRow, ...], LostEmployeeRow]:
    ids = scope.employee_ids
    leads: dict[int, tuple[int, Decimal]] = {}
    deals: dict[int, tuple[int, Decimal]] = {}
    if ids:
        for uid, n, amount in session.execute(
            select(col(Lead.responsible_id), func.count(), func.sum(col(Lead.amount)))
            .where(*_lead_filter(ids, period))
            .group_by(col(Lead.responsible_id))
        ):
            leads[uid] = (int(n), amount or ZERO)
        for uid, n, amount in session.execute(
            select(col(Deal.responsible_id), func.count(), func.sum(col(Deal.amount)))
            .where(*_deal_filter(ids, period))
            .group_by(col(Deal.responsible_id))
        ):
            deals[uid] = (int(n), amount or ZERO)
    rows = []
    for e in scope.employees:
        lead_n, lead_amount = leads.get(e.id, (0, ZERO))
        deal_n, deal_amount = deals.get(e.id, (0, ZERO))
        rows.append(
            LostEmployeeRow(
                e.id, e.name, lead_n, deal_n, lead_n + deal_n, lead_amount + deal_amount
            )
        )
    total = LostEmployeeRow(
        None,
        TOTAL_NAME,
        sum(r.leads for r in rows),
        sum(r.deals for r in rows),
        sum(r.count for r in rows),
        sum((r.amount for r in rows), ZERO),
    )
    return tuple(rows), total


def lost_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> LostReport:
    before = previous(period, now=now)
    rows, total = _by_employee(session, scope, period)
    _, previous_total = _by_employee(session, scope, before)
    return LostReport(
        meta=ReportMeta("lost", scope, period, before, data_as_of(session)),
        reasons=_reasons(session, scope.employee_ids, period),
        rows=rows,
        total=total,
        previous_total=previous_total,
    )


def _employee_json(row: LostEmployeeRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "leads": row.leads,
        "deals": row.deals,
        "count": row.count,
        "amount": money_json(row.amount),
    }


def to_json(report: LostReport) -> dict[str, Any]:
    """``rows`` per reason (DESIGN.md); ``by_employee`` beside them."""
    return {
        **meta_json(report.meta),
        "rows": [
            {
                "status_id": r.status_id,
                "reason": r.reason,
                "entity": r.entity,
                "count": r.count,
                "amount": money_json(r.amount),
            }
            for r in report.reasons
        ],
        "by_employee": [_employee_json(r) for r in report.rows],
        "total": _employee_json(report.total),
        "previous_total": _employee_json(report.previous_total),
    }
