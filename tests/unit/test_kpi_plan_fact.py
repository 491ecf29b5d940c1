"""Plan against fact: plan lookup, proration, expected-by-now and statuses at several nows."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.kpiplan import KpiReport, kpi_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KpiSettings, PlanBook
from store.models import Activity, Call, Deal
from tests.kpi_data import MSK, Data, at, make_settings, team

D = Decimal
WEEK_RANGE = "2026-03-02..2026-03-08"
PLANS = PlanBook(
    departments={
        1: {
            "week": {"calls": D(10), "meetings": D(2), "revenue": D("1000.00")},
            "month": {"calls": D(40)},
        },
        2: {"week": {"calls": D(5)}},
    },
    employees={12: {"week": {"calls": D(8)}}},
)


def settings() -> KpiSettings:
    return make_settings(MSK, plans=PLANS)


def scenario() -> Data:
    """Calls on Monday and Tuesday: Anna 6 (90 s each), Boris 2, Vera 8; one meeting, one deal."""
    d = Data()
    team(d)
    for user, count in ((10, 6), (11, 2), (12, 8)):
        for n in range(count):
            when = at(MSK, 2026, 3, 2 + n % 2, 10, n)
            d.add(Call, user_id=user, call_type=1, start_at=when, duration=90)
    d.add(Activity, responsible_id=10, type_id=1, start_at=at(MSK, 2026, 3, 3, 15))
    d.add(
        Deal,
        id=1,
        responsible_id=10,
        stage_semantics="S",
        amount=D("1200.00"),
        close_date=date(2026, 3, 3),
    )
    return d


def run(engine: Engine, period: str, now: datetime) -> KpiReport:
    conf = settings()
    with Session(engine) as session:
        scenario().write(session)
        scope = company_scope(session, conf)
        return kpi_report(session, scope, parse_period(period, now=now, tz=MSK), conf, now=now)


def metric(report: KpiReport, employee_id: int | None, name: str) -> tuple[object, ...]:
    row = (
        report.total
        if employee_id is None
        else next(r for r in report.rows if r.employee_id == employee_id)
    )
    m = row.metrics[name]
    return m.plan, m.fact, m.expected_by_now, m.status


def test_running_week_at_half_time(store_engine: Engine) -> None:
    # Wednesday 13:30: 22.5 of the week's 45 working hours have passed.
    report = run(store_engine, "week", at(MSK, 2026, 3, 4, 13, 30))
    assert metric(report, 10, "calls") == (D(10), D(6), D("5.00"), "on_track")
    assert metric(report, 11, "calls") == (D(5), D(2), D("2.50"), "behind")
    assert metric(report, 12, "calls") == (D(8), D(8), D("4.00"), "met")  # own plan
    # Meetings: Boris's and Vera's department 2 has no meeting plan: department 1's applies.
    assert metric(report, 11, "meetings") == (D(2), D(0), D("1.00"), "behind")
    assert metric(report, 10, "revenue") == (D("1000.00"), D("1200.00"), D("500.00"), "met")
    assert metric(report, 10, "talk_minutes") == (None, D("9.00"), None, None)
    assert metric(report, None, "calls") == (D(23), D(16), D("11.50"), "on_track")
    assert metric(report, None, "meetings") == (D(6), D(1), D("3.00"), "behind")
    assert metric(report, None, "emails") == (None, D(0), None, None)
    assert list(report.rows[0].metrics) == [
        "calls",
        "successful_calls",
        "talk_minutes",
        "meetings",
        "emails",
        "new_deals",
        "revenue",
    ]


@pytest.mark.parametrize(
    ("period", "now", "anna", "boris"),
    [
        # Monday before opening: nothing expected yet, so any fact is on track.
        ("week", at(MSK, 2026, 3, 2, 8), ("0.00", "on_track"), ("0.00", "on_track")),
        # Friday after closing: all working time is spent but the week runs until Sunday.
        ("week", at(MSK, 2026, 3, 6, 18), ("10.00", "behind"), ("5.00", "behind")),
        # Over: short of the plan is missed.
        ("last_week", at(MSK, 2026, 3, 9, 10), ("10.00", "missed"), ("5.00", "missed")),
        # A period that has not started yet: nothing expected.
        (WEEK_RANGE, at(MSK, 2026, 3, 1, 12), ("0.00", "on_track"), ("0.00", "on_track")),
    ],
)
def test_statuses_at_several_nows(
    sqlite_engine: Engine,
    period: str,
    now: datetime,
    anna: tuple[str, str],
    boris: tuple[str, str],
) -> None:
    report = run(sqlite_engine, period, now)
    got = [metric(report, uid, "calls")[2:] for uid in (10, 11)]
    assert got == [(D(anna[0]), anna[1]), (D(boris[0]), boris[1])]


def test_a_week_named_as_a_range_is_prorated_from_the_month(sqlite_engine: Engine) -> None:
    # March 2026 has 22 working days, the range 5: 40 x 5 / 22 = 9.09.
    report = run(sqlite_engine, WEEK_RANGE, at(MSK, 2026, 3, 20))
    assert metric(report, 10, "calls")[:2] == (D("9.09"), D(6))
    assert metric(report, 12, "calls")[0] == D("9.09")  # Vera's own plan is weekly only
    assert metric(report, 10, "meetings")[0] is None  # no monthly meeting plan


def test_a_range_across_months_adds_each_months_share(sqlite_engine: Engine) -> None:
    # 2 of March's 22 working days and 3 of April's 22: 40 x (2 + 3) / 22.
    report = run(sqlite_engine, "2026-03-30..2026-04-03", at(MSK, 2026, 4, 20))
    assert metric(report, 10, "calls")[0] == D("9.09")


def test_named_week_after_it_ended(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, "last_week", at(MSK, 2026, 3, 9, 10))
    assert metric(report, 12, "calls") == (D(8), D(8), D("8.00"), "met")
    assert metric(report, 11, "calls") == (D(5), D(2), D("5.00"), "missed")
    assert report.meta.period.start == at(MSK, 2026, 3, 2)
    assert report.meta.previous.end == at(MSK, 2026, 3, 2)
    assert report.previous_total.metrics["calls"].fact == D(0)  # nothing the week before


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(
        json.dumps(to_json(run(sqlite_engine, "week", at(MSK, 2026, 3, 4, 13, 30))))
    )
    assert payload["report"] == "kpi"
    calls = payload["rows"][0]["metrics"]["calls"]
    assert calls == {"plan": 10, "fact": 6, "expected_by_now": 5, "status": "on_track"}
    revenue = payload["rows"][0]["metrics"]["revenue"]
    assert revenue == {
        "plan": "1000.00",
        "fact": "1200.00",
        "expected_by_now": "500.00",
        "status": "met",
    }
    assert payload["total"]["metrics"]["emails"]["plan"] is None
