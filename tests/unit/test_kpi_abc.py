"""Hand-computed ABC/XYZ: the 80% boundary, rolling months, single purchases, scopes.

With ``abc_months = 3`` and today 2026-03-15 the months are [12-16, 01-16), [01-16, 02-16)
and [02-16, 03-16): today's deals count, 12-15 and 03-16 do not.
"""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.abc import AbcReport, abc_classes, abc_of, abc_report, to_json, window_bounds, xyz_of
from kpi.periods import parse_period
from kpi.scope import Scope, company_scope, department_scope
from store.models import Company
from tests.kpi_data import MSK, at, make_settings
from tests.kpi_sales_data import SalesData, sales_team

D = Decimal
NOW = at(MSK, 2026, 3, 15, 12)


def scenario() -> SalesData:
    d = sales_team()
    for cid, owner in ((1, 10), (2, 11), (3, 13), (4, None), (5, 12)):
        d.add(Company, id=cid, title=f"Company {cid}", responsible_id=owner)
    won = [
        (1, "2025-12-16", "1700"), (1, "2026-01-20", "1650"), (1, "2026-03-15", "1650"),
        (2, "2026-02-16", "3000"),  # a single purchase, on the first day of the last month
        (3, "2025-12-20", "400"), (3, "2026-01-20", "300"), (3, "2026-02-20", "300"),
        (4, "2026-01-16", "500"), (4, "2025-12-15", "999"),  # the 12-15 deal is before
        (5, "2025-12-16", "250"), (5, "2026-03-15", "250"), (5, "2026-03-16", "777"),
    ]  # fmt: skip
    for n, (cid, day, amount) in enumerate(won, start=1):
        # whoever closed it, the deal counts for its company
        d.deal("WON", id=n, company_id=cid, responsible_id=13 if n == 1 else 10,
               amount=D(amount), close_date=date.fromisoformat(day))  # fmt: skip
    d.deal("LOSE", id=50, company_id=1, amount=D(90000), close_date=date(2026, 3, 1))
    d.deal("NEW", id=51, company_id=1, amount=D(90000), close_date=date(2026, 3, 1))
    d.deal("WON", id=52, company_id=None, amount=D(90000), close_date=date(2026, 3, 1))
    d.deal("WON", id=53, company_id=6, amount=D(0), close_date=date(2026, 3, 1))  # no revenue
    return d


def run(engine: Engine, department: int | None = None) -> AbcReport:
    conf = make_settings(MSK, abc_months=3)
    with Session(engine) as session:
        scenario().write(session)
        scope: Scope = (
            company_scope(session, conf)
            if department is None
            else department_scope(session, conf, department)
        )
        period = parse_period("month", now=NOW, tz=MSK)
        return abc_report(session, scope, period, conf, now=NOW)


def test_window_bounds_are_rolling_months() -> None:
    assert window_bounds(date(2026, 3, 15), 3) == (
        date(2025, 12, 16),
        date(2026, 1, 16),
        date(2026, 2, 16),
        date(2026, 3, 16),
    )
    # the 31st clamps to shorter months and the months still tile the window
    assert window_bounds(date(2026, 3, 31), 2) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    )


def test_abc_boundary_at_exactly_80_percent_is_a() -> None:
    # cumulative 50%, 80% (exactly: still A), 90%, 95% (exactly: still B), 100%
    assert abc_of([(1, 5000), (2, 3000), (3, 1000), (4, 500), (5, 500)]) == {
        1: "A",
        2: "A",
        3: "B",
        4: "B",
        5: "C",
    }
    # the company that crosses 80% (70% -> 90%) is A; the next one is B
    assert abc_of([(1, 7000), (2, 2000), (3, 1000)]) == {1: "A", 2: "A", 3: "B"}
    # one company holds everything: A
    assert abc_of([(7, 1)]) == {7: "A"}


@pytest.mark.parametrize(
    ("monthly", "label", "variation"),
    [
        ([100, 100, 100], "X", 0.0),
        ([110, 90], "X", 0.10),  # exactly 10%
        ([120, 80], "Y", 0.20),
        ([125, 75], "Y", 0.25),  # exactly 25%
        ([126, 74], "Z", 0.26),
        ([0, 0, 300000], "Z", math.sqrt(2)),  # a single purchase in three months
        ([5] + [0] * 11, "Z", math.sqrt(11)),  # a single purchase in twelve
    ],
)
def test_xyz_thresholds(monthly: list[int], label: str, variation: float) -> None:
    found, cv = xyz_of(monthly)
    assert found == label
    assert cv == pytest.approx(variation)


def test_company_scope(store_engine: Engine) -> None:
    report = run(store_engine)
    assert [(r.rank, r.company_id, r.revenue, r.abc, r.xyz) for r in report.rows] == [
        (1, 1, D(5000), "A", "X"),
        (2, 2, D(3000), "A", "Z"),
        (3, 3, D(1000), "B", "Y"),
        (4, 4, D(500), "B", "Z"),
        (5, 5, D(500), "C", "Z"),
    ]
    assert report.rows[1].cumulative_share == pytest.approx(0.8)
    assert report.rows[2].variation == pytest.approx(math.sqrt(2) / 10)
    total = report.total
    assert (total.companies, total.revenue) == (5, D(10000))
    assert dict(total.counts) == {"A": 2, "B": 2, "C": 1, "X": 1, "Y": 1, "Z": 3}
    cells = {(c.abc, c.xyz): (c.companies, c.revenue) for c in report.matrix}
    assert len(cells) == 9
    assert cells[("A", "X")] == (1, D(5000))
    assert cells[("B", "Z")] == (1, D(500))
    assert cells[("C", "X")] == (0, D(0))
    assert (report.first_day, report.last_day, report.months) == (
        date(2025, 12, 16),
        date(2026, 3, 15),
        3,
    )
    # at February 15th: companies 1 (3350), 4 (1499), 3 (700), 5 (250)
    before = report.previous_total
    assert (before.companies, before.revenue) == (4, D(5799))
    assert (before.counts["A"], before.counts["B"], before.counts["C"]) == (2, 1, 1)


def test_department_keeps_company_wide_classes(store_engine: Engine) -> None:
    report = run(store_engine, department=2)  # Boris and Vera
    assert [(r.company_id, r.abc, r.rank) for r in report.rows] == [(2, "A", 1), (5, "C", 2)]
    assert report.total.revenue == D(3500)
    assert report.rows[0].share == pytest.approx(3000 / 3500)


def test_abc_classes_for_coverage(store_engine: Engine) -> None:
    conf = make_settings(MSK, abc_months=3)
    with Session(store_engine) as session:
        scenario().write(session)
        classes = abc_classes(session, conf, now=NOW)
        later = abc_classes(session, conf, now=at(MSK, 2026, 3, 16, 12))
    assert classes == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C"}
    # a day later the window moves: 12-16 drops out, 03-16 comes in
    assert later[5] == "A"  # 1027 after 3300 and 3000 of 8827: before it 71%


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine))))
    assert payload["report"] == "abc"
    row = payload["rows"][0]
    assert {k: row[k] for k in ("company_id", "title", "revenue", "abc", "xyz")} == {
        "company_id": 1,
        "title": "Company 1",
        "revenue": "5000.00",
        "abc": "A",
        "xyz": "X",
    }
    assert payload["total"]["a"] == 2
