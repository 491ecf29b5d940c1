"""Hand-computed coverage: client resolution, what counts as a communication, key clients."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.coverage import CoverageReport, CoverageRow, coverage_report, to_json
from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KeyClientRule, KpiSettings
from store.models import Activity, Call, Company, Contact, Deal
from tests.kpi_data import MSK, PORTAL, Data, at, make_settings, team

NOW = at(MSK, 2026, 3, 20, 12)
WEEK = "2026-03-02..2026-03-08"
KEYS = KeyClientRule(ids=frozenset({3}), field="UF_KEY", value="1")


def scenario() -> Data:
    d = Data()
    team(d)
    d.add(Company, id=1, title="Альфа", responsible_id=10, custom_fields={"UF_KEY": "1"})
    d.add(Company, id=2, title="Бета", responsible_id=10, custom_fields={"UF_KEY": "0"})
    d.add(Company, id=3, title="Гамма", responsible_id=11)  # key by id
    d.add(Company, id=4, title="Дельта", responsible_id=13)  # Gleb: outside the sales team
    d.add(Company, id=5, title="Эпсилон", responsible_id=11, custom_fields={"UF_KEY": 1})
    d.add(Contact, id=1, first_name="Иван", company_id=1, responsible_id=12)  # has a company
    d.add(Contact, id=2, first_name="Пётр", last_name="Ан", responsible_id=10)
    d.add(Contact, id=3, first_name="Мария", responsible_id=10)
    d.add(Contact, id=4, first_name="Нина", company_id=99, responsible_id=12)  # unknown company
    d.add(Contact, id=5, first_name="Олег", company_id=3, responsible_id=11)
    d.add(Contact, id=6, first_name="Ольга", responsible_id=10)  # never contacted
    d.add(Deal, id=1, company_id=2, contact_id=2, responsible_id=10)
    d.add(Deal, id=2, contact_id=1, responsible_id=10)  # no company: its contact's company 1
    d.add(Deal, id=3, contact_id=2, responsible_id=10)  # no company: contact 2 itself
    d.add(Deal, id=4, responsible_id=10)  # nobody
    d.add(Call, call_id="x1", start_at=at(MSK, 2026, 3, 3, 10), user_id=13, duration=60)
    d.add(Call, call_id="x2", start_at=at(MSK, 2026, 3, 3, 11), user_id=11, failed_code="304")

    def act(owner: tuple[int, int], when: datetime, type_id: int, **kw: Any) -> None:
        d.add(
            Activity, owner_type=owner[0], owner_id=owner[1], start_at=when, type_id=type_id, **kw
        )

    mon = at(MSK, 2026, 3, 2, 12)
    act((2, 2), mon, 2, call_id="x1", responsible_id=13)  # a1: via deal 2 -> contact 1 -> Альфа
    act((3, 3), mon, 4, direction=1)  # a2: incoming e-mail covers Мария
    act((4, 3), mon, 6, provider_id="CRM_MEETING", completed=False)  # a3: not completed
    act((4, 5), mon, 2, call_id="x2")  # a4: its call was not connected: no communication
    act((2, 3), mon, 2, call_id="nope")  # a5: no telephony record: counts; deal 3 -> Пётр
    act((4, 2), mon, 6, provider_id="CRM_TODO")  # a6: a to-do is no meeting
    act((1, 3), mon, 4, direction=2)  # a7: lead 3 touches no client (not company 3)
    act((4, 5), at(MSK, 2026, 2, 10, 9), 4, direction=2)  # a8: Эпсилон's last contact
    act((4, 3), at(MSK, 2026, 3, 9), 1)  # a9: meeting at the period's end: outside
    act((3, 5), at(MSK, 2026, 3, 1, 23, 59, 59), 4)  # a10: Гамма via its contact, just before
    act((2, 1), at(MSK, 2026, 3, 8, 23, 59, 59), 6, provider_id="CRM_MEETING")  # a11: Бета
    act((4, 3), mon, 4, completed=False)  # a12: not completed
    return d


def run(engine: Engine, data: Data, conf: KpiSettings | None = None, **kw: Any) -> CoverageReport:
    conf = conf or make_settings(MSK, key_clients=KEYS)
    with Session(engine) as session:
        data.write(session)
        scope = company_scope(session, conf)
        period = parse_period(WEEK, now=NOW, tz=MSK)
        return coverage_report(session, scope, period, conf, now=NOW, **kw)


def figures(row: CoverageRow) -> tuple[object, ...]:
    return row.clients, row.covered, row.coverage, row.key_clients, row.key_covered


def test_week_by_hand(store_engine: Engine) -> None:
    report = run(store_engine, scenario())
    rows = {row.employee_id: row for row in report.rows}
    assert figures(rows[10]) == (5, 4, 0.8, 1, 1)
    assert figures(rows[11]) == (2, 0, 0.0, 2, 0)
    assert figures(rows[12]) == (0, 0, None, 0, 0)  # no clients: null, not 0
    assert figures(report.total) == (7, 4, 4 / 7, 3, 1)
    assert figures(report.previous_total) == (7, 1, 1 / 7, 3, 1)  # a10 covers Гамма then
    assert [(c.client_type, c.client_id, c.title, c.last_contact) for c in rows[11].uncovered] == [
        ("company", 3, "Гамма", at(MSK, 2026, 3, 1, 23, 59, 59)),
        ("company", 5, "Эпсилон", at(MSK, 2026, 2, 10, 9)),
    ]
    assert [(c.client_type, c.title, c.last_contact) for c in rows[10].uncovered] == [
        ("contact", "Ольга", None)
    ]
    assert rows[10].uncovered[0].url == f"{PORTAL}/crm/contact/details/6/"
    assert rows[11].uncovered[0].url == f"{PORTAL}/crm/company/details/3/"
    assert [c.client_id for c in report.total.uncovered] == [6, 3, 5]


def test_a_todo_is_a_meeting_only_when_configured(sqlite_engine: Engine) -> None:
    data = scenario()
    data[Activity][:] = [a for a in data[Activity] if (a["owner_type"], a["owner_id"]) != (2, 1)]
    assert figures(run(sqlite_engine, data).rows[0]) == (5, 3, 0.6, 1, 1)  # Бета uncovered
    conf = make_settings(
        MSK, key_clients=KEYS, meeting_providers=frozenset({"CRM_MEETING", "CRM_TODO"})
    )
    report = run(sqlite_engine, data, conf)
    assert figures(report.rows[0]) == (5, 4, 0.8, 1, 1)  # a6, the to-do, covers Бета
    assert figures(report.rows[1]) == (2, 0, 0.0, 2, 0)  # a3 stays uncompleted


def test_key_clients_from_abc_hook(sqlite_engine: Engine) -> None:
    calls: list[datetime] = []

    def abc(_session: Session, _settings: KpiSettings, *, now: datetime) -> Mapping[int, str]:
        calls.append(now)
        return {5: "A", 3: "B", 1: "A"}

    conf = make_settings(MSK, key_clients=KeyClientRule(abc_a=True))
    report = run(sqlite_engine, scenario(), conf, abc=abc)
    rows = {row.employee_id: row for row in report.rows}
    assert (rows[10].key_clients, rows[10].key_covered) == (1, 1)  # Альфа
    assert (rows[11].key_clients, rows[11].key_covered) == (1, 0)  # Эпсилон
    assert calls == [NOW]
    assert [c.key for c in rows[11].uncovered] == [False, True]


def test_abc_rule_uses_kpi_abc_by_default(sqlite_engine: Engine) -> None:
    conf = make_settings(MSK, key_clients=KeyClientRule(abc_a=True))
    assert run(sqlite_engine, scenario(), conf).total.key_clients == 0  # no revenue, no A


def test_no_rule_no_key_clients(sqlite_engine: Engine) -> None:
    report = run(sqlite_engine, scenario(), make_settings(MSK))
    assert (report.total.key_clients, report.total.key_covered) == (0, 0)


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine, scenario()))))
    assert payload["report"] == "coverage"
    row = payload["rows"][1]
    assert {"clients", "covered", "coverage", "key_clients", "key_covered", "uncovered"} <= set(
        row
    )
    assert row["uncovered"][0] == {
        "client_id": 3,
        "client_type": "company",
        "title": "Гамма",
        "url": f"{PORTAL}/crm/company/details/3/",
        "last_contact": "2026-03-01T23:59:59+03:00",
        "key": True,
    }
    assert payload["rows"][2]["coverage"] is None
