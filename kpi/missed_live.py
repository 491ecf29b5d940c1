"""Missed calls one by one, as they happen: the recent ones, their callback and their card.

``kpi.missed`` counts missed calls per period; a live alert needs each call on its own.
The rules are ``kpi.missed``'s, not restated: a missed call is ``is_missed()`` (incoming,
types 2 and 3, any failure code but "200"); its callback is the first later connected call
(``CALLBACK_TYPES``) with the same normalised number taken by one of ``callers()``, the
delay running start to start. The tests check, call by call, that both modules agree.

A call with no number (hidden caller id) can never be called back, so it is left out.

The card is the call's CRM entity (the portal links the number to it) resolved by the
client rule of ``store.clients``: a company is itself; a contact is its company, else the
contact; a deal is its company, else its contact by the contact rule. Leads touch no
client, but their card is still where the caller is known, so a lead is its own card.
An entity the store does not have yet gives no card: there is no name to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kpi.activities import CONNECTED
from kpi.coverage import client_url
from kpi.missed import CALLBACK_TYPES, is_missed
from store.clients import CLIENT_COMPANY, CLIENT_CONTACT
from store.models import Call, Company, Contact, Deal, Lead, User

CardKind = Literal["company", "contact", "lead"]


@dataclass(frozen=True)
class Card:
    kind: CardKind
    id: int
    title: str
    url: str


@dataclass(frozen=True)
class LiveCall:
    id: int
    phone: str  # normalised digits, never empty
    start: datetime  # aware, UTC
    duration: int  # seconds
    user_id: int | None
    entity_type: str | None  # the portal's CRM entity of the call: COMPANY, CONTACT, ...
    entity_id: int | None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)


@dataclass(frozen=True)
class Callback:
    call_id: int
    start: datetime
    duration: int
    user_id: int | None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)

    def delay(self, missed: LiveCall) -> timedelta:
        """Start to start, as ``kpi.missed`` measures it."""
        return self.start - missed.start


def _live(row: Any) -> LiveCall:
    cid, phone, start, duration, uid, etype, eid = row
    return LiveCall(
        int(cid),
        str(phone),
        start,
        int(duration or 0),
        None if uid is None else int(uid),
        None if etype is None else str(etype),
        None if eid is None else int(eid),
    )


_COLUMNS = (
    col(Call.id),
    col(Call.phone),
    col(Call.start_at),
    col(Call.duration),
    col(Call.user_id),
    col(Call.crm_entity_type),
    col(Call.crm_entity_id),
)


def recent_missed(session: Session, since: datetime) -> tuple[LiveCall, ...]:
    """Missed calls with a number that started at or after ``since``, oldest first."""
    query = (
        select(*_COLUMNS)
        .where(is_missed(), col(Call.start_at) >= since, col(Call.phone) != "")
        .order_by(col(Call.start_at), col(Call.id))
    )
    return tuple(_live(row) for row in session.execute(query))


def missed_by_id(session: Session, ids: Iterable[int]) -> tuple[LiveCall, ...]:
    """The missed calls among ``ids`` (a call re-synced as connected is no longer one)."""
    wanted = sorted(set(ids))
    if not wanted:
        return ()
    query = (
        select(*_COLUMNS)
        .where(col(Call.id).in_(wanted), is_missed(), col(Call.phone) != "")
        .order_by(col(Call.start_at), col(Call.id))
    )
    return tuple(_live(row) for row in session.execute(query))


def _taken(other: Any, caller_ids: Sequence[int]) -> ColumnElement[bool]:
    """``other`` is a connected call (either direction) taken by one of ``caller_ids``."""
    return and_(
        col(other.failed_code) == CONNECTED,
        col(other.call_type).in_(CALLBACK_TYPES),
        col(other.user_id).in_(list(caller_ids)),
    )


def first_callbacks(
    session: Session, calls: Sequence[LiveCall], caller_ids: Sequence[int]
) -> dict[int, Callback]:
    """The callback of each of ``calls`` that has one (by ``kpi.missed``'s rule: the first
    later call with the same number that ``_taken`` holds for), by call id.

    Two statements per 500 calls, each driven by an index whatever the planner thinks of
    the sizes: the callback's id per missed call (its number and start found by
    (phone, start_at)), then those calls by id. As one join, SQLite came to drive it from
    the callers' calls by user once a few dozen calls were asked about (0.6 s on 300,000
    calls instead of milliseconds)."""
    missed, callback, other = (aliased(Call, name=n) for n in ("missed", "callback", "other"))
    first_at = (
        select(func.min(col(other.start_at)))
        .where(
            col(other.phone) == col(missed.phone),
            col(other.start_at) > col(missed.start_at),
            _taken(other, caller_ids),
        )
        .correlate(missed)
        .scalar_subquery()
    )
    callback_id = (
        select(col(callback.id))
        .where(
            col(callback.phone) == col(missed.phone),
            col(callback.start_at) == first_at,
            _taken(callback, caller_ids),
        )
        .order_by(col(callback.id))  # two callbacks in the same second: the lower id
        .limit(1)
        .correlate(missed)
        .scalar_subquery()
    )
    ids = sorted({c.id for c in calls})
    answered: dict[int, int] = {}
    for n in range(0, len(ids), 500):
        query = select(col(missed.id), callback_id).where(col(missed.id).in_(ids[n : n + 500]))
        answered.update((int(m), int(c)) for m, c in session.execute(query) if c is not None)
    backs = sorted(set(answered.values()))
    rows: dict[int, Callback] = {}
    for n in range(0, len(backs), 500):
        query = select(
            col(Call.id), col(Call.start_at), col(Call.duration), col(Call.user_id)
        ).where(col(Call.id).in_(backs[n : n + 500]))
        for cid, start, duration, uid in session.execute(query):
            rows[int(cid)] = Callback(int(cid), start, int(duration or 0), uid)
    return {missed_id: rows[cid] for missed_id, cid in answered.items() if cid in rows}


def first_callback(session: Session, call: LiveCall, caller_ids: Sequence[int]) -> Callback | None:
    """The call that called ``call`` back; None: not yet."""
    return first_callbacks(session, [call], caller_ids).get(call.id)


def known_users(session: Session, ids: Iterable[int | None]) -> set[int]:
    """Those of ``ids`` the store has a user for (active or not)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return set()
    query = select(col(User.id)).where(col(User.id).in_(wanted))
    return {int(uid) for uid in session.scalars(query)}


