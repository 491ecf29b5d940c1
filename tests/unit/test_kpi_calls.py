"""Hand-computed calls figures on a tiny store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.calls import CallsReport, CallsRow, calls_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope, department_scope, employee_scope
from kpi.settings import KpiSettings
from tests.kpi_data import BERLIN, MSK, Data, at, call, call_week, make_settings, team

NOW = at(MSK, 2026, 3, 20, 12)
WEEK = "2026-03-02..2026-03-08"  # Monday to Sunday


def settings() -> KpiSettings:
    return make_settings(MSK, greeting_seconds={"L1": 10})


def run(engine: Engine, data: Data, scope_of: str = "company", period: str = WEEK) -> CallsReport:
    conf = settings()
    with Session(engine) as session:
        data.write(session)
        if scope_of == "company":
            scope = company_scope(session, conf)
        elif scope_of == "dept2":
            scope = department_scope(session, conf, 2)
        else:
            scope = employee_scope(session, conf, int(scope_of))
        return calls_report(session, scope, parse_period(period, now=NOW, tz=MSK), conf, now=NOW)


def figures(row: CallsRow) -> tuple[object, ...]:
    return (
        row.calls,
        row.incoming,
        row.outgoing,
        row.connected,
        row.successful,
        row.missed,
        row.missed_called_back,
        row.missed_lost,
        row.talk_seconds,
        row.avg_callback_seconds,
    )


def test_company_week_by_hand(store_engine: Engine) -> None:
    report = run(store_engine, call_week())
    rows = {row.employee_id: row for row in report.rows}
    assert [row.employee for row in report.rows] == [
        "Anna Orlova",
        "Boris Petrov",
        "Vera Sidorova",
        "Без сотрудника",
    ]
    #                     calls in out conn succ missed back lost talk avg
    assert figures(rows[10]) == (4, 2, 2, 1, 1, 2, 1, 1, 30, 1800)
    assert figures(rows[11]) == (4, 2, 1, 2, 1, 1, 0, 1, 145, None)
    assert figures(rows[12]) == (2, 1, 1, 1, 1, 1, 1, 1, 25, 7200)
    assert figures(rows[None]) == (1, 1, 0, 0, 0, 1, 1, 1, 0, 4200)
    assert figures(report.total) == (11, 6, 4, 4, 3, 5, 3, 4, 200, 4400)
    assert report.total.employee_id is None


def test_hours_and_days_are_local(store_engine: Engine) -> None:
    report = run(store_engine, call_week())
    expected_hours = dict.fromkeys(range(24), 0) | {0: 1, 10: 2, 11: 1, 12: 2, 13: 1, 15: 1}
    expected_hours |= {16: 1, 23: 2}
    assert report.by_hour == tuple(expected_hours[h] for h in range(24))
    assert [(d.day.day, d.calls, d.missed) for d in report.by_day] == [
        (2, 3, 1),
        (3, 2, 1),
        (4, 2, 1),
        (5, 0, 0),
        (6, 2, 1),
        (7, 0, 0),
        (8, 2, 1),
    ]


def test_previous_period_and_its_late_callback(store_engine: Engine) -> None:
    report = run(store_engine, call_week())
    assert report.meta.previous.start == at(MSK, 2026, 2, 23)
    # c13 (23:59:59 before the week) is called back by c2 next morning, 10 h 30 min 1 s later.
    assert figures(report.previous_total) == (1, 1, 0, 0, 0, 1, 1, 1, 0, 37801)


def test_department_scope_has_no_null_row(store_engine: Engine) -> None:
    report = run(store_engine, call_week(), "dept2")
    assert [row.employee_id for row in report.rows] == [11, 12]
    assert figures(report.total) == (6, 3, 2, 3, 2, 2, 1, 2, 170, 7200)
    assert sum(report.by_hour) == 6


def test_one_employee_scope(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, call_week(), "10")
    assert [row.employee_id for row in report.rows] == [10]
    assert figures(report.total) == (4, 2, 2, 1, 1, 2, 1, 1, 30, 1800)


def test_greeting_never_makes_talk_negative(sqlite_engine: Engine) -> None:
    d = Data()
    team(d)
    call(d, 10, 1, "79161234567", at(MSK, 2026, 3, 2, 9), duration=5, line="L1")
    conf = make_settings(MSK, greeting_seconds={"L1": 10}, success_seconds=0)
    with Session(sqlite_engine) as session:
        d.write(session)
        scope = employee_scope(session, conf, 10)
        report = calls_report(session, scope, parse_period(WEEK, now=NOW, tz=MSK), conf, now=NOW)
    # 5 s - 10 s is 0 s of talk, which meets a threshold of 0; talk time is the raw duration.
    assert (report.total.successful, report.total.talk_seconds) == (1, 5)


@pytest.mark.parametrize(
    ("moment", "hour", "day"),
    [
        (at(BERLIN, 2026, 3, 29, 1, 30), 1, 29),  # before the spring-forward gap (CET)
        (at(BERLIN, 2026, 3, 29, 3, 30), 3, 29),  # after it (CEST)
        (at(BERLIN, 2026, 3, 28, 23, 30), 23, 28),
        (at(BERLIN, 2026, 3, 30, 0, 15), 0, 30),  # 22:15 UTC the day before
        (at(BERLIN, 2026, 10, 25, 2, 30, fold=1), 2, 25),  # the second 02:30 (CET)
    ],
)
def test_local_hour_and_day_across_dst(
    store_engine: Engine, moment: datetime, hour: int, day: int
) -> None:
    d = Data()
    team(d)
    call(d, 10, 1, "79161234567", moment, duration=30)
    conf = make_settings(BERLIN)
    period = "2026-03-23..2026-03-31" if moment.month == 3 else "2026-10-19..2026-10-31"
    with Session(store_engine) as session:
        d.write(session)
        scope = company_scope(session, conf)
        report = calls_report(
            session, scope, parse_period(period, now=NOW, tz=BERLIN), conf, now=NOW
        )
    assert report.by_hour.index(1) == hour
    assert [x.day for x in report.by_day if x.calls] == [date(moment.year, moment.month, day)]


def test_json_has_the_design_names(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine, call_week()))))
    assert payload["report"] == "calls"
    assert set(payload) >= {"scope", "period", "previous", "data_as_of", "rows", "total"}
    names = {
        "employee_id",
        "employee",
        "calls",
        "incoming",
        "outgoing",
        "connected",
        "successful",
        "missed",
        "missed_called_back",
        "missed_lost",
        "talk_seconds",
        "avg_callback_seconds",
    }
    assert set(payload["total"]) == names
    assert payload["rows"][-1]["employee_id"] is None
    assert payload["total"]["calls"] == 11
    assert len(payload["by_hour"]) == 24
    assert payload["by_day"][0] == {"day": "2026-03-02", "calls": 3, "missed": 1}
