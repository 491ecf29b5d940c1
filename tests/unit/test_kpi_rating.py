"""Hand-computed leaderboard: weights, rounding, tie-breaks and rank changes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.periods import parse_period
from kpi.rating import RatingReport, RatingRow, rating_report, to_json
from kpi.scope import company_scope
from kpi.settings import DEFAULT_WEIGHTS, KpiSettings
from store.models import Activity, Call, Deal
from tests.kpi_data import MSK, Data, at, make_settings, team

NOW = at(MSK, 2026, 3, 20, 12)
WEEK = "2026-03-02..2026-03-08"


def scenario() -> Data:
    d = Data()
    team(d)
    mon = at(MSK, 2026, 3, 2, 11)

    def act(user: int, type_id: int, **kw: Any) -> None:
        d.add(Activity, responsible_id=user, type_id=type_id, start_at=mon, owner_type=4, **kw)

    def ok_call(user: int) -> None:
        d.add(Call, user_id=user, call_type=1, phone_raw="79161234567", start_at=mon, duration=60)

    # Anna: 2 successful calls, 1 lost missed call, 1 outgoing e-mail, 1 meeting, 1000 won.
    ok_call(10)
    ok_call(10)
    d.add(Call, user_id=10, call_type=2, phone_raw="79990000000", start_at=mon, failed_code="304")
    act(10, 4, direction=2)
    act(10, 4, direction=1)  # incoming: no points
    act(10, 1)
    act(10, 1, completed=False)  # not done: no points
    d.add(
        Deal,
        id=1,
        responsible_id=10,
        stage_semantics="S",
        amount=Decimal("1000.00"),
        close_date=date(2026, 3, 5),
    )
    # Boris: 3 meetings and 1 successful call (16.0); a deal won the week before.
    for _ in range(3):
        act(11, 6, provider_id="CRM_MEETING")
    ok_call(11)
    d.add(
        Deal,
        id=2,
        responsible_id=11,
        stage_semantics="S",
        amount=Decimal("500.00"),
        close_date=date(2026, 2, 25),
    )
    d.add(
        Deal,
        id=3,
        responsible_id=11,
        stage_semantics="F",
        amount=Decimal("9999.00"),
        close_date=date(2026, 3, 4),
    )
    # Vera: 16.5 like Anna, with more revenue.
    ok_call(12)
    act(12, 1)
    act(12, 4, direction=2)
    d.add(
        Deal,
        id=4,
        responsible_id=12,
        stage_semantics="S",
        amount=Decimal("2000.00"),
        close_date=date(2026, 3, 8),
    )
    # Gleb (not sales) scores a lot and is nowhere.
    for _ in range(5):
        act(13, 1)
    return d


def run(engine: Engine, data: Data, conf: KpiSettings | None = None) -> RatingReport:
    conf = conf or make_settings(MSK)
    with Session(engine) as session:
        data.write(session)
        scope = company_scope(session, conf)
        return rating_report(session, scope, parse_period(WEEK, now=NOW, tz=MSK), conf, now=NOW)


def line(row: RatingRow) -> tuple[object, ...]:
    return (
        row.employee_id,
        row.rank,
        row.points,
        row.successful_calls,
        row.emails,
        row.meetings,
        row.deals_won,
        row.revenue,
        row.missed_lost,
        row.previous_rank,
        row.rank_change,
    )


def test_week_by_hand(store_engine: Engine) -> None:
    report = run(store_engine, scenario())
    d = Decimal
    assert [line(row) for row in report.rows] == [
        # Vera and Anna tie at 16.5; Vera has more revenue. Last week only Boris scored.
        (12, 1, d("16.5"), 1, 1, 1, 1, d("2000.00"), 0, 3, 2),
        (10, 2, d("16.5"), 2, 1, 1, 1, d("1000.00"), 1, 2, 0),
        (11, 3, d("16.0"), 1, 0, 3, 0, d("0.00"), 0, 1, -2),
    ]
    total = report.total
    assert (total.rank, total.points, total.revenue, total.meetings) == (
        None,
        d("49.0"),
        d("3000.00"),
        5,
    )
    assert (report.previous_total.points, report.previous_total.deals_won) == (d("10.0"), 1)


def test_equal_everything_ranks_by_name(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    report = run(sqlite_engine, d)
    assert [(row.employee, row.rank, row.points) for row in report.rows] == [
        ("Anna Orlova", 1, Decimal("0.0")),
        ("Boris Petrov", 2, Decimal("0.0")),
        ("Vera Sidorova", 3, Decimal("0.0")),
    ]


def test_points_round_half_up_and_optional_kinds(sqlite_engine: Engine) -> None:
    weights = dict.fromkeys(DEFAULT_WEIGHTS, 0.0) | {
        "outgoing_email": 0.25,  # one e-mail: 0.25 -> 0.3 (half up, not to even)
        "talk_minute": 0.1,  # two 60 s calls: 0.2
        "connected_call": 0.05,  # two connected calls: 0.1
    }
    report = run(sqlite_engine, scenario(), make_settings(MSK, weights=weights))
    anna = next(row for row in report.rows if row.employee_id == 10)
    assert anna.points == Decimal("0.6")  # 0.25 + 0.2 + 0.1 = 0.55 -> 0.6


def test_new_deal_weight(sqlite_engine: Engine) -> None:
    data = scenario()
    data[Deal][0]["created_at"] = at(MSK, 2026, 3, 3, 9)
    weights = dict.fromkeys(DEFAULT_WEIGHTS, 0.0) | {"new_deal": 3.0}
    report = run(sqlite_engine, data, make_settings(MSK, weights=weights))
    assert [(row.employee_id, row.points) for row in report.rows][0] == (10, Decimal("3.0"))


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine, scenario()))))
    assert payload["report"] == "rating"
    first = payload["rows"][0]
    assert {
        "rank",
        "points",
        "successful_calls",
        "emails",
        "meetings",
        "deals_won",
        "revenue",
        "missed_lost",
    } <= set(first)
    assert (first["rank"], first["points"], first["revenue"]) == (1, 16.5, "2000.00")
