"""The channels report against figures worked out by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.channels import channels_report, month_shares, to_json
from kpi.periods import parse_period
from kpi.scope import Employee, Scope, company_scope
from reports.build import build_report
from reports.morning import weekly_post
from store.models import Deal, DictionaryEntry, Lead
from store.plan_models import ChannelCost
from tests.kpi_data import MSK, at, make_settings

NOW = at(MSK, 2026, 12, 16)  # December is half gone: 15 of its 31 days
COSTS = {
    "CALL": {"2026-11": Decimal(150000), "2026-12": Decimal(200000)},
    "WEB": {"2026-11": Decimal(90000)},
}


def _fill(session: Session) -> None:
    session.add(DictionaryEntry(kind="source", code="CALL", name="Звонок"))
    session.add(DictionaryEntry(kind="source", code="WEB", name="Веб-сайт"))
    leads: list[tuple[int, str | None, Any]] = [
        (1, "CALL", at(MSK, 2026, 11, 2, 10)),
        (2, "CALL", at(MSK, 2026, 11, 15, 10)),
        (3, "CALL", at(MSK, 2026, 11, 30, 23, 59)),
        (4, "WEB", at(MSK, 2026, 11, 1, 0)),
        (5, "WEB", at(MSK, 2026, 11, 20)),
        (6, None, at(MSK, 2026, 11, 21)),
        (7, "ADS", at(MSK, 2026, 11, 22)),
        (8, "CALL", at(MSK, 2026, 10, 31, 23, 59)),  # October: not November's
        (9, "CALL", at(MSK, 2026, 12, 3)),
    ]
    for lead_id, source, created in leads:
        owner = 11 if lead_id in (1, 4) else 12
        session.add(Lead(id=lead_id, source_id=source, created_at=created, responsible_id=owner))
    deals: list[tuple[int, int | None, str | None, str, str, date]] = [
        (1, 1, "WEB", "S", "100000", date(2026, 11, 10)),  # its lead's source: CALL
        (2, None, "WEB", "S", "50000", date(2026, 11, 11)),  # no lead: its own source
        (3, 999, "ADS", "S", "10000", date(2026, 11, 30)),  # lead not in the store
        (4, 2, "CALL", "F", "70000", date(2026, 11, 12)),  # lost
        (5, 3, "CALL", "S", "30000", date(2026, 12, 1)),  # December's
    ]
    for deal_id, lead_id, source, semantics, amount, closed in deals:
        session.add(
            Deal(
                id=deal_id,
                lead_id=lead_id,
                source_id=source,
                stage_semantics=semantics,
                amount=Decimal(amount),
                close_date=closed,
                responsible_id=11 if deal_id == 1 else 12,
            )
        )
    # the store's newest cost wins over the config's and over older rows
    for amount, hour in (("80000", 9), ("100000", 10)):
        session.add(
            ChannelCost(
                source_id="WEB",
                month="2026-11",
                amount=Decimal(amount),
                set_by="xlsx",
                set_at=at(MSK, 2026, 12, 1, hour),
            )
        )
    session.commit()


def test_november_by_source(store_engine: Engine) -> None:
    settings = make_settings(channel_costs=COSTS)
    with Session(store_engine) as session:
        _fill(session)
        period = parse_period("last_month", now=NOW, tz=MSK)
        report = channels_report(
            session, company_scope(session, settings), period, settings, now=NOW
        )
    data = to_json(report)
    rows = {r["source_id"]: r for r in data["rows"]}
    assert [r["source_id"] for r in data["rows"]] == ["CALL", "WEB", "ADS", None]
    assert rows["CALL"] == {
        "source_id": "CALL",
        "source": "Звонок",
        "leads": 3,
        "deals_won": 1,
        "revenue": "100000.00",
        "cost": "150000.00",
        "cost_per_lead": "50000.00",
        "cost_per_won": "150000.00",
        "return_on_spend": 0.67,
    }
    assert rows["WEB"]["cost"] == "100000.00"
    assert rows["WEB"]["cost_per_won"] == "100000.00"
    assert rows["WEB"]["return_on_spend"] == 0.5
    assert rows["ADS"] == {
        "source_id": "ADS",
        "source": "ADS",
        "leads": 1,
        "deals_won": 1,
        "revenue": "10000.00",
        "cost": None,
        "cost_per_lead": None,
        "cost_per_won": None,
        "return_on_spend": None,
    }
    assert rows[None]["leads"] == 1
    assert rows[None]["source"] == "Без источника"
    assert data["total"]["leads"] == 7
    assert data["total"]["deals_won"] == 3
    assert data["total"]["revenue"] == "160000.00"
    assert data["total"]["cost"] == "250000.00"
    assert data["total"]["cost_per_lead"] == "35714.29"
    assert data["total"]["cost_per_won"] == "83333.33"


def test_a_running_month_takes_its_cost_up_to_now(store_engine: Engine) -> None:
    settings = make_settings(channel_costs=COSTS)
    with Session(store_engine) as session:
        _fill(session)
        period = parse_period("month", now=NOW, tz=MSK)
        report = channels_report(
            session, company_scope(session, settings), period, settings, now=NOW
        )
        built = build_report(session, settings, "channels", period, report.meta.scope, now=NOW)
    [call] = [r for r in report.rows if r.source_id == "CALL"]
    assert call.leads == 1
    assert call.deals_won == 1  # deal 5, lead 3 created in November: still CALL's
    assert call.cost == Decimal("96774.19")  # 200 000 x 15/31
    assert month_shares(period, NOW) == {"2026-12": Decimal(15 * 86400) / Decimal(31 * 86400)}
    assert built.png is not None and built.png.startswith(b"\x89PNG")
    assert "Звонок" in built.caption_html
    assert "Без источника" not in built.caption_html  # December has no lead without a source


def test_a_department_sees_its_own_leads_and_deals_and_no_costs(store_engine: Engine) -> None:
    settings = make_settings(channel_costs=COSTS)
    boris = Scope("department", 2, "Продажи Москва", (Employee(11, "Boris Petrov", 2),))
    with Session(store_engine) as session:
        _fill(session)
        period = parse_period("last_month", now=NOW, tz=MSK)
        report = channels_report(session, boris, period, settings, now=NOW)
    assert [(r.source_id, r.leads, r.deals_won, r.revenue, r.cost) for r in report.rows] == [
        ("CALL", 1, 1, Decimal("100000.00"), None),
        ("WEB", 1, 0, Decimal("0.00"), None),
    ]
    assert report.total.cost is None
    assert report.total.cost_per_lead is None


def test_the_weekly_summary_names_the_best_channel(store_engine: Engine) -> None:
    settings = make_settings(channel_costs=COSTS)
    monday = at(MSK, 2026, 11, 16, 9)  # last week: 9..15 November
    with Session(store_engine) as session:
        _fill(session)
        post = weekly_post(session, settings, company_scope(session, settings), now=monday,
                           render=False)  # fmt: skip
    # one lead (CALL, the 15th); deals won: CALL 100 000 on the 10th, WEB 50 000 on the 11th;
    # costs for 7 of November's 30 days: 150 000 x 7/30 + 100 000 x 7/30 = 58 333.33
    assert "📣 Лидов 1" in post.caption_html
    assert "лучший канал Звонок (1\u00a0продажа)" in post.caption_html
    assert "лид 58\u202f333\u00a0₽" in post.caption_html
