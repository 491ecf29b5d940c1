"""Hand-computed lost leads and deals by reason (apology stages count as lost)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.lost import LostReport, lost_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope
from store.models import Deal, Lead
from tests.kpi_data import MSK, at, make_settings
from tests.kpi_sales_data import SalesData, sales_team

D = Decimal
NOW = at(MSK, 2026, 4, 10)
MARCH = "2026-03-01..2026-03-31"


def scenario() -> SalesData:
    d = sales_team()
    m = MSK
    d.lead("JUNK", id=1, responsible_id=10, amount=D(100), closed_at=at(m, 2026, 3, 1))
    d.lead("NO_BUDGET", id=2, responsible_id=10, amount=D(50),
           closed_at=at(m, 2026, 3, 31, 23, 59, 59))  # fmt: skip
    d.lead("JUNK", id=3, responsible_id=11, amount=D(70), closed_at=at(m, 2026, 4, 1))
    d.lead("JUNK", id=4, responsible_id=11, amount=D(70), closed_at=None)  # no close time
    # an apology status the portal left marked in progress: lost all the same
    d.add(Lead, id=5, responsible_id=11, status_id="NO_BUDGET", status_semantics="P",
          closed_at=at(m, 2026, 3, 10))  # fmt: skip
    d.lead("JUNK", id=6, responsible_id=13, amount=D(9), closed_at=at(m, 2026, 3, 10))  # Gleb
    d.lead("CONVERTED", id=7, responsible_id=10, closed_at=at(m, 2026, 3, 10))
    d.deal("LOSE", id=1, responsible_id=10, amount=D(1000), close_date=date(2026, 3, 1))
    d.deal("C1:LOSE", id=2, responsible_id=11, amount=D(500), close_date=date(2026, 3, 31))
    d.deal("APOLOGY", id=3, responsible_id=11, amount=D(200), close_date=date(2026, 3, 15))
    d.add(Deal, id=4, responsible_id=12, stage_id="APOLOGY", stage_semantics="P",
          amount=D(300), close_date=date(2026, 3, 16))  # fmt: skip
    d.deal("LOSE", id=5, responsible_id=12, amount=D(40), close_date=date(2026, 2, 28))
    d.deal("LOSE", id=6, responsible_id=12, amount=D(40), close_date=date(2026, 4, 1))
    d.deal("WON", id=7, responsible_id=10, amount=D(40), close_date=date(2026, 3, 10))
    d.add(Deal, id=8, pipeline_id=1, responsible_id=12, stage_id="C1:GONE",
          stage_semantics="F", amount=D(10), close_date=date(2026, 3, 20))  # fmt: skip
    return d


def run(engine: Engine) -> LostReport:
    conf = make_settings(MSK)
    with Session(engine) as session:
        scenario().write(session)
        scope = company_scope(session, conf)
        return lost_report(session, scope, parse_period(MARCH, now=NOW, tz=MSK), conf, now=NOW)


def test_reasons(store_engine: Engine) -> None:
    report = run(store_engine)
    assert [(r.entity, r.status_id, r.reason, r.count, r.amount) for r in report.reasons] == [
        ("deal", "APOLOGY", "Анализ причины", 2, D(500)),
        ("lead", "NO_BUDGET", "Нет бюджета", 2, D(50)),
        ("deal", "LOSE", "Проиграна", 1, D(1000)),
        ("deal", "C1:LOSE", "Отказ", 1, D(500)),
        ("lead", "JUNK", "Некачественный", 1, D(100)),
        ("deal", "C1:GONE", "C1:GONE", 1, D(10)),  # not in the dictionary: its code
    ]


def test_by_employee_and_totals(store_engine: Engine) -> None:
    report = run(store_engine)
    assert [(r.employee_id, r.leads, r.deals, r.count, r.amount) for r in report.rows] == [
        (10, 2, 1, 3, D(1150)),
        (11, 1, 2, 3, D(700)),
        (12, 0, 2, 2, D(310)),
    ]
    total = report.total
    assert (total.leads, total.deals, total.count, total.amount) == (3, 5, 8, D(2160))
    assert sum(r.count for r in report.reasons) == total.count
    assert sum((r.amount for r in report.reasons), D(0)) == total.amount
    before = report.previous_total
    assert (before.leads, before.deals, before.amount) == (0, 1, D(40))


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine))))
    assert payload["report"] == "lost"
    assert payload["rows"][0] == {
        "status_id": "APOLOGY",
        "reason": "Анализ причины",
        "entity": "deal",
        "count": 2,
        "amount": "500.00",
    }
    assert payload["total"]["count"] == 8
