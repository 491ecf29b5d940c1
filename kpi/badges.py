"""Badge rules as figures: who earned which badge for which period (DESIGN.md item 18).

Each rule reads kpi's own functions (no second definition of a metric) and names the
period it is for, so a badge is earned once per person, rule and period:

- ``first_deal_month``: the team's first won deal of the month (``kpi.deals.won_by_employee``
  day by day from the 1st; close dates are days, so whoever won one on that first day);
  period ``YYYY-MM`` of the running month.
- ``calls_day``: at least ``calls_per_day`` calls in a day (``kpi.kpiplan.facts``), today
  or the last finished working day; period the day.
- ``best_week``: the last finished ISO week's points (``kpi.rating``) above every earlier
  week of the last ``weeks_back`` weeks (with points in at least four of them); period
  ``YYYY-Www``.
- ``plan_months``: the month plan of ``plan_metric`` met in each of the last ``months``
  finished months (``kpi.kpiplan``); period the last of them.
- ``fastest_callback``: the shortest average callback delay of the last finished week among
  employees with at least ``min_callbacks`` callbacks (``kpi.missed``); period the week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from kpi.deals import won_by_employee
from kpi.kpiplan import facts, plans
from kpi.missed import MissedCounts, callers, missed_counts
from kpi.periods import Period, range_period
from kpi.rating import employee_counts, points
from kpi.scope import Scope
from kpi.settings import KpiSettings
from kpi.streaks import last_finished_working_day


@dataclass(frozen=True)
class Earned:
    employee_id: int
    rule: str
    period: str
    value: Decimal  # the figure that earned it (deals, calls, points, months, seconds)
    first: date  # the days the badge is for
    last: date


@dataclass(frozen=True)
class BadgeRules:
    rules: tuple[str, ...]
    calls_per_day: int = 100
    plan_months: int = 3
    plan_metric: str = "revenue"
    weeks_back: int = 26
    min_callbacks: int = 3


def earned(
    session: Session, scope: Scope, settings: KpiSettings, rules: BadgeRules, *, now: datetime
) -> list[Earned]:
    found: list[Earned] = []
    today = now.astimezone(settings.tz).date()
    ids = scope.employee_ids
    if not ids:
        return found
    checks = {
        "first_deal_month": _first_deal,
        "calls_day": _calls_day,
        "best_week": _best_week,
        "plan_months": _plan_months,
        "fastest_callback": _fastest_callback,
    }
    for rule in rules.rules:
        check = checks.get(rule)
        if check is not None:
            found += check(session, scope, settings, rules, today=today, now=now)
    return found


def _period(first: date, last: date, settings: KpiSettings, now: datetime) -> Period:
    return range_period(first, last, now=now, tz=settings.tz)


def _first_deal(
    session: Session,
    scope: Scope,
    settings: KpiSettings,
    rules: BadgeRules,
    *,
    today: date,
    now: datetime,
) -> list[Earned]:
    first = today.replace(day=1)
    day = first
    while day <= today:
        # close dates are days: whoever won a deal on the month's first day with any wins
        won = won_by_employee(session, scope.employee_ids, _period(day, day, settings, now))
        winners = [
            Earned(uid, "first_deal_month", f"{first:%Y-%m}", Decimal(n), day, day)
            for uid, (n, _) in won.items()
            if n >= 1
        ]
        if winners:
            return winners
        day += timedelta(days=1)
    return []


def _calls_day(
    session: Session,
    scope: Scope,
    settings: KpiSettings,
    rules: BadgeRules,
    *,
    today: date,
    now: datetime,
) -> list[Earned]:
    days = [today]
    last = last_finished_working_day(today, settings)
    if last is not None:
        days.append(last)
    found = []
    for day in days:
        period = _period(day, day, settings, now)
        per_day = facts(session, scope.employee_ids, period, settings, ("calls",))
        found += [
            Earned(uid, "calls_day", day.isoformat(), f["calls"], day, day)
            for uid, f in per_day.items()
            if f["calls"] >= rules.calls_per_day
        ]
    return found


def _week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _best_week(
    session: Session,
    scope: Scope,
    settings: KpiSettings,
    rules: BadgeRules,
    *,
    today: date,
    now: datetime,
) -> list[Earned]:
    last_monday = today - timedelta(days=today.weekday() + 7)
    caller_ids = callers(session, settings)
    weeks: list[dict[int, Decimal]] = []
    for back in range(rules.weeks_back, -1, -1):
        monday = last_monday - timedelta(days=7 * back)
        period = _period(monday, monday + timedelta(days=6), settings, now)
        counts = employee_counts(session, scope.employee_ids, period, settings, caller_ids)
        weeks.append({uid: points(c, settings.weights) for uid, c in counts.items()})
    found = []
    for uid in scope.employee_ids:
        earlier = [w[uid] for w in weeks[:-1]]
        latest = weeks[-1][uid]
        if latest > 0 and sum(1 for p in earlier if p > 0) >= 4 and latest > max(earlier):
            found.append(
                Earned(
                    uid,
                    "best_week",
                    _week(last_monday),
                    latest,
                    last_monday,
                    last_monday + timedelta(days=6),
                )
            )
    return found


def _month_back(first: date, months: int) -> date:
    year, month0 = divmod(first.year * 12 + first.month - 1 - months, 12)
    return date(year, month0 + 1, 1)


def _plan_months(
    session: Session,
    scope: Scope,
    settings: KpiSettings,
    rules: BadgeRules,
    *,
    today: date,
    now: datetime,
) -> list[Earned]:
    this_month = today.replace(day=1)
    met: dict[int, int] = dict.fromkeys(scope.employee_ids, 0)
    for back in range(1, rules.plan_months + 1):
        first = _month_back(this_month, back)
        last = _month_back(this_month, back - 1) - timedelta(days=1)
        # a whole month as a range: its plan is the month plan (kpi.kpiplan.month_shares)
        period = _period(first, last, settings, now)
        fact = facts(session, scope.employee_ids, period, settings, (rules.plan_metric,))
        plan = plans(session, scope.employees, period, settings, now=now)
        for uid in scope.employee_ids:
            target = plan[uid].get(rules.plan_metric)
            if target is not None and target > 0 and fact[uid][rules.plan_metric] >= target:
                met[uid] += 1
    last_month = _month_back(this_month, 1)
    return [
        Earned(
            uid,
            "plan_months",
            f"{last_month:%Y-%m}",
            Decimal(n),
            _month_back(this_month, rules.plan_months),
            this_month - timedelta(days=1),
        )
        for uid, n in met.items()
        if n == rules.plan_months
    ]


def _fastest_callback(
    session: Session,
    scope: Scope,
    settings: KpiSettings,
    rules: BadgeRules,
    *,
    today: date,
    now: datetime,
) -> list[Earned]:
    monday = today - timedelta(days=today.weekday() + 7)
    period = _period(monday, monday + timedelta(days=6), settings, now)
    counts = missed_counts(
        session,
        scope.employee_ids,
        period,
        settings,
        include_null=False,
        caller_ids=callers(session, settings),
    )
    ranked = _fastest(counts, scope.employee_ids, rules.min_callbacks)
    if not ranked:
        return []
    uid, seconds = ranked
    return [
        Earned(
            uid,
            "fastest_callback",
            _week(monday),
            Decimal(seconds),
            monday,
            monday + timedelta(days=6),
        )
    ]


def _fastest(
    counts: dict[int | None, MissedCounts], ids: Sequence[int], least: int
) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for uid in ids:
        c = counts.get(uid)
        if c is None or c.called_back < least:
            continue
        avg = c.avg_callback_seconds
        if avg is not None and (best is None or avg < best[1]):
            best = (uid, avg)
    return best