def _company(session: Session, company_id: int, portal_url: str) -> Card | None:
    company = session.get(Company, company_id)
    if company is None:
        return None
    url = client_url(portal_url, CLIENT_COMPANY, company_id)
    return Card("company", company_id, company.title or f"#{company_id}", url)


def _contact(session: Session, contact: Contact, portal_url: str) -> Card | None:
    if contact.company_id is not None:
        found = _company(session, contact.company_id, portal_url)
        if found is not None:
            return found
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    url = client_url(portal_url, CLIENT_CONTACT, contact.id)
    return Card("contact", contact.id, name or f"#{contact.id}", url)


def _contact_card(session: Session, contact_id: int, portal_url: str) -> Card | None:
    contact = session.get(Contact, contact_id)
    return None if contact is None else _contact(session, contact, portal_url)


def _deal_card(session: Session, deal_id: int, portal_url: str) -> Card | None:
    deal = session.get(Deal, deal_id)
    if deal is None:
        return None
    found = None if deal.company_id is None else _company(session, deal.company_id, portal_url)
    if found is None and deal.contact_id is not None:
        found = _contact_card(session, deal.contact_id, portal_url)
    return found


def _lead_card(session: Session, lead_id: int, portal_url: str) -> Card | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    url = f"{portal_url.rstrip('/')}/crm/lead/details/{lead_id}/"
    return Card("lead", lead_id, lead.title or f"#{lead_id}", url)


_CARDS = {
    "COMPANY": _company,
    "CONTACT": _contact_card,
    "DEAL": _deal_card,
    "LEAD": _lead_card,
}


def card_of(
    session: Session, entity_type: str | None, entity_id: int | None, portal_url: str
) -> Card | None:
    """The card a call's CRM entity stands for (see the module's docstring)."""
    if entity_type is None or entity_id is None:
        return None
    find = _CARDS.get(entity_type.upper())
    return None if find is None else find(session, entity_id, portal_url)
