"""Badge rules on hand-built data, each with the case that earns it and the one that does not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.badges import BadgeRules, Earned, earned
from kpi.scope import company_scope
from kpi.settings import PlanBook
from store.models import Call, Deal
from tests.kpi_data import MSK, Data, at, call, make_settings, team

NOW = at(MSK, 2026, 3, 18, 15)  # a Wednesday; last week is 2026-03-09..15


def found(engine: Engine, data: Data, rule: str, **rules: object) -> list[Earned]:
    settings = make_settings(
        plans=PlanBook(departments={1: {"month": {"revenue": Decimal(1000)}}})
    )
    with Session(engine) as session:
        data.write(session)
        scope = company_scope(session, settings)
        return earned(session, scope, settings, BadgeRules(rules=(rule,), **rules), now=NOW)  # type: ignore[arg-type]


def deal(d: Data, ident: int, user: int, day: date, amount: str = "600.00") -> None:
    d.add(Deal, id=ident, responsible_id=user, stage_semantics="S", amount=Decimal(amount),
          close_date=day)  # fmt: skip


def test_the_first_won_deal_of_the_month_is_one_days_work(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    deal(d, 1, 11, date(2026, 3, 5))
    deal(d, 2, 10, date(2026, 3, 3))
    deal(d, 3, 12, date(2026, 2, 27))  # last month's
    got = found(sqlite_engine, d, "first_deal_month")
    assert [(e.employee_id, e.period, e.first) for e in got] == [(10, "2026-03", date(2026, 3, 3))]


def test_a_hundred_calls_in_a_day(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    for n in range(5):
        call(d, 11, 1, "79030000000", at(MSK, 2026, 3, 17, 10, n))  # yesterday: 5
        call(d, 12, 1, "79030000000", at(MSK, 2026, 3, 18, 10, n))  # today: 5
    for n in range(4):
        call(d, 10, 1, "79030000000", at(MSK, 2026, 3, 17, 11, n))  # yesterday: 4
    got = found(sqlite_engine, d, "calls_day", calls_per_day=5)
    assert sorted((e.employee_id, e.period) for e in got) == [
        (11, "2026-03-17"),
        (12, "2026-03-18"),
    ]


def test_plan_met_three_months_in_a_row(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    for n, month in enumerate((12, 1, 2)):
        year = 2025 if month == 12 else 2026
        deal(d, 10 + n, 10, date(year, month, 10), "1000.00")  # Anna: each month at plan
        if month != 1:
            deal(d, 20 + n, 11, date(year, month, 10), "1500.00")  # Boris skips January
    got = found(sqlite_engine, d, "plan_months", plan_months=3)
    assert [(e.employee_id, e.period) for e in got] == [(10, "2026-02")]


def test_the_fastest_callback_of_last_week(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    for n, (user, minutes) in enumerate(((10, 5), (11, 2), (12, 1))):
        phone = f"7916000000{n}"
        for k in range(3 if user != 12 else 2):  # Vera called back twice only: not enough
            day = 9 + k
            call(d, None, 2, phone, at(MSK, 2026, 3, day, 10), failed_code="304")
            call(d, user, 1, phone, at(MSK, 2026, 3, day, 10, minutes), duration=60)
    for row in d[Call]:
        if row["user_id"] is None:
            row["user_id"] = {"79160000000": 10, "79160000001": 11, "79160000002": 12}[
                row["phone"]
            ]
    got = found(sqlite_engine, d, "fastest_callback", min_callbacks=3)
    assert [(e.employee_id, e.period, e.value) for e in got] == [(11, "2026-W11", Decimal(120))]


def test_the_best_week_ever_by_points(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    n = 0
    for week, count in enumerate((2, 3, 2, 1, 6)):  # the last one, 9-15 March, is the best
        monday = date(2026, 2, 9).toordinal() + 7 * week
        for _ in range(count):
            n += 1
            day = date.fromordinal(monday)
            when = at(MSK, day.year, day.month, day.day, 10)
            d.add(Call, id=n, user_id=10, call_type=1, phone_raw="79030000000", duration=60,
                  failed_code="200", start_at=when)  # fmt: skip
    got = found(sqlite_engine, d, "best_week")
    assert [(e.employee_id, e.period, e.value) for e in got] == [(10, "2026-W11", Decimal(6))]
