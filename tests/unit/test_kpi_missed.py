"""Hand-computed missed-call figures: callbacks across number formats, windows and scopes."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.missed import MissedReport, MissedRow, missed_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope, department_scope
from kpi.settings import KpiSettings
from tests.kpi_data import MSK, Data, at, call, call_week, make_settings, team

NOW = at(MSK, 2026, 3, 20, 12)
WEEK = "2026-03-02..2026-03-08"


def run(
    engine: Engine, data: Data, conf: KpiSettings | None = None, dept: int | None = None
) -> MissedReport:
    conf = conf or make_settings(MSK)
    with Session(engine) as session:
        data.write(session)
        scope = (
            company_scope(session, conf) if dept is None else department_scope(session, conf, dept)
        )
        return missed_report(session, scope, parse_period(WEEK, now=NOW, tz=MSK), conf, now=NOW)


def figures(row: MissedRow) -> tuple[object, ...]:
    return row.missed, row.missed_called_back, row.missed_lost, row.avg_callback_seconds


def test_week_by_hand(store_engine: Engine) -> None:
    report = run(store_engine, call_week())
    rows = {row.employee_id: row for row in report.rows}
    assert figures(rows[10]) == (2, 1, 1, 1800)
    assert figures(rows[11]) == (1, 0, 1, None)
    assert figures(rows[12]) == (1, 1, 1, 7200)
    assert figures(rows[None]) == (1, 1, 1, 4200)  # called back after the period's end
    assert figures(report.total) == (5, 3, 4, 4400)
    # Open: c5 (only a non-employee and a failed call followed) and c14 (hidden number).
    assert [(c.phone, c.at, c.employee_id) for c in report.total.open] == [
        ("74951234567", at(MSK, 2026, 3, 4, 12), 10),
        ("", at(MSK, 2026, 3, 6, 15), 11),
    ]
    assert [c.phone for c in rows[10].open] == ["74951234567"]
    assert rows[12].open == ()
    assert figures(report.previous_total) == (1, 1, 1, 37801)


def test_a_wider_window_makes_late_callbacks_in_time(sqlite_engine: Engine) -> None:
    conf = make_settings(MSK, callback_window=timedelta(hours=3))
    report = run(sqlite_engine, call_week(), conf)
    assert figures(report.total) == (5, 3, 2, 4400)


def one_missed(*later: tuple[int | None, int, str, int, str]) -> Data:
    """Vera misses a call at 10:00 on Monday; ``later`` are (user, type, phone, minutes, code)."""
    d = Data()
    team(d)
    call(d, 12, 2, "+7 (916) 123-45-67", at(MSK, 2026, 3, 2, 10), failed_code="304")
    for user, kind, phone, minutes, code in later:
        when = at(MSK, 2026, 3, 2, 10) + timedelta(minutes=minutes)
        call(d, user, kind, phone, when, failed_code=code, duration=30)
    return d


def test_a_callback_exactly_at_the_window_is_in_time(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, one_missed((12, 1, "916 123 45 67", 60, "200")))
    assert figures(report.total) == (1, 1, 0, 3600)


def test_an_answered_incoming_call_is_a_callback(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, one_missed((11, 2, "89161234567", 5, "200")))
    assert figures(report.total) == (1, 1, 0, 300)


def test_only_the_first_callback_counts(sqlite_engine: Engine) -> None:
    data = one_missed((11, 1, "79161234567", 90, "200"), (10, 1, "79161234567", 70, "200"))
    assert figures(run(sqlite_engine, data).total) == (1, 1, 1, 4200)


def test_colleague_outside_the_scope_calls_back(store_engine: Engine) -> None:
    # Anna is in department 1, not in the department-2 scope: her callback still counts.
    report = run(store_engine, one_missed((10, 1, "89161234567", 10, "200")), dept=2)
    assert [row.employee_id for row in report.rows] == [11, 12]
    assert figures(report.total) == (1, 1, 0, 600)


def test_who_cannot_call_back(store_engine: Engine) -> None:
    data = one_missed(
        (13, 1, "79161234567", 1, "200"),  # Gleb: not in the sales departments
        (14, 1, "79161234567", 2, "200"),  # Dina: fired
        (None, 2, "79161234567", 3, "200"),  # nobody took it
        (12, 1, "79161234567", 4, "304"),  # not connected
        (12, 5, "79161234567", 5, "200"),  # a robot info-call
        (12, 1, "79161234568", 6, "200"),  # another number
    )
    report = run(store_engine, data)
    assert figures(report.total) == (1, 0, 1, None)
    assert len(report.total.open) == 1


def test_an_earlier_call_is_no_callback(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, one_missed((12, 1, "79161234567", -5, "200")))
    assert figures(report.total) == (1, 0, 1, None)


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine, call_week()))))
    assert payload["report"] == "missed"
    total = payload["total"]
    assert set(total) == {
        "employee_id",
        "employee",
        "missed",
        "missed_called_back",
        "missed_lost",
        "avg_callback_seconds",
        "open",
    }
    assert total["open"][0]["phone"] == "74951234567"
    assert total["open"][0]["at"] == "2026-03-04T12:00:00+03:00"
