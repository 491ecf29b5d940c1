"""The "plan" report: revenue against the revenue plan, with two forecasts.

- ``revenue``/``deals_won``: won deals by close day (see ``kpi.deals``).
- ``plan``: the revenue target for the period's length (day, week, month, quarter, year)
  from ``settings.plans``: the employee's own target, else the nearest department up the
  tree from the employee's main department; null when none is set. A custom range takes
  the month plans prorated by working days, exactly as the "kpi" report does
  (``kpi.kpiplan.month_shares``), so both reports show the same revenue plan.
- ``forecast_run_rate``: revenue / elapsed working days x all working days of the period,
  by ``settings.calendar``; revenue itself when no working time has elapsed yet, and for a
  period that is over.
- ``forecast_pipeline``: revenue plus, over the employee's open deals whose close day is
  in the period, amount x the stage probability (``settings.stage_probability`` by stage
  code, else the deal's own probability / 100, else 0). Inside a running period only close
  days from today on count: an open deal whose close day has passed missed its date and is
  not expected in this period. A period that is over has nothing left to close, so its
  pipeline forecast is its revenue.

Money is rounded to kopecks (half up) per employee; the total is the sum of the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of, local_day_bounds
from kpi.deals import (
    CENT,
    TOTAL_NAME,
    ZERO,
    deal_open,
    deal_won,
    meta_json,
    money_json,
    won_by_employee,
)
from kpi.periods import Period, previous
from kpi.plans_store import effective_plans
from kpi.scope import Employee, Scope
from kpi.settings import KpiSettings, PlanBook
from store.models import Deal, Department

PLAN_LENGTHS = frozenset({"day", "week", "month", "quarter", "year"})


@dataclass(frozen=True)
class PlanRow:
    employee_id: int | None
    employee: str
    revenue: Decimal
    plan: Decimal | None
    deals_won: int
    forecast_run_rate: Decimal
    forecast_pipeline: Decimal


@dataclass(frozen=True)
class DayRevenue:
    day: date
    revenue: Decimal
    cumulative: Decimal


@dataclass(frozen=True)
class PlanReport:
    meta: ReportMeta
    rows: tuple[PlanRow, ...]
    total: PlanRow
    previous_total: PlanRow
    # Every calendar day of the period with the scope's revenue, for the cumulative chart.
    daily: tuple[DayRevenue, ...]
    # The last day the figures reach (today inside a running period), where the fact line stops.
    as_of_day: date


def plan_targets(
    session: Session,
    plans: PlanBook,
    employees: Iterable[Employee],
    length: str,
    metric: str,
) -> dict[int, Decimal | None]:
    """Each employee's target: their own, else the nearest department's up the tree.

    Plans set in the store (by heads, from chat or Excel) override the config's.
    """
    plans = effective_plans(session, plans)
    parents: dict[int, int | None] = {
        dept: parent
        for dept, parent in session.execute(select(col(Department.id), col(Department.parent_id)))
    }
    return {e.id: _target(plans, parents, e, length, metric) for e in employees}


def _target(
    plans: PlanBook,
    parents: Mapping[int, int | None],
    employee: Employee,
    length: str,
    metric: str,
) -> Decimal | None:
    own = plans.employees.get(employee.id, {}).get(length, {}).get(metric)
    if own is not None:
        return own
    dept, seen = employee.department_id, set[int]()
    while dept is not None and dept not in seen:
        seen.add(dept)
        target = plans.departments.get(dept, {}).get(length, {}).get(metric)
        if target is not None:
            return target
        dept = parents.get(dept)
    return None


def revenue_plans(
    session: Session,
    employees: Sequence[Employee],
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
) -> dict[int, Decimal | None]:
    """Each employee's revenue plan for the period (a range: month plans prorated)."""
    if period.kind in PLAN_LENGTHS:
        return plan_targets(session, settings.plans, employees, period.kind, "revenue")
    # kpi.kpiplan imports this module for plan_targets; importing it here, not at the top,
    # keeps the two from importing each other at load time.
    from kpi.kpiplan import month_shares

    factor = month_shares(period, settings, now=now)
    monthly = plan_targets(session, settings.plans, employees, "month", "revenue")
    return {
        uid: None if target is None else (Decimal(target) * factor).quantize(CENT, ROUND_HALF_UP)
        for uid, target in monthly.items()
    }


def pipeline_by_employee(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
) -> dict[int, Decimal]:
    """Weighted open pipeline closing in the period (from today on when it is running)."""
    result = dict.fromkeys(user_ids, ZERO)
    first, last_exclusive = local_day_bounds(period)
    if period.running:
        first = max(first, now.astimezone(period.tz).date())
    if not result or first >= last_exclusive:
        return result
    # Amounts are summed exactly in SQL per (employee, stage, probability); the weights are
    # applied here in Decimal so no float touches money.
    query = (
        select(
            col(Deal.responsible_id),
            col(Deal.stage_id),
            col(Deal.probability),
            func.sum(col(Deal.amount)),
        )
        .where(
            col(Deal.responsible_id).in_(list(result)),
            deal_open(),
            col(Deal.close_date) >= first,
            col(Deal.close_date) < last_exclusive,
        )
        .group_by(col(Deal.responsible_id), col(Deal.stage_id), col(Deal.probability))
    )
    weighted: dict[int, Decimal] = dict.fromkeys(result, Decimal(0))
    for uid, stage_id, probability, amount in session.execute(query):
        if amount is not None:
            weighted[uid] += amount * stage_weight(settings, stage_id, probability)
    return {uid: value.quantize(CENT, ROUND_HALF_UP) for uid, value in weighted.items()}


