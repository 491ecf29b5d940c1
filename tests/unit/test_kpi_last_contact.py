"""Coverage from the clients' contacts summary, by hand, for periods the summary answers
alone and for those it cannot (a period inside one month between two contacts, a past
period with contacts after it), on SQLite and PostgreSQL.

One company of Anna's (employee 10) with e-mails on Jan 10, Feb 3, Feb 27 and Mar 15, a
to-do on Feb 15 (a meeting only when configured), a call on Mar 20 whose record failed,
and an e-mail on Mar 25 written and then deleted through the store's writer (it was the
latest: the summary must move back to Mar 15).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.coverage import CoverageReport, coverage_report
from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KpiSettings
from store.models import Activity, Call, Company
from store.upsert import delete_ids
from tests.kpi_data import MSK, Data, at, make_settings, team

NOW = at(MSK, 2026, 4, 2, 12)
DELETED = 99


def scenario() -> Data:
    d = Data()
    team(d)
    d.add(Company, id=1, title="Альфа", responsible_id=10)
    d.add(Call, call_id="c1", start_at=at(MSK, 2026, 3, 20, 10), user_id=10, failed_code="304")

    def act(when: datetime, type_id: int, **kw: Any) -> None:
        d.add(Activity, owner_type=4, owner_id=1, start_at=when, type_id=type_id, **kw)

    act(at(MSK, 2026, 1, 10, 9), 4)
    act(at(MSK, 2026, 2, 3, 9), 4)
    act(at(MSK, 2026, 2, 15, 9), 6, provider_id="CRM_TODO")
    act(at(MSK, 2026, 2, 27, 9), 4)
    act(at(MSK, 2026, 3, 15, 9), 4)
    act(at(MSK, 2026, 3, 20, 10), 2, call_id="c1")
    d.add(Activity, id=DELETED, owner_type=4, owner_id=1, start_at=at(MSK, 2026, 3, 25), type_id=4)
    return d


def report(engine: Engine, text: str, conf: KpiSettings | None = None) -> CoverageReport:
    conf = conf or make_settings(MSK)
    with Session(engine) as session:
        scope = company_scope(session, conf)
        period = parse_period(text, now=NOW, tz=MSK)
        return coverage_report(session, scope, period, conf, now=NOW)


@pytest.fixture
def store(store_engine: Engine) -> Engine:
    with Session(store_engine) as session:
        scenario().write(session)
        delete_ids(session, Activity, [DELETED])  # the summary moves back with it
        session.commit()
    return store_engine


def last_contact(rep: CoverageReport) -> datetime | None | str:
    (row,) = [r for r in rep.rows if r.employee_id == 10]
    if not row.uncovered:
        return "covered"
    return row.uncovered[0].last_contact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-01..2026-02-28", "covered"),  # a past month
        ("2026-02-10..2026-02-20", at(MSK, 2026, 2, 3, 9)),  # between two contacts of Feb
        ("2026-02-04..2026-02-04", at(MSK, 2026, 2, 3, 9)),  # one day, a contact before
        ("2026-01-11..2026-02-02", at(MSK, 2026, 1, 10, 9)),  # across months, contacts after
        ("2026-03-16..2026-03-31", at(MSK, 2026, 3, 15, 9)),  # only a failed call inside
        ("2025-12-01..2025-12-31", None),  # before anything
        ("2026-01-10..2026-01-10", "covered"),
        ("month", at(MSK, 2026, 3, 15, 9)),  # April, running: nothing yet
    ],
)
def test_exact_for_any_period(store: Engine, text: str, expected: Any) -> None:
    assert last_contact(report(store, text)) == expected


def test_the_setting_decides_the_kinds(store: Engine) -> None:
    todo = make_settings(MSK, meeting_providers=frozenset({"CRM_MEETING", "CRM_TODO"}))
    assert last_contact(report(store, "2026-02-10..2026-02-20", todo)) == "covered"
    # a call whose record failed is no communication, whatever the meeting setting
    assert last_contact(report(store, "2026-03-16..2026-03-31", todo)) == at(MSK, 2026, 3, 15, 9)


def test_previous_period_counts(store: Engine) -> None:
    # March 2026 against February: both covered; April (running) against March's stretch
    rep = report(store, "2026-03-01..2026-03-31")
    assert (rep.total.covered, rep.previous_total.covered) == (1, 1)
    rep = report(store, "month")
    assert (rep.total.covered, rep.previous_total.covered) == (0, 0)  # Mar 1-2 noon: none
