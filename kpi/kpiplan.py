"""The "kpi" report: plan against fact for each metric of ``kpi.settings.METRICS``.

Facts per employee in the period: ``calls``, ``successful_calls`` and ``talk_minutes``
(talk seconds / 60, to the hundredth) from telephony records (``kpi.calls``); ``meetings``
and ``emails`` (outgoing) from completed activities (``kpi.activities``); ``new_deals`` and
``revenue`` from ``kpi.deals``.

Plan: the target for the period's length (day, week, month, quarter, year) from
``settings.plans``: the employee's own, else the nearest department with one up the tree
from the employee's main department (``kpi.plan.plan_targets``), per metric. A custom
range takes each month's plan prorated by working days: the month plan x working days of
the range inside that month / working days of that month, summed over the months it
touches (a month with no working days adds nothing). The plan of a department or the
company is the sum of its members' plans (members with none add nothing); null when no
member has one.

``expected_by_now`` = plan x ``calendar.elapsed_fraction(period, now)``. Status: ``met``
when fact >= plan; else, while the period has not ended (now before its end), ``on_track``
when fact >= expected_by_now, else ``behind``; once it has ended, ``missed``. No plan: plan,
expected_by_now and status are null. Plans, expectations and facts are Decimal.
``previous_total`` is the same computation over the previous period (for a running period,
its to-date stretch, against the plan of the whole length).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from kpi.activities import counts_by_employee
from kpi.calls import CallCounts, call_counts
from kpi.common import ReportMeta, data_as_of
from kpi.deals import CENT, TOTAL_NAME, ZERO, meta_json, new_deals_by_employee, won_by_employee
from kpi.periods import Period, previous, range_period
from kpi.plan import PLAN_LENGTHS, plan_targets
from kpi.scope import Employee, Scope
from kpi.settings import METRICS, KpiSettings

MINUTE = Decimal(60)


@dataclass(frozen=True)
class Metric:
    plan: Decimal | None
    fact: Decimal
    expected_by_now: Decimal | None
    status: str | None  # met, on_track, behind, missed; None without a plan


@dataclass(frozen=True)
class KpiRow:
    employee_id: int | None
    employee: str
    metrics: Mapping[str, Metric]  # in the order of METRICS


@dataclass(frozen=True)
class KpiReport:
    meta: ReportMeta
    rows: tuple[KpiRow, ...]
    total: KpiRow
    previous_total: KpiRow


CALL_METRICS = frozenset({"calls", "successful_calls", "talk_minutes"})


def facts(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    metrics: Collection[str] = METRICS,
) -> dict[int, dict[str, Decimal]]:
    """Each employee's fact per metric; only ``metrics`` are computed and returned (streaks
    ask for one day at a time, so a query nobody needs is skipped)."""
    wanted = set(metrics)
    calls = call_counts(session, user_ids, period, settings) if wanted & CALL_METRICS else {}
    comms = (
        counts_by_employee(session, user_ids, period, settings)
        if wanted & {"meetings", "emails"}
        else {}
    )
    won = won_by_employee(session, user_ids, period) if "revenue" in wanted else {}
    new = new_deals_by_employee(session, user_ids, period) if "new_deals" in wanted else {}
    result: dict[int, dict[str, Decimal]] = {}
    for uid in user_ids:
        call = calls.get(uid, CallCounts())
        emails, meetings = comms.get(uid, (0, 0))
        every = {
            "calls": Decimal(call.calls),
            "successful_calls": Decimal(call.successful),
            "talk_minutes": (Decimal(call.talk_seconds) / MINUTE).quantize(CENT, ROUND_HALF_UP),
            "meetings": Decimal(meetings),
            "emails": Decimal(emails),
            "new_deals": Decimal(new.get(uid, 0)),
            "revenue": won.get(uid, (0, ZERO))[1],
        }
        result[uid] = {name: value for name, value in every.items() if name in wanted}
    return result


def month_shares(period: Period, settings: KpiSettings, *, now: datetime) -> Decimal:
    """How many months' plans a custom range is worth, by working days of each month."""
    tz = period.tz
    first = period.start.astimezone(tz).date()
    last = (period.end.astimezone(UTC) - timedelta(microseconds=1)).astimezone(tz).date()
    share = Decimal(0)
    month = first.replace(day=1)
    while month <= last:
        after = (month + timedelta(days=32)).replace(day=1)
        whole = settings.calendar.working_days(
            range_period(month, after - timedelta(days=1), now=now, tz=tz)
        )
        inside = settings.calendar.working_days(
            range_period(max(first, month), min(last, after - timedelta(days=1)), now=now, tz=tz)
        )
        if whole:
            share += Decimal(inside) / Decimal(whole)
        month = after
    return share


