"""``kpi.missed_live`` reads missed calls one by one; it must agree with ``kpi.missed`` (the
missed report) call by call, and with ``store.clients`` on whose card a CRM entity is."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from kpi.missed import MissedCounts, callers, missed_counts, open_calls
from kpi.missed_live import card_of, first_callback, first_callbacks, recent_missed
from kpi.periods import Period
from kpi.scope import sales_employees
from store.clients import CLIENT_COMPANY, CLIENT_CONTACT
from store.models import Activity, Company, Contact
from tests.kpi_data import MSK, PORTAL, at, make_settings, random_data

START, END = at(MSK, 2026, 3, 2), at(MSK, 2026, 3, 9)
ENTITIES = {2: "DEAL", 3: "CONTACT", 4: "COMPANY"}  # CRM owner type -> the call's entity
KINDS = {"company": CLIENT_COMPANY, "contact": CLIENT_CONTACT}


@pytest.mark.parametrize("seed", range(8))
def test_callbacks_agree_with_the_missed_report_call_by_call(
    sqlite_engine: Engine, seed: int
) -> None:
    with Session(sqlite_engine) as session:
        random_data(random.Random(seed), START, END, size=60).write(session)
        settings = make_settings()
        who = callers(session, settings)
        ids = [e.id for e in sales_employees(session, settings)]
        period = Period(START, END, "week", "", "", running=False)
        counts = missed_counts(session, ids, period, settings, include_null=True, caller_ids=who)
        total = sum(counts.values(), MissedCounts())
        opened = open_calls(session, ids, period, include_null=True, caller_ids=who, names={})
        calls = [
            c
            for c in recent_missed(session, START)
            if c.start < END and (c.user_id is None or c.user_id in ids)
        ]
        backs = {c.id: first_callback(session, c, who) for c in calls}
        batch = first_callbacks(session, calls, who)
    assert batch == {cid: b for cid, b in backs.items() if b is not None}
    hidden = sum(1 for o in opened if not o.phone)
    assert total.missed == len(calls) + hidden
    assert sorted((o.phone, o.at) for o in opened if o.phone) == sorted(
        (c.phone, c.start) for c in calls if backs[c.id] is None
    )
    called = [(c, b) for c in calls if (b := backs[c.id]) is not None]
    assert total.called_back == len(called)
    assert total.callback_seconds == sum(int(b.delay(c).total_seconds()) for c, b in called)
    assert all(b.user_id in who and b.start > c.start for c, b in called)


@pytest.mark.parametrize("seed", range(4))
def test_the_card_of_an_entity_is_its_client_by_the_store_rule(
    sqlite_engine: Engine, seed: int
) -> None:
    with Session(sqlite_engine) as session:
        random_data(random.Random(seed), START, END, size=60).write(session)
        companies = set(session.scalars(select(col(Company.id))))
        contacts = set(session.scalars(select(col(Contact.id))))
        rows = session.execute(
            select(
                col(Activity.owner_type),
                col(Activity.owner_id),
                col(Activity.client_type),
                col(Activity.client_id),
            ).where(col(Activity.owner_type).in_(list(ENTITIES)))
        ).all()
        checked = 0
        for owner_type, owner_id, client_type, client_id in rows:
            card = card_of(session, ENTITIES[owner_type], owner_id, PORTAL)
            stored = (client_type == CLIENT_COMPANY and client_id in companies) or (
                client_type == CLIENT_CONTACT and client_id in contacts
            )
            if stored:  # the store names a client it has: the card is that client
                assert card is not None and (KINDS[card.kind], card.id) == (client_type, client_id)
                kind = "company" if client_type == CLIENT_COMPANY else "contact"
                assert card.url == f"{PORTAL}/crm/{kind}/details/{client_id}/"
                checked += 1
        assert checked > 5
