"""Hand-computed deal funnel: open deals now plus deals won or lost in the period."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.funnel import FunnelReport, funnel_report, to_json
from kpi.periods import parse_period
from kpi.scope import Scope, company_scope, employee_scope
from store.models import Deal
from tests.kpi_data import MSK, at, make_settings
from tests.kpi_sales_data import SalesData, sales_team

D = Decimal
NOW = at(MSK, 2026, 3, 20)


def scenario() -> SalesData:
    d = sales_team()
    d.deal("NEW", id=1, responsible_id=10, amount=D(100), close_date=date(2025, 12, 1))
    d.deal("PREPARATION", id=2, responsible_id=10, amount=D(200))
    d.deal("WON", id=3, responsible_id=11, amount=D(1000), close_date=date(2026, 3, 31))
    d.deal("WON", id=4, responsible_id=11, amount=D(400), close_date=date(2026, 2, 28))
    d.deal("LOSE", id=5, responsible_id=12, amount=D(50), close_date=date(2026, 3, 1))
    d.deal("APOLOGY", id=6, responsible_id=12, amount=D(70), close_date=date(2026, 3, 5))
    # an apology stage the portal left marked in progress: lost on Feb 1, not open
    d.add(Deal, id=7, responsible_id=12, stage_id="APOLOGY", stage_semantics="P",
          amount=D(30), close_date=date(2026, 2, 1))  # fmt: skip
    d.deal("C1:NEW", id=8, responsible_id=11, amount=D(300), close_date=date(2026, 5, 1))
    d.add(Deal, id=9, pipeline_id=1, responsible_id=11, stage_id="C1:ODD", amount=D(10))
    d.deal("NEW", id=10, responsible_id=13, amount=D(5000))  # Gleb: not an employee
    d.deal("NEW", id=11, responsible_id=10, amount=None)
    return d


def run(
    engine: Engine, *, pipeline_id: int | None = None, employee: int | None = None
) -> FunnelReport:
    conf = make_settings(MSK)
    with Session(engine) as session:
        scenario().write(session)
        scope: Scope = (
            company_scope(session, conf)
            if employee is None
            else employee_scope(session, conf, employee)
        )
        period = parse_period("month", now=NOW, tz=MSK)
        return funnel_report(session, scope, period, conf, now=NOW, pipeline_id=pipeline_id)


def table(report: FunnelReport) -> list[tuple[int, str, str, str, int, Decimal]]:
    return [
        (r.pipeline_id, r.stage_id, r.stage, r.semantics, r.deals, r.amount) for r in report.rows
    ]


def test_all_pipelines_in_dictionary_order(store_engine: Engine) -> None:
    report = run(store_engine)
    assert [(p.pipeline_id, p.pipeline) for p in report.pipelines] == [(0, "Общая"), (1, "Опт")]
    assert table(report) == [
        (0, "NEW", "Новая", "process", 2, D(100)),
        (0, "PREPARATION", "Подготовка", "process", 1, D(200)),
        (0, "WON", "Успешна", "success", 1, D(1000)),
        (0, "LOSE", "Проиграна", "failure", 1, D(50)),
        (0, "APOLOGY", "Анализ причины", "apology", 1, D(70)),
        (1, "C1:NEW", "Заявка", "process", 1, D(300)),
        (1, "C1:WON", "Отгружено", "success", 0, D(0)),
        (1, "C1:LOSE", "Отказ", "failure", 0, D(0)),
        (1, "C1:ODD", "C1:ODD", "process", 1, D(10)),  # not in the dictionary: last
    ]
    assert [(p.deals, p.amount) for p in report.pipelines] == [(6, D(1420)), (2, D(310))]
    total = report.total
    assert (total.deals, total.amount, total.open_deals, total.open_amount) == (
        8,
        D(1730),
        5,
        D(610),
    )
    # February 1st to 20th: the same open deals plus deal 7 lost on the 1st
    assert (report.previous_total.deals, report.previous_total.amount) == (6, D(640))


def test_one_pipeline(store_engine: Engine) -> None:
    report = run(store_engine, pipeline_id=1)
    assert [p.pipeline_id for p in report.pipelines] == [1]
    assert [r.stage_id for r in report.rows] == ["C1:NEW", "C1:WON", "C1:LOSE", "C1:ODD"]
    assert (report.total.deals, report.total.open_deals, report.total.open_amount) == (
        2,
        2,
        D(310),
    )


def test_pipeline_asked_for_is_shown_even_empty(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, pipeline_id=1, employee=12)
    assert [(r.stage_id, r.deals) for r in report.rows] == [
        ("C1:NEW", 0),
        ("C1:WON", 0),
        ("C1:LOSE", 0),
    ]
    assert report.total.deals == 0


def test_employee_scope_shows_only_their_pipelines(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, employee=10)
    assert [p.pipeline_id for p in report.pipelines] == [0]
    assert [(r.stage_id, r.deals) for r in report.rows if r.deals] == [
        ("NEW", 2),
        ("PREPARATION", 1),
    ]


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine))))
    assert payload["report"] == "funnel"
    first = payload["rows"][0]
    assert first == {
        "pipeline_id": 0,
        "pipeline": "Общая",
        "stage_id": "NEW",
        "stage": "Новая",
        "semantics": "process",
        "deals": 2,
        "amount": "100.00",
    }
    assert payload["total"]["deals"] == 8
