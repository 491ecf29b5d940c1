"""Calls and talk time per client, for the calls report's "top clients".

A call's client comes from the CRM record it is bound to (``Call.crm_entity_type`` and
``crm_entity_id``), by the rule of DESIGN.md for activities: a company is itself; a contact
is its company, else the contact itself; a deal is its company, else its contact read by
the contact rule. Calls bound to a lead, or to nothing, have no client. A record missing
from the store resolves as far as the store knows (an unknown contact is itself).

Per client: ``calls`` (every call bound to it), ``connected`` and ``talk_seconds`` (the sum
of duration over connected calls, as the calls report's talk time), for the calls of the
given employees (and, in the company scope, the calls nobody took) started in the period.
Sorted by talk time, then calls, then title.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlmodel import Session, col

from kpi.coverage import client_url
from kpi.periods import Period
from store.models import Call, Company, Contact, Deal

COMPANY, CONTACT = 4, 3  # CRM owner type ids, as Activity.client_type keeps them
TOP_CLIENTS = 10


@dataclass(frozen=True)
class ClientCalls:
    client_type: str  # "company" or "contact"
    client_id: int
    title: str
    url: str
    calls: int
    connected: int
    talk_seconds: int


def _resolve(
    session: Session, keys: set[tuple[str, int]]
) -> dict[tuple[str, int], tuple[int, int]]:
    """(entity type, id) -> (client type, client id) for every key that has a client."""
    contacts = {i for t, i in keys if t == "CONTACT"}
    deals = {i for t, i in keys if t == "DEAL"}
    deal_rows = {}
    if deals:
        by_deal = select(col(Deal.id), col(Deal.company_id), col(Deal.contact_id)).where(
            col(Deal.id).in_(deals)
        )
        deal_rows = {d: (company, contact) for d, company, contact in session.execute(by_deal)}
        contacts |= {contact for company, contact in deal_rows.values() if not company and contact}
    company_of = {}
    if contacts:
        query = select(col(Contact.id), col(Contact.company_id)).where(
            col(Contact.id).in_(contacts)
        )
        company_of = dict(session.execute(query).all())

    def contact_client(contact_id: int) -> tuple[int, int]:
        company = company_of.get(contact_id)
        return (COMPANY, company) if company else (CONTACT, contact_id)

    found: dict[tuple[str, int], tuple[int, int]] = {}
    for kind, entity in keys:
        if kind == "COMPANY":
            found[(kind, entity)] = (COMPANY, entity)
        elif kind == "CONTACT":
            found[(kind, entity)] = contact_client(entity)
        elif kind == "DEAL" and entity in deal_rows:
            company, contact = deal_rows[entity]
            if company:
                found[(kind, entity)] = (COMPANY, company)
            elif contact:
                found[(kind, entity)] = contact_client(contact)
    return found


def _titles(session: Session, clients: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    companies = [i for t, i in clients if t == COMPANY]
    contacts = [i for t, i in clients if t == CONTACT]
    titles: dict[tuple[int, int], str] = {}
    if companies:
        query = select(col(Company.id), col(Company.title)).where(col(Company.id).in_(companies))
        titles |= {(COMPANY, i): title for i, title in session.execute(query)}
    if contacts:
        names = select(col(Contact.id), col(Contact.first_name), col(Contact.last_name)).where(
            col(Contact.id).in_(contacts)
        )
        titles |= {
            (CONTACT, i): " ".join(p for p in (first, last) if p)
            for i, first, last in session.execute(names)
        }
    return titles


def client_calls(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    *,
    include_null: bool,
    connected: ColumnElement[bool],
    portal_url: str = "",
) -> tuple[ClientCalls, ...]:
    """``connected``: the calls report's own definition (``kpi.calls.is_connected()``)."""
    owner: ColumnElement[bool] = col(Call.user_id).in_(list(user_ids))
    if include_null:
        owner = owner | col(Call.user_id).is_(None)
    query = (
        select(
            col(Call.crm_entity_type),
            col(Call.crm_entity_id),
            func.count(),
            func.sum(case((connected, 1), else_=0)),
            func.sum(case((connected, col(Call.duration)), else_=0)),
        )
        .where(
            owner,
            col(Call.start_at) >= period.start,
            col(Call.start_at) < period.end,
            col(Call.crm_entity_type).in_(["COMPANY", "CONTACT", "DEAL"]),
            col(Call.crm_entity_id).is_not(None),
        )
        .group_by(col(Call.crm_entity_type), col(Call.crm_entity_id))
    )
    grouped = [
        (str(t), int(i), int(n), int(c or 0), int(s or 0))
        for t, i, n, c, s in session.execute(query)
    ]
    clients = _resolve(session, {(t, i) for t, i, *_ in grouped})
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for kind, entity, calls, conn, seconds in grouped:
        client = clients.get((kind, entity))
        if client is not None:
            figures = totals[client]
            figures[0] += calls
            figures[1] += conn
            figures[2] += seconds
    titles = _titles(session, set(totals))
    rows = [
        ClientCalls(
            "company" if kind == COMPANY else "contact",
            client_id,
            titles.get((kind, client_id)) or f"#{client_id}",
            client_url(portal_url, kind, client_id) if portal_url else "",
            calls,
            conn,
            seconds,
        )
        for (kind, client_id), (calls, conn, seconds) in totals.items()
    ]
    rows.sort(key=lambda r: (-r.talk_seconds, -r.calls, r.title, r.client_id))
    return tuple(rows)
