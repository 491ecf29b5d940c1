"""Streaks on the emulator's data against a reference that reads the rows itself.

The reference knows DESIGN.md item 18 and nothing of kpi: working days are weekdays minus
the holidays, a day plan is the month target / the month's working days (the hours are
the same each working day), facts are counted from the calls and deals tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KpiSettings
from kpi.streaks import current_streaks, runs, streaks_report
from store.models import Activity, Call, Deal
from tests.game_data import HOLIDAY, with_plans

World = tuple[object, KpiSettings, datetime, int]


@pytest.fixture
def world(emulator_world: tuple[object, ...]) -> World:
    return emulator_world  # type: ignore[return-value]


def working(day: date) -> bool:
    return day.weekday() < 5 and day != HOLIDAY


def month_days(day: date) -> int:
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return sum(1 for n in range((after - first).days) if working(first + timedelta(days=n)))


def reference_facts(
    session: Session, settings: KpiSettings
) -> dict[tuple[int, date, str], Fraction]:
    facts: dict[tuple[int, date, str], Fraction] = defaultdict(Fraction)
    for user, start, code, kind, duration in session.execute(
        select(
            col(Call.user_id),
            col(Call.start_at),
            col(Call.failed_code),
            col(Call.call_type),
            col(Call.duration),
        )
    ):
        if user is None:
            continue
        day = start.astimezone(settings.tz).date()
        facts[(user, day, "calls")] += 1
        if code == "200" and kind in (1, 2, 3, 4) and duration >= settings.success_seconds:
            facts[(user, day, "successful_calls")] += 1
    for user, semantics, amount, closed in session.execute(
        select(
            col(Deal.responsible_id),
            col(Deal.stage_semantics),
            col(Deal.amount),
            col(Deal.close_date),
        )
    ):
        if semantics == "S" and closed is not None and amount is not None and user is not None:
            facts[(user, closed, "revenue")] += Fraction(amount)
    return facts


def first_day(session: Session, settings: KpiSettings) -> date:
    moments = [
        m
        for column in (Call.start_at, Activity.start_at, Deal.created_at)
        for (m,) in session.execute(
            select(col(column)).order_by(col(column)).where(col(column).is_not(None)).limit(1)
        )
    ]
    return min(moments).astimezone(settings.tz).date()


def reference(
    session: Session,
    settings: KpiSettings,
    now: datetime,
    targets: dict[tuple[int, str], Fraction],
) -> dict[tuple[int, str], tuple[int, int]]:
    facts = reference_facts(session, settings)
    today = now.astimezone(settings.tz).date()
    start = max(first_day(session, settings), today - timedelta(days=400))
    days = [
        start + timedelta(days=n)
        for n in range((today - start).days)
        if working(start + timedelta(days=n))
    ]
    result = {}
    for (uid, metric), target in targets.items():
        met = [facts[(uid, d, metric)] * month_days(d) >= target for d in days]
        today_met = working(today) and facts[(uid, today, metric)] * month_days(today) >= target
        current = 0
        for flag in reversed(met):
            if not flag:
                break
            current += 1
        current += int(today_met)
        best = run = 0
        for flag in [*met, today_met]:
            run = run + 1 if flag else 0
            best = max(best, run)
        result[(uid, metric)] = (current, best)
    return result


@pytest.mark.parametrize(
    "moment",
    [
        (2026, 11, 19, 12, 0),  # Thursday noon, the data's end
        (2026, 11, 16, 10, 0),  # Monday morning: the weekend behind, Friday the last day
        (2026, 11, 12, 9, 30),  # the day after the holiday: Tuesday is the last finished day
        (2026, 11, 1, 12, 0),  # a Sunday, the first of a month
    ],
)
def test_streaks_match_a_reference_read_from_the_rows(
    world: World, moment: tuple[int, ...]
) -> None:
    engine, base, _, department = world
    with Session(engine) as session:  # type: ignore[arg-type]
        scope = company_scope(session, base)
        joined_late = max(scope.employees, key=lambda e: e.id)  # anyone: gets own revenue plan
        settings = with_plans(base, department, joined_late.id)
        now = datetime.combine(date(*moment[:3]), time(*moment[3:]), tzinfo=settings.tz)
        report = streaks_report(
            session, scope, parse_period("month", now=now, tz=settings.tz), settings, now=now
        )
        targets: dict[tuple[int, str], Fraction] = {}
        for e in scope.employees:
            own = e.id == joined_late.id
            targets[(e.id, "calls")] = Fraction(40 if own else 25)
            targets[(e.id, "successful_calls")] = Fraction(18)
            if own:
                targets[(e.id, "revenue")] = Fraction(300000)
        expected = reference(session, settings, now, targets)
        fast = current_streaks(session, scope, settings, now=now)
        capped = current_streaks(session, scope, settings, now=now, most=5)
    got = {(r.employee_id, r.metric): (r.current, r.best) for r in report.rows}
    assert got == expected
    assert fast == {key: current for key, (current, _) in expected.items()}
    for row in report.rows:
        finished = row.current - int(row.today_met)
        assert capped[(row.employee_id, row.metric)] == min(finished, 5) + int(row.today_met)
    assert any(current > 0 for current, _ in got.values())
    assert any(best >= 5 for _, best in got.values())


def test_the_data_has_someone_who_joined_mid_month(world: World) -> None:
    """The reference comparison above covers a newcomer: their days before joining are
    unmet working days, so their streaks start mid-month."""
    engine, settings, _, _ = world
    with Session(engine) as session:  # type: ignore[arg-type]
        firsts = {
            user: start.astimezone(settings.tz).date()
            for user, start in session.execute(
                select(col(Call.user_id), func.min(col(Call.start_at))).group_by(col(Call.user_id))
            )
            if user is not None
        }
        employees = {e.id for e in company_scope(session, settings).employees}
    earliest = min(firsts.values())
    late = [d for uid, d in firsts.items() if uid in employees and (d - earliest).days > 60]
    assert late and any(d.day > 1 for d in late)


def test_a_holiday_inside_a_streak_neither_breaks_nor_extends_it(world: World) -> None:
    engine, base, _, department = world
    with Session(engine) as session:  # type: ignore[arg-type]
        scope = company_scope(session, base)
        settings = with_plans(base, department, scope.employees[0].id)
        now = datetime.combine(date(2026, 11, 13), time(8), tzinfo=settings.tz)
        with_holiday = streaks_report(
            session, scope, parse_period("today", now=now, tz=settings.tz), settings, now=now
        )
    by_key = {(r.employee_id, r.metric): r for r in with_holiday.rows}
    # Someone met Tuesday 10th and Thursday 12th around the holiday on Wednesday 11th:
    spanning = [
        r for r in by_key.values() if r.current_start is not None and r.current_start <= HOLIDAY
    ]
    assert spanning, "the data should hold a streak across the holiday"
    for row in spanning:
        days = [d for d in (date(2026, 11, 12), date(2026, 11, 10)) if d >= row.current_start]
        assert row.current >= len(days)


def test_runs_count_today_only_once_met() -> None:
    assert runs([True, False, True, True], today_met=False) == (2, 2, 1, 0)
    assert runs([True, True, True, False], today_met=True) == (1, 3, 3, 3)
    assert runs([], today_met=False) == (0, 0, 0, 0)
