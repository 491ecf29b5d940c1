"""Lead conversion: of the leads created in the period, how far each one went.

For the leads created in the period whose responsible is an employee in scope (leads of
other users are in no row and no total, as DESIGN.md "Scope" says):
``converted`` counts leads with status semantics "S"; ``to_deals`` leads with at least one
deal whose ``lead_id`` is theirs (any stage, any responsible, as the store holds it now);
``to_won`` leads with at least one such deal won; ``conversion`` = converted / leads, null
when there are no leads. Grouped by lead source (only sources that have leads, most leads
first; a lead with no source under ``source_id`` null), by type (``new`` and ``repeat``
by ``is_return_customer``, both always listed) and by responsible employee (every
employee in scope, zeros included). Every grouping sums to the same total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Deal, DictionaryEntry, Lead

NO_SOURCE = "Без источника"
TYPE_NAMES = {"new": "Новые", "repeat": "Повторные"}
Grouping = Literal["source", "type", "employee"]


@dataclass(frozen=True, kw_only=True)
class LeadCounts:
    leads: int = 0
    converted: int = 0
    to_deals: int = 0
    to_won: int = 0

    @property
    def conversion(self) -> float | None:
        return self.converted / self.leads if self.leads else None


@dataclass(frozen=True, kw_only=True)
class SourceRow(LeadCounts):
    source_id: str | None
    source: str


@dataclass(frozen=True, kw_only=True)
class TypeRow(LeadCounts):
    type: str
    name: str


@dataclass(frozen=True, kw_only=True)
class EmployeeRow(LeadCounts):
    employee_id: int | None
    employee: str


@dataclass(frozen=True)
class ConversionReport:
    meta: ReportMeta
    rows: tuple[EmployeeRow, ...]
    by_source: tuple[SourceRow, ...]
    by_type: tuple[TypeRow, ...]
    total: EmployeeRow
    previous_total: EmployeeRow


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _grouped(
    session: Session, user_ids: tuple[int, ...], period: Period, key: Any
) -> dict[Any, tuple[int, int, int, int]]:
    """key value -> (leads, converted, to_deals, to_won) over the scope's leads of the period."""
    if not user_ids:
        return {}
    has_deal = exists(select(col(Deal.id)).where(col(Deal.lead_id) == col(Lead.id)))
    has_won = exists(
        select(col(Deal.id)).where(
            col(Deal.lead_id) == col(Lead.id), col(Deal.stage_semantics) == "S"
        )
    )
    query = (
        select(
            key,
            func.count(),
            _flag(col(Lead.status_semantics) == "S"),
            _flag(has_deal),
            _flag(has_won),
        )
        .where(
            col(Lead.responsible_id).in_(user_ids),
            col(Lead.created_at) >= period.start,
            col(Lead.created_at) < period.end,
        )
        .group_by(key)
    )
    return {
        value: (int(leads), int(conv or 0), int(deals or 0), int(won or 0))
        for value, leads, conv, deals, won in session.execute(query)
    }


def _counts(figures: tuple[int, int, int, int]) -> dict[str, int]:
    leads, converted, to_deals, to_won = figures
    return {"leads": leads, "converted": converted, "to_deals": to_deals, "to_won": to_won}


def _employee_rows(
    session: Session, scope: Scope, period: Period
) -> tuple[tuple[EmployeeRow, ...], EmployeeRow]:
    grouped = _grouped(session, scope.employee_ids, period, col(Lead.responsible_id))
    rows = tuple(
        EmployeeRow(employee_id=e.id, employee=e.name, **_counts(grouped.get(e.id, (0, 0, 0, 0))))
        for e in scope.employees
    )
    return rows, EmployeeRow(employee_id=None, employee=TOTAL_NAME, **_sum(rows))


def _sum(rows: Iterable[LeadCounts]) -> dict[str, int]:
    listed = list(rows)
    return {
        "leads": sum(r.leads for r in listed),
        "converted": sum(r.converted for r in listed),
        "to_deals": sum(r.to_deals for r in listed),
        "to_won": sum(r.to_won for r in listed),
    }


def _source_rows(session: Session, scope: Scope, period: Period) -> tuple[SourceRow, ...]:
    grouped = _grouped(session, scope.employee_ids, period, col(Lead.source_id))
    codes = [code for code in grouped if code is not None]
    names: dict[str, str] = {
        code: name
        for code, name in session.execute(
            select(col(DictionaryEntry.code), col(DictionaryEntry.name)).where(
                col(DictionaryEntry.kind) == "source", col(DictionaryEntry.code).in_(codes)
            )
        )
    }
    rows = [
        SourceRow(
            source_id=code,
            source=NO_SOURCE if code is None else names.get(code, code),
            **_counts(figures),
        )
        for code, figures in grouped.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.leads, r.source, r.source_id or "")))


def _type_rows(session: Session, scope: Scope, period: Period) -> tuple[TypeRow, ...]:
    grouped = _grouped(session, scope.employee_ids, period, col(Lead.is_return_customer))
    return tuple(
        TypeRow(type=kind, name=TYPE_NAMES[kind], **_counts(grouped.get(flag, (0, 0, 0, 0))))
        for kind, flag in (("new", False), ("repeat", True))
    )


def conversion_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> ConversionReport:
    before = previous(period, now=now)
    rows, total = _employee_rows(session, scope, period)
    _, previous_total = _employee_rows(session, scope, before)
    return ConversionReport(
        meta=ReportMeta("conversion", scope, period, before, data_as_of(session)),
        rows=rows,
        by_source=_source_rows(session, scope, period),
        by_type=_type_rows(session, scope, period),
        total=total,
        previous_total=previous_total,
    )


def _figures(row: LeadCounts) -> dict[str, Any]:
    return {
        "leads": row.leads,
        "converted": row.converted,
        "to_deals": row.to_deals,
        "to_won": row.to_won,
        "conversion": row.conversion,
    }


def _source_json(row: SourceRow) -> dict[str, Any]:
    return {"source_id": row.source_id, "source": row.source, **_figures(row)}


def _type_json(row: TypeRow) -> dict[str, Any]:
    return {"type": row.type, "name": row.name, **_figures(row)}


def _employee_json(row: EmployeeRow) -> dict[str, Any]:
    return {"employee_id": row.employee_id, "employee": row.employee, **_figures(row)}


def to_json(report: ConversionReport, *, by: Grouping = "source") -> dict[str, Any]:
    """``rows`` by lead source (DESIGN.md), by type or by employee; the other two beside."""
    groupings = {
        "source": [_source_json(r) for r in report.by_source],
        "type": [_type_json(r) for r in report.by_type],
        "employee": [_employee_json(r) for r in report.rows],
    }
    return {
        **meta_json(report.meta),
        "by": by,
        "rows": groupings[by],
        **{f"by_{name}": rows for name, rows in groupings.items() if name != by},
        "total": _employee_json(report.total),
        "previous_total": _employee_json(report.previous_total),
    }