def stage_weight(settings: KpiSettings, stage_id: str, probability: int | None) -> Decimal:
    configured = settings.stage_probability.get(stage_id)
    if configured is not None:
        return Decimal(str(configured))
    if probability is not None:
        return Decimal(probability) / 100
    return Decimal(0)


def run_rate(revenue: Decimal, period: Period, settings: KpiSettings, *, now: datetime) -> Decimal:
    if not period.running:
        return revenue
    elapsed = settings.calendar.elapsed_working_days(period, now)
    if elapsed <= 0:
        return revenue
    whole = settings.calendar.working_days(period)
    return (revenue * whole / Decimal(elapsed)).quantize(CENT, ROUND_HALF_UP)


def _rows(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> tuple[PlanRow, ...]:
    ids = scope.employee_ids
    won = won_by_employee(session, ids, period)
    closed = period.end.astimezone(UTC) <= now.astimezone(UTC)
    pipeline = (
        dict.fromkeys(ids, ZERO)
        if closed
        else pipeline_by_employee(session, ids, period, settings, now=now)
    )
    plans = revenue_plans(session, scope.employees, period, settings, now=now)
    rows = []
    for employee in scope.employees:
        count, revenue = won[employee.id]
        rows.append(
            PlanRow(
                employee_id=employee.id,
                employee=employee.name,
                revenue=revenue,
                plan=plans.get(employee.id),
                deals_won=count,
                forecast_run_rate=run_rate(revenue, period, settings, now=now),
                forecast_pipeline=revenue + pipeline[employee.id],
            )
        )
    return tuple(rows)


def _total(rows: Sequence[PlanRow]) -> PlanRow:
    plans = [row.plan for row in rows if row.plan is not None]
    return PlanRow(
        employee_id=None,
        employee=TOTAL_NAME,
        revenue=sum((row.revenue for row in rows), ZERO),
        plan=sum(plans, ZERO) if plans else None,
        deals_won=sum(row.deals_won for row in rows),
        forecast_run_rate=sum((row.forecast_run_rate for row in rows), ZERO),
        forecast_pipeline=sum((row.forecast_pipeline for row in rows), ZERO),
    )


def daily_revenue(
    session: Session, user_ids: Sequence[int], period: Period
) -> tuple[DayRevenue, ...]:
    """Revenue of the given employees per close day, every day of the period listed."""
    first, last_exclusive = local_day_bounds(period)
    by_day: dict[date, Decimal] = {}
    if user_ids:
        query = (
            select(col(Deal.close_date), func.sum(col(Deal.amount)))
            .where(
                col(Deal.responsible_id).in_(list(user_ids)),
                deal_won(),
                col(Deal.close_date) >= first,
                col(Deal.close_date) < last_exclusive,
            )
            .group_by(col(Deal.close_date))
        )
        by_day = {day: amount or ZERO for day, amount in session.execute(query)}
    days, running = [], ZERO
    day = first
    while day < last_exclusive:
        revenue = by_day.get(day, ZERO)
        running += revenue
        days.append(DayRevenue(day, revenue, running))
        day += timedelta(days=1)
    return tuple(days)


def plan_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> PlanReport:
    before = previous(period, now=now)
    rows = _rows(session, scope, period, settings, now=now)
    previous_rows = _rows(session, scope, before, settings, now=now)
    meta = ReportMeta("plan", scope, period, before, data_as_of(session))
    as_of = period.to_date_end(now)
    if as_of.astimezone(UTC) > period.start.astimezone(UTC):
        # The end instant is exclusive: a period that is over stops on its last day.
        as_of -= timedelta(microseconds=1)
    return PlanReport(
        meta=meta,
        rows=rows,
        total=_total(rows),
        previous_total=_total(previous_rows),
        daily=daily_revenue(session, scope.employee_ids, period),
        as_of_day=as_of.astimezone(period.tz).date(),
    )


def _row_json(row: PlanRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "revenue": money_json(row.revenue),
        "plan": None if row.plan is None else money_json(row.plan),
        "deals_won": row.deals_won,
        "forecast_run_rate": money_json(row.forecast_run_rate),
        "forecast_pipeline": money_json(row.forecast_pipeline),
    }


def to_json(report: PlanReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [_row_json(row) for row in report.rows],
        "total": _row_json(report.total),
        "previous_total": _row_json(report.previous_total),
        "daily": [
            {"day": d.day.isoformat(), "revenue": money_json(d.revenue)} for d in report.daily
        ],
    }
