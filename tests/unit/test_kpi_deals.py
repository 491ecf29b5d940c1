"""Hand-computed deal figures: won and new deals per employee, and the "plan" report.

The calendar: Monday to Friday 9:00-18:00 (MSK), 2026-03-09 (Monday) a holiday, so March
2026 has 21 working days.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.deals import new_deals_by_employee, won_by_employee
from kpi.periods import parse_period
from kpi.plan import PlanReport, plan_report, to_json
from kpi.scope import company_scope, employee_scope
from kpi.settings import KpiSettings, PlanBook
from store.models import Deal
from tests.kpi_data import MSK, at, calendar, make_settings
from tests.kpi_sales_data import SalesData, sales_team

D = Decimal
MARCH = "2026-03-01..2026-03-31"


def settings() -> KpiSettings:
    cal = replace(calendar(MSK), holidays=frozenset({date(2026, 3, 9)}))
    plans = PlanBook(
        departments={1: {"month": {"revenue": D(50000)}}},
        employees={12: {"month": {"revenue": D(10000)}}},
    )
    return make_settings(
        MSK, calendar=cal, plans=plans, stage_probability={"NEW": 0.2, "C1:NEW": 0.5}
    )


def scenario() -> SalesData:
    d = sales_team()
    m = MSK
    # Won: Anna 1000 on the first day and 2000.50 on the last; Feb 28 and Apr 1 are outside.
    d.deal("WON", id=1, responsible_id=10, amount=D(1000), close_date=date(2026, 3, 1),
           created_at=at(m, 2026, 2, 28, 23, 59, 59))  # fmt: skip
    d.deal("WON", id=2, responsible_id=10, amount=D("2000.50"), close_date=date(2026, 3, 31),
           created_at=at(m, 2026, 3, 1))  # fmt: skip
    d.deal("WON", id=3, responsible_id=10, amount=D(400), close_date=date(2026, 2, 28))
    d.deal("WON", id=4, responsible_id=10, amount=D(800), close_date=date(2026, 4, 1))
    # Boris: won in the second pipeline, a dollar deal (amount kept in roubles), a lost one,
    # and a won one with no amount.
    d.deal("C1:WON", id=5, responsible_id=11, amount=D(500), close_date=date(2026, 3, 15),
           created_at=at(m, 2026, 3, 31, 23, 59, 59))  # fmt: skip
    d.deal("WON", id=6, responsible_id=11, amount=D(9150), currency="USD",
           close_date=date(2026, 3, 10), created_at=at(m, 2026, 4, 1))  # fmt: skip
    d.deal("LOSE", id=7, responsible_id=11, amount=D(700), close_date=date(2026, 3, 12))
    d.deal("WON", id=8, responsible_id=13, amount=D(5000), close_date=date(2026, 3, 5))  # Gleb
    d.deal("WON", id=10, responsible_id=10, amount=D(300), close_date=None)
    d.deal("WON", id=11, responsible_id=11, amount=None, close_date=date(2026, 3, 20))
    d.deal("WON", id=12, responsible_id=10, amount=D(100), close_date=date(2026, 2, 16))
    # Open deals for the pipeline forecast.
    d.deal("NEW", id=21, responsible_id=10, amount=D(10000), probability=50,
           close_date=date(2026, 3, 25))  # fmt: skip  # configured 0.2 -> 2000
    d.deal("PREPARATION", id=22, responsible_id=10, amount=D(4000), probability=25,
           close_date=date(2026, 3, 31))  # fmt: skip  # own 25% -> 1000
    d.deal("PREPARATION", id=23, responsible_id=10, amount=D(3000), probability=100,
           close_date=date(2026, 3, 10))  # fmt: skip  # -> 3000 while the 10th is ahead
    d.deal("C1:NEW", id=24, responsible_id=11, amount=D(8000), close_date=date(2026, 4, 2))
    d.deal("C1:NEW", id=25, responsible_id=11, amount=D(6000), close_date=date(2026, 3, 20))
    d.add(Deal, id=26, responsible_id=11, stage_id="APOLOGY", stage_semantics="P",
          amount=D(5000), probability=90, close_date=date(2026, 3, 25))  # fmt: skip
    d.deal("PREPARATION", id=27, responsible_id=12, amount=D(1000), close_date=date(2026, 3, 30))
    return d


def run(engine: Engine, period: str, now: datetime, conf: KpiSettings | None = None) -> PlanReport:
    conf = conf or settings()
    with Session(engine) as session:
        scenario().write(session)
        scope = company_scope(session, conf)
        return plan_report(session, scope, parse_period(period, now=now, tz=MSK), conf, now=now)


def figures(report: PlanReport) -> dict[int | None, tuple[Decimal, int, Decimal, Decimal]]:
    rows = (*report.rows, report.total)
    return {
        r.employee_id: (r.revenue, r.deals_won, r.forecast_run_rate, r.forecast_pipeline)
        for r in rows
    }


def test_won_and_new_by_employee(store_engine: Engine) -> None:
    now = at(MSK, 2026, 4, 10)
    with Session(store_engine) as session:
        scenario().write(session)
        period = parse_period(MARCH, now=now, tz=MSK)
        won = won_by_employee(session, [10, 11, 12], period)
        new = new_deals_by_employee(session, [10, 11, 12], period)
        assert won_by_employee(session, [], period) == {}
        running = won_by_employee(
            session, [10], parse_period("month", now=at(MSK, 2026, 3, 31, 12), tz=MSK)
        )
    assert won == {10: (2, D("3000.50")), 11: (3, D("9650.00")), 12: (0, D("0.00"))}
    assert new == {10: 1, 11: 1, 12: 0}
    # a running month still counts a deal won with today's (the last) close day
    assert running == {10: (2, D("3000.50"))}


def test_running_month_after_the_holiday_week(store_engine: Engine) -> None:
    # Monday 16th, 13:30: 9 whole working days (the 9th is off) + 4.5 h of 9 = 9.5 of 21.
    report = run(store_engine, "month", at(MSK, 2026, 3, 16, 13, 30))
    assert figures(report) == {
        10: (D("3000.50"), 2, D("6632.68"), D("6000.50")),  # deal 23 (10th) has passed
        11: (D("9650.00"), 3, D("21331.58"), D("12650.00")),  # 6000 x 0.5; 24, 26 out
        12: (D("0.00"), 0, D("0.00"), D("0.00")),  # no probability anywhere: 0
        None: (D("12650.50"), 5, D("27964.26"), D("18650.50")),
    }
    assert [r.plan for r in report.rows] == [D(50000), D(50000), D(10000)]
    assert report.total.plan == D(110000)
    # previous: February 1 to the 16th 13:30 holds deal 12 only
    prev = report.previous_total
    assert (prev.revenue, prev.deals_won, prev.forecast_run_rate) == (D("100.00"), 1, D("100.00"))
    assert report.as_of_day == date(2026, 3, 16)
    daily = {d.day: (d.revenue, d.cumulative) for d in report.daily}
    assert len(daily) == 31
    assert daily[date(2026, 3, 1)] == (D(1000), D(1000))
    assert daily[date(2026, 3, 10)] == (D(9150), D(10150))
    assert daily[date(2026, 3, 30)] == (D(0), D(10650))
    assert daily[date(2026, 3, 31)] == (D("2000.50"), D("12650.50"))


def test_forecast_on_a_holiday_counts_whole_days_only(store_engine: Engine) -> None:
    # Monday 9th is a holiday: 5 working days elapsed; deal 23 (10th) is still ahead.
    report = run(store_engine, "month", at(MSK, 2026, 3, 9, 12))
    anna = report.rows[0]
    assert (anna.forecast_run_rate, anna.forecast_pipeline) == (D("12602.10"), D("9000.50"))


def test_forecast_before_any_working_time_is_the_revenue(store_engine: Engine) -> None:
    report = run(store_engine, "month", at(MSK, 2026, 3, 1, 10))  # Sunday the 1st
    anna = report.rows[0]
    assert (anna.revenue, anna.forecast_run_rate) == (D("3000.50"), D("3000.50"))
    assert anna.forecast_pipeline == D("3000.50") + 2000 + 1000 + 3000


def test_closed_period_forecasts_equal_revenue(store_engine: Engine) -> None:
    report = run(store_engine, "last_month", at(MSK, 2026, 4, 5))
    for row in (*report.rows, report.total):
        assert row.forecast_run_rate == row.forecast_pipeline == row.revenue
    assert report.total.revenue == D("12650.50")
    assert report.as_of_day == date(2026, 3, 31)


def test_plans_by_length_and_prorated_range(sqlite_engine: Engine) -> None:
    now = at(MSK, 2026, 4, 5)
    week = run(sqlite_engine, "last_week", now)  # no weekly plans anywhere
    assert [r.plan for r in week.rows] == [None, None, None]
    assert week.total.plan is None
    with Session(sqlite_engine) as session:
        conf = settings()
        days = parse_period("2026-03-02..2026-03-08", now=now, tz=MSK)  # 5 of 21 days
        five = plan_report(session, company_scope(session, conf), days, conf, now=now)
        first_half = parse_period("2026-03-01..2026-03-15", now=now, tz=MSK)
        report = plan_report(session, company_scope(session, conf), first_half, conf, now=now)
        vera = employee_scope(session, conf, 12)
        alone = plan_report(session, vera, first_half, conf, now=now)
    assert [r.plan for r in five.rows] == [D("11904.76"), D("11904.76"), D("2380.95")]
    # 9 of March's 21 working days
    assert [r.plan for r in report.rows] == [D("21428.57"), D("21428.57"), D("4285.71")]
    assert [r.employee_id for r in alone.rows] == [12]
    assert alone.total.plan == D("4285.71")


def test_json_shape(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine, "month", at(MSK, 2026, 3, 16)))))
    assert payload["report"] == "plan"
    row = payload["rows"][0]
    assert set(row) >= {"employee_id", "employee", "revenue", "plan", "deals_won",
                        "forecast_run_rate", "forecast_pipeline"}  # fmt: skip
    assert row["revenue"] == "3000.50"
    assert payload["total"]["plan"] == "110000.00"
    assert payload["period"]["start"].startswith("2026-03-01T00:00:00+03:00")


@pytest.mark.parametrize("hour", [0, 9, 18, 23])
def test_run_rate_never_below_revenue_inside_the_month(sqlite_engine: Engine, hour: int) -> None:
    report = run(sqlite_engine, "month", at(MSK, 2026, 3, 20, hour))
    for row in report.rows:
        assert row.forecast_run_rate >= row.revenue
