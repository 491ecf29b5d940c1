"""Streaks (DESIGN.md item 18): consecutive working days on which a day plan was met.

- Day plan of a metric: the employee's month target as the kpi report takes it (their own,
  else their department's nearest up the tree: ``kpi.plan.plan_targets``) x the day's
  working time / the month's working time (``settings.calendar``). A working day is met
  when the day's fact (``kpi.kpiplan.facts`` over that day, the kpi report's own facts)
  >= the day plan.
- Streak (``current``): the met working days in a row ending with the last finished
  working day (the last working day before today); today joins in front once it is met
  already. Days off neither break nor extend it.
- ``best``: the longest streak in the history window (``history_days`` back from today,
  from the first day the store has records), today included once met.
- ``previous_best``: the longest run before the current one (a new personal record when
  ``current`` exceeds it); ``broken``: the run that the last finished working day ended
  by not being met (0 when it was met or nothing ran before it).

Rows: each employee in scope x each metric of ``METRICS`` that has a month target for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session, col

from kpi.calendar import WorkCalendar
from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.kpiplan import facts
from kpi.periods import Period, day_start, range_period
from kpi.plan import plan_targets
from kpi.scope import Scope
from kpi.settings import METRICS, KpiSettings
from store.models import Activity, Call, Deal

HISTORY_DAYS = 400


@dataclass(frozen=True)
class StreakRow:
    employee_id: int | None
    employee: str
    metric: str
    current: int
    best: int
    previous_best: int
    broken: int
    today_met: bool
    current_start: date | None  # the first day of the current streak


@dataclass(frozen=True)
class StreaksReport:
    meta: ReportMeta
    rows: tuple[StreakRow, ...]  # longest current first
    total: StreakRow  # the longest current and best streaks of the scope
    last_day: date | None  # the last finished working day


def day_plan(month_target: Decimal, day: date, settings: KpiSettings) -> Decimal:
    """The month target x the day's working time / the month's working time."""
    today, whole = _day_share(day, settings.calendar, settings.tz)
    if not whole:
        return Decimal(0)
    return month_target * today / whole


@lru_cache(maxsize=4096)
def _day_share(day: date, calendar: WorkCalendar, tz: ZoneInfo) -> tuple[Decimal, Decimal]:
    """(the day's working seconds, its month's), cached: a report asks for each day often."""
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    whole = calendar.working_seconds(day_start(first, tz), day_start(after, tz))
    today = calendar.working_seconds(day_start(day, tz), day_start(day + timedelta(days=1), tz))
    return Decimal(str(today)), Decimal(str(whole))


def first_record_day(session: Session, settings: KpiSettings) -> date | None:
    """The earliest local day with a call, an activity or a deal: nothing is met before."""
    found = [
        session.execute(select(func.min(column))).scalar_one_or_none()
        for column in (col(Call.start_at), col(Activity.start_at), col(Deal.created_at))
    ]
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in found if m is not None]
    return min(moments).astimezone(settings.tz).date() if moments else None


def working_days(first: date, last: date, settings: KpiSettings) -> list[date]:
    days, day = [], first
    while day <= last:
        if settings.calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def last_finished_working_day(today: date, settings: KpiSettings) -> date | None:
    day = today - timedelta(days=1)
    for _ in range(60):  # a calendar with no working day at all must not loop forever
        if settings.calendar.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return None


def runs(met: Sequence[bool], today_met: bool) -> tuple[int, int, int, int]:
    """(current, best, previous_best, broken) over finished days in order, then today."""
    current = 0
    for flag in reversed(met):
        if not flag:
            break
        current += 1
    previous_best = best_run(met[: len(met) - current])
    broken = 0
    if met and not met[-1]:
        for flag in reversed(met[:-1]):
            if not flag:
                break
            broken += 1
    if today_met:
        current += 1
    best = max(previous_best, current)
    return current, best, previous_best, broken


def best_run(met: Sequence[bool]) -> int:
    best = run = 0
    for flag in met:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def streaks_report(
    session: Session,
    scope: Scope,
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
    history_days: int = HISTORY_DAYS,
) -> StreaksReport:
    """Streaks as of ``now`` (the period only names the report; streaks look back)."""
    today = now.astimezone(settings.tz).date()
    last = last_finished_working_day(today, settings)
    first = today - timedelta(days=history_days)
    since = first_record_day(session, settings)
    if since is not None:
        first = max(first, since)
    days = working_days(first, last, settings) if last is not None and since else []
    targets = {
        metric: plan_targets(session, settings.plans, scope.employees, "month", metric)
        for metric in METRICS
    }
    wanted = [m for m in METRICS if any(t is not None for t in targets[m].values())]
    ids = scope.employee_ids
    today_working = settings.calendar.is_working_day(today) and since is not None
    by_day = {}
    if wanted and ids:
        for day in [*days, *([today] if today_working else [])]:
            day_period = range_period(day, day, now=now, tz=settings.tz)
            by_day[day] = facts(session, ids, day_period, settings, wanted)
    rows = []
    for e in scope.employees:
        for metric in wanted:
            target = targets[metric][e.id]
            if target is None:
                continue
            met = [by_day[d][e.id][metric] >= day_plan(target, d, settings) for d in days]
            today_met = today_working and (
                by_day[today][e.id][metric] >= day_plan(target, today, settings)
            )
            current, best, previous_best, broken = runs(met, today_met)
            start = _start(days, current - int(today_met), today if today_met else None)
            rows.append(
                StreakRow(
                    e.id, e.name, metric, current, best, previous_best, broken, today_met, start
                )
            )
    rows.sort(
        key=lambda r: (
            -r.current,
            -r.best,
            r.employee,
            r.employee_id or 0,
            METRICS.index(r.metric),
        )
    )
    total = StreakRow(
        None,
        TOTAL_NAME,
        "",
        max((r.current for r in rows), default=0),
        max((r.best for r in rows), default=0),
        0,
        0,
        False,
        None,
    )
    meta = ReportMeta("streaks", scope, period, period, data_as_of(session))
    return StreaksReport(meta, tuple(rows), total, last)


def current_streaks(
    session: Session,
    scope: Scope,
    settings: KpiSettings,
    *,
    now: datetime,
    history_days: int = HISTORY_DAYS,
    most: int | None = None,
) -> dict[tuple[int, str], int]:
    """Only the running streaks, by (employee, metric): the days walked back from the last
    finished working day until every streak has met an unmet day (a fast path for /me and
    the rating caption; equal to ``streaks_report``'s ``current``). With ``most``, no
    further back than that many finished working days: a streak that long reads ``most``
    (+1 if today is met), so the caller can say "N+"."""
    today = now.astimezone(settings.tz).date()
    targets = {
        metric: plan_targets(session, settings.plans, scope.employees, "month", metric)
        for metric in METRICS
    }
    open_ = {
        (e.id, m): targets[m][e.id]
        for e in scope.employees
        for m in METRICS
        if targets[m][e.id] is not None
    }
    result = dict.fromkeys(open_, 0)
    if not open_:
        return result
    ids = sorted({uid for uid, _ in open_})
    since = first_record_day(session, settings)
    first = today - timedelta(days=history_days)
    if since is None:
        return result
    first = max(first, since)

    metrics = {metric for _, metric in open_}

    def day_facts(day: date) -> dict[int, dict[str, Decimal]]:
        period = range_period(day, day, now=now, tz=settings.tz)
        return facts(session, ids, period, settings, metrics)

    if settings.calendar.is_working_day(today):
        now_facts = day_facts(today)
        for (uid, metric), target in open_.items():
            if now_facts[uid][metric] >= day_plan(target, today, settings):  # type: ignore[arg-type]
                result[(uid, metric)] += 1
    running = dict(open_)
    day = last_finished_working_day(today, settings)
    walked = 0
    while running and day is not None and day >= first and (most is None or walked < most):
        walked += 1
        figures = day_facts(day)
        for key, target in list(running.items()):
            if figures[key[0]][key[1]] >= day_plan(target, day, settings):  # type: ignore[arg-type]
                result[key] += 1
            else:
                del running[key]
        day = last_finished_working_day(day, settings)
    return result


def _start(days: Sequence[date], finished: int, today: date | None) -> date | None:
    if finished > 0:
        return days[len(days) - finished]
    return today


def row_json(row: StreakRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "metric": row.metric,
        "current": row.current,
        "best": row.best,
        "today_met": row.today_met,
        "since": None if row.current_start is None else row.current_start.isoformat(),
    }


def to_json(report: StreaksReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "last_working_day": None if report.last_day is None else report.last_day.isoformat(),
        "rows": [row_json(row) for row in report.rows],
        "total": {"current": report.total.current, "best": report.total.best},
    }
