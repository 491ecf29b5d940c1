"""Calls and talk time per client in the calls report, against figures worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.calls import calls_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope, employee_scope
from reports.build import build_report
from store.models import Call, Company, Contact, Deal
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    ADMIN,
    EMPLOYEE,
    HEAD,
    PEOPLE,
    FakeBuilder,
    World,
    make_world,
    write_world,
)
from tests.kpi_data import MSK, PORTAL, Data, at, make_settings, team

NOW = at(MSK, 2026, 3, 20, 12)


def _data() -> Data:
    d = Data()
    team(d)
    d.add(Company, id=1, title="ООО Ромашка", responsible_id=11)
    d.add(Contact, id=2, first_name="Иван", last_name="Петров", company_id=1)
    d.add(Contact, id=3, first_name="Ольга", last_name="Сидорова")
    d.add(Deal, id=4, contact_id=3, amount=Decimal(1))
    d.add(Deal, id=5, company_id=1, amount=Decimal(1))
    when = at(MSK, 2026, 3, 10, 11)
    for n, (user, kind, entity, code, seconds) in enumerate(
        [
            (11, "COMPANY", 1, "200", 60),
            (11, "CONTACT", 2, "200", 30),  # Ivan works for Romashka: Romashka's
            (12, "CONTACT", 3, "304", 0),  # Olga has no company: her own; not connected
            (12, "DEAL", 4, "200", 100),  # a deal with only Olga: Olga's
            (11, "DEAL", 5, "200", 10),  # Romashka's deal
            (11, "LEAD", 7, "200", 500),  # leads are no clients
            (11, "COMPANY", 99, "200", 5),  # a company the store does not have
            (13, "COMPANY", 1, "200", 900),  # Gleb is not in sales: not in any row
        ],
        start=1,
    ):
        d.add(
            Call,
            id=n,
            user_id=user,
            call_type=1,
            phone_raw=f"7900000000{n}",
            start_at=when,
            duration=seconds,
            failed_code=code,
            crm_entity_type=kind,
            crm_entity_id=entity,
        )
    d.add(Call, id=50, user_id=11, call_type=1, phone_raw="79000000050", duration=700,
          start_at=at(MSK, 2026, 2, 27), crm_entity_type="COMPANY", crm_entity_id=1)  # fmt: skip
    return d


def test_top_clients_by_talk_time(store_engine: Engine) -> None:
    settings = make_settings(portal_url=PORTAL)
    with Session(store_engine) as session:
        _data().write(session)
        month = parse_period("month", now=NOW, tz=MSK)
        report = calls_report(session, company_scope(session, settings), month, settings, now=NOW)
        vera = employee_scope(session, settings, 12)
        hers = calls_report(session, vera, month, settings, now=NOW)
        built = build_report(session, settings, "calls", month, vera, now=NOW, render=False)
    clients = to_json(report)["clients"]
    assert clients == [
        {
            "client_type": "company",
            "client_id": 1,
            "title": "ООО Ромашка",
            "url": f"{PORTAL}/crm/company/details/1/",
            "calls": 3,
            "connected": 3,
            "talk_seconds": 100,
        },
        {
            "client_type": "contact",
            "client_id": 3,
            "title": "Ольга Сидорова",
            "url": f"{PORTAL}/crm/contact/details/3/",
            "calls": 2,
            "connected": 1,
            "talk_seconds": 100,
        },
        {
            "client_type": "company",
            "client_id": 99,
            "title": "#99",
            "url": f"{PORTAL}/crm/company/details/99/",
            "calls": 1,
            "connected": 1,
            "talk_seconds": 5,
        },
    ]
    assert [(c.client_id, c.calls) for c in hers.clients] == [(3, 2)]
    assert "Клиенты по времени разговоров:" in built.text_html
    assert "Ольга Сидорова" in built.text_html
    assert "Ромашка" not in built.text_html  # Vera's scope holds only her own calls


# --- /calls клиент NAME in Telegram (the real dispatcher, the fake Bot API) ---------------


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    mon = at(MSK, 2026, 3, 2, 15)
    with Session(sqlite_engine) as session:
        for n, (user, seconds) in enumerate([(11, 120), (11, 60), (10, 600)], start=100):
            session.add(
                Call(
                    id=n,
                    user_id=user,
                    call_type=1,
                    phone_raw=f"7911000{n}",
                    phone=f"7911000{n}",
                    start_at=mon,
                    duration=seconds,
                    failed_code="200",
                    crm_entity_type="COMPANY",
                    crm_entity_id=2,
                )
            )
        session.commit()
    world = make_world(sqlite_engine)
    yield world
    assert world.fake.errors == []


async def test_calls_with_a_client_shows_what_the_asker_may_see(world: World) -> None:
    await world.send(tg.message("/calls клиент клиент 2 неделя", sender=PEOPLE[HEAD]))
    text = str(world.last("sendMessage").params["text"])
    # Boris heads "Продажи Москва": his two calls, not Anna's (department "Продажи")
    assert "Звонки с клиентом «клиент 2», неделя 2–8 марта:" in text
    assert "ООО Клиент 2 — 2\u00a0звонка, в разговорах 3\u00a0мин" in text
    await world.send(tg.message("/calls клиент Клиент 2 неделя", sender=PEOPLE[ADMIN]))
    assert "3\u00a0звонка, в разговорах 13\u00a0мин" in str(
        world.last("sendMessage").params["text"]
    )
    await world.send(tg.message("/calls клиент Клиент 2 неделя", sender=PEOPLE[EMPLOYEE]))
    # Vera's Telegram speaks English: her private answer is English
    assert str(world.last("sendMessage").params["text"]).startswith("No calls with “Клиент 2”")
    await world.send(tg.message("/calls неделя", sender=PEOPLE[ADMIN]))
    assert isinstance(world.builder, FakeBuilder)
    assert world.builder.calls[-1][:2] == ("calls", "week")  # plain /calls: the report
