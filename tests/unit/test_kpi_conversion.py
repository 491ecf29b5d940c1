"""Hand-computed lead conversion by source, by type and by employee."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.conversion import ConversionReport, LeadCounts, conversion_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope
from tests.kpi_data import MSK, at, make_settings
from tests.kpi_sales_data import SalesData, sales_team

NOW = at(MSK, 2026, 4, 10)
MARCH = "2026-03-01..2026-03-31"


def scenario() -> SalesData:
    d = sales_team()
    m = MSK
    # Lead 1: converted into two deals, one won and one lost.
    d.lead("CONVERTED", id=1, responsible_id=10, source_id="CALL", created_at=at(m, 2026, 3, 1))
    d.deal("WON", id=1, lead_id=1, responsible_id=10, close_date=date(2026, 3, 5))
    d.deal("LOSE", id=2, lead_id=1, responsible_id=10)
    # Lead 2: converted, its only deal lost.
    d.lead("CONVERTED", id=2, responsible_id=10, source_id="CALL", created_at=at(m, 2026, 3, 10))
    d.deal("LOSE", id=3, lead_id=2, responsible_id=10)
    d.lead("IN_PROCESS", id=3, responsible_id=10, source_id="WEB", is_return_customer=True,
           created_at=at(m, 2026, 3, 31, 23, 59, 59))  # fmt: skip
    # Lead 4: junk, yet a deal names it (an open one, of a non-employee): a deal all the same.
    d.lead("JUNK", id=4, responsible_id=11, source_id="WEB", created_at=at(m, 2026, 3, 15))
    d.deal("NEW", id=4, lead_id=4, responsible_id=13)
    d.lead("CONVERTED", id=5, responsible_id=11, is_return_customer=True,
           created_at=at(m, 2026, 3, 20))  # fmt: skip
    d.deal("C1:WON", id=5, lead_id=5, responsible_id=13, close_date=date(2025, 1, 1))
    d.lead("NEW", id=6, responsible_id=10, source_id="CALL",
           created_at=at(m, 2026, 2, 28, 23, 59, 59))  # fmt: skip
    d.lead("CONVERTED", id=7, responsible_id=10, source_id="CALL", created_at=at(m, 2026, 4, 1))
    d.lead("CONVERTED", id=8, responsible_id=13, source_id="CALL", created_at=at(m, 2026, 3, 5))
    d.lead("CONVERTED", id=9, responsible_id=14, source_id="CALL", created_at=at(m, 2026, 3, 5))
    d.lead("NEW", id=10, responsible_id=11, source_id="UNKNOWN", created_at=at(m, 2026, 3, 2))
    return d


def run(engine: Engine, data: SalesData) -> ConversionReport:
    conf = make_settings(MSK)
    with Session(engine) as session:
        data.write(session)
        scope = company_scope(session, conf)
        period = parse_period(MARCH, now=NOW, tz=MSK)
        return conversion_report(session, scope, period, conf, now=NOW)


def counts(row: LeadCounts) -> tuple[int, int, int, int, float | None]:
    return (row.leads, row.converted, row.to_deals, row.to_won, row.conversion)


def test_by_source_type_and_employee(store_engine: Engine) -> None:
    report = run(store_engine, scenario())
    assert [(r.source_id, r.source, *counts(r)) for r in report.by_source] == [
        ("CALL", "Звонок", 2, 2, 2, 1, 1.0),
        ("WEB", "Сайт", 2, 0, 1, 0, 0.0),
        ("UNKNOWN", "UNKNOWN", 1, 0, 0, 0, 0.0),
        (None, "Без источника", 1, 1, 1, 1, 1.0),
    ]
    assert [(r.type, *counts(r)) for r in report.by_type] == [
        ("new", 4, 2, 3, 1, 0.5),
        ("repeat", 2, 1, 1, 1, 0.5),
    ]
    assert [(r.employee_id, *counts(r)) for r in report.rows] == [
        (10, 3, 2, 2, 1, 2 / 3),
        (11, 3, 1, 2, 1, 1 / 3),
        (12, 0, 0, 0, 0, None),
    ]
    assert counts(report.total) == (6, 3, 4, 2, 0.5)
    assert counts(report.previous_total) == (1, 0, 0, 0, 0.0)


def test_no_leads_gives_null_conversion(store_engine: Engine) -> None:
    report = run(store_engine, sales_team())
    assert report.by_source == ()
    assert [counts(r) for r in report.by_type] == [(0, 0, 0, 0, None)] * 2
    assert counts(report.total) == (0, 0, 0, 0, None)
    assert all(r.conversion is None for r in report.rows)


def test_json_rows_by_each_grouping(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, scenario())
    payload = json.loads(json.dumps(to_json(report)))
    assert payload["report"] == "conversion"
    assert payload["rows"][0] == {
        "source_id": "CALL",
        "source": "Звонок",
        "leads": 2,
        "converted": 2,
        "to_deals": 2,
        "to_won": 1,
        "conversion": 1.0,
    }
    assert [r["type"] for r in payload["by_type"]] == ["new", "repeat"]
    by_employee = to_json(report, by="employee")
    assert [r["employee_id"] for r in by_employee["rows"]] == [10, 11, 12]
    assert by_employee["rows"][2]["conversion"] is None
    assert "by_source" in by_employee
    assert payload["total"]["leads"] == 6