def plans(
    session: Session,
    employees: Sequence[Employee],
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
) -> dict[int, dict[str, Decimal | None]]:
    """Each employee's plan per metric for this period (None: no plan)."""
    if period.kind in PLAN_LENGTHS:
        length, factor = period.kind, Decimal(1)
    else:
        length, factor = "month", month_shares(period, settings, now=now)
    result: dict[int, dict[str, Decimal | None]] = {e.id: {} for e in employees}
    for metric in METRICS:
        targets = plan_targets(session, settings.plans, employees, length, metric)
        for uid, target in targets.items():
            result[uid][metric] = (
                None
                if target is None
                else (Decimal(target) * factor).quantize(CENT, ROUND_HALF_UP)
            )
    return result


def status(
    plan: Decimal | None, fact: Decimal, expected: Decimal | None, *, running: bool
) -> str | None:
    if plan is None:
        return None
    if fact >= plan:
        return "met"
    if running:
        return "on_track" if expected is not None and fact >= expected else "behind"
    return "missed"


def metric(
    plan: Decimal | None, fact: Decimal, period: Period, settings: KpiSettings, *, now: datetime
) -> Metric:
    expected = None
    if plan is not None:
        fraction = Decimal(settings.calendar.elapsed_fraction(period, now))
        expected = (plan * fraction).quantize(CENT, ROUND_HALF_UP)
    running = now.astimezone(UTC) < period.end.astimezone(UTC)
    return Metric(plan, fact, expected, status(plan, fact, expected, running=running))


def _sum_plans(values: Sequence[Decimal | None]) -> Decimal | None:
    given = [v for v in values if v is not None]
    return sum(given, Decimal(0)) if given else None


def _figures(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> tuple[tuple[KpiRow, ...], KpiRow]:
    ids = scope.employee_ids
    fact = facts(session, ids, period, settings)
    plan = plans(session, scope.employees, period, settings, now=now)
    rows = tuple(
        KpiRow(
            e.id,
            e.name,
            {m: metric(plan[e.id][m], fact[e.id][m], period, settings, now=now) for m in METRICS},
        )
        for e in scope.employees
    )
    total = KpiRow(
        None,
        TOTAL_NAME,
        {
            m: metric(
                _sum_plans([plan[uid][m] for uid in ids]),
                sum((fact[uid][m] for uid in ids), Decimal(0)),
                period,
                settings,
                now=now,
            )
            for m in METRICS
        },
    )
    return rows, total


def kpi_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> KpiReport:
    rows, total = _figures(session, scope, period, settings, now=now)
    prev = previous(period, now=now)
    _, previous_total = _figures(session, scope, prev, settings, now=now)
    return KpiReport(
        meta=ReportMeta("kpi", scope, period, prev, data_as_of(session)),
        rows=rows,
        total=total,
        previous_total=previous_total,
    )


def _number(name: str, value: Decimal | None) -> Any:
    if value is None:
        return None
    if name == "revenue":
        return str(value.quantize(CENT))
    return int(value) if value == value.to_integral_value() else float(value)


def row_json(row: KpiRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "metrics": {
            name: {
                "plan": _number(name, m.plan),
                "fact": _number(name, m.fact),
                "expected_by_now": _number(name, m.expected_by_now),
                "status": m.status,
            }
            for name, m in row.metrics.items()
        },
    }


def to_json(report: KpiReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
        "previous_total": row_json(report.previous_total),
    }
