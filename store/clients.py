"""The client each activity touches, kept on the activity row by every write.

Rule (DESIGN.md, from the activity's primary owner): a company is itself; a contact is its
company, else the contact; a deal is its company, else its contact read by the contact rule
(so a deal with only a contact who works for a company touches that company, the client the
contact stands for); leads and other owners touch no client. An owner missing from the store
resolves as far as the store knows: an unknown contact is itself, an unknown deal nothing.

``Activity.client_type`` (4 company, 3 contact, as CRM owner types) and ``client_id`` hold
the result, indexed with ``start_at``, so "the latest communication of a client" is one
index probe instead of one per contact and deal the client has. The columns are derived
data: ``store.upsert`` refreshes them, in the same transaction, for the activities it
writes and for the activities of the contacts and deals it writes or deletes; nothing else
writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col

from store.models import Activity, Contact, Deal

OWNER_DEAL = 2
OWNER_CONTACT = 3
OWNER_COMPANY = 4
# A resolved client is a company or a contact; kept as their CRM owner type ids.
CLIENT_COMPANY = OWNER_COMPANY
CLIENT_CONTACT = OWNER_CONTACT

_ACTIVITIES: Table = Activity.__table__  # type: ignore[attr-defined]
# The columns this module derives: the sync never maps them from the portal.
DERIVED_COLUMNS = {"activities": frozenset({"client_type", "client_id"})}


def in_ids(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` with the ids as one bound value, for lists of thousands: expanding
    thousands of parameters costs more than the query (a JSON array on SQLite, an array on
    PostgreSQL)."""
    values = [int(i) for i in ids]
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(json.dumps(values)).table_valued("value")
        return col(column).in_(select(each.c.value))
    return col(column) == any_(bindparam(None, values, type_=ARRAY(BigInteger())))


def _resolved() -> tuple[ColumnElement[int | None], ColumnElement[int | None]]:
    """(client type, client id) of the activities row being updated, from its owner."""
    owner_type, owner_id = _ACTIVITIES.c.owner_type, _ACTIVITIES.c.owner_id
    deal_contact = aliased(Contact, name="deal_contact")
    contact_company = (
        select(col(Contact.company_id)).where(col(Contact.id) == owner_id).scalar_subquery()
    )
    deal_company = (
        select(func.coalesce(col(Deal.company_id), col(deal_contact.company_id)))
        .select_from(Deal)
        .outerjoin(deal_contact, col(deal_contact.id) == col(Deal.contact_id))
        .where(col(Deal.id) == owner_id)
        .scalar_subquery()
    )
    deal_contact_id = (
        select(col(Deal.contact_id)).where(col(Deal.id) == owner_id).scalar_subquery()
    )
    company = case(
        (owner_type == OWNER_COMPANY, owner_id),
        (owner_type == OWNER_CONTACT, contact_company),
        (owner_type == OWNER_DEAL, deal_company),
        else_=None,
    )
    contact = case(
        (owner_type == OWNER_CONTACT, owner_id),
        (owner_type == OWNER_DEAL, deal_contact_id),
        else_=None,
    )
    client_type = case(
        (company.is_not(None), literal(CLIENT_COMPANY)),
        (contact.is_not(None), literal(CLIENT_CONTACT)),
        else_=None,
    )
    return client_type, func.coalesce(company, contact)


# An activity whose client changed: (activity id, former client type, former client id).
Moved = tuple[int, int | None, int | None]


def refresh_clients(session: Session, where: ColumnElement[bool]) -> list[Moved]:
    """Recompute the client of the activities matching ``where``; return those that changed,
    with the client they had (``store.contacts`` moves their contacts from it)."""
    client_type, client_id = _resolved()
    current = tuple_(_ACTIVITIES.c.client_type, _ACTIVITIES.c.client_id)
    changing = select(_ACTIVITIES.c.id, _ACTIVITIES.c.client_type, _ACTIVITIES.c.client_id).where(
        where, current.is_distinct_from(tuple_(client_type, client_id))
    )
    moved: list[Moved] = [(int(i), t, c) for i, t, c in session.execute(changing)]
    if moved:
        _update_clients(session, in_ids(session, _ACTIVITIES.c.id, [m[0] for m in moved]))
    return moved


def _update_clients(session: Session, where: ColumnElement[bool]) -> None:
    """Recompute the client of the activities matching ``where``, in one statement."""
    client_type, client_id = _resolved()
    current = tuple_(_ACTIVITIES.c.client_type, _ACTIVITIES.c.client_id)
    stmt = (
        update(_ACTIVITIES)
        .where(where, current.is_distinct_from(tuple_(client_type, client_id)))
        .values(client_type=client_type, client_id=client_id)
    )
    session.execute(stmt)


def _owned_by(session: Session, owner_type: int, ids: Sequence[int]) -> ColumnElement[bool]:
    return and_(
        _ACTIVITIES.c.owner_type == owner_type, in_ids(session, _ACTIVITIES.c.owner_id, ids)
    )


def refresh_after_write(
    session: Session, model: type[SQLModel], ids: Iterable[int]
) -> list[Moved]:
    """Keep the activities' clients right after rows of ``model`` were written or deleted;
    return the activities whose client changed (see ``refresh_clients``)."""
    if model not in (Activity, Deal, Contact):
        return []
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    if model is Activity:
        # whatever these rows touched before the write is the writer's to know (it read them)
        _update_clients(session, in_ids(session, _ACTIVITIES.c.id, wanted))
        return []
    if model is Deal:
        return refresh_clients(session, _owned_by(session, OWNER_DEAL, wanted))
    moved = refresh_clients(session, _owned_by(session, OWNER_CONTACT, wanted))
    # A contact's company is also the client of its deals that have no company.
    deals = select(col(Deal.id)).where(in_ids(session, Deal.contact_id, wanted))
    return moved + refresh_clients(
        session,
        and_(_ACTIVITIES.c.owner_type == OWNER_DEAL, _ACTIVITIES.c.owner_id.in_(deals)),
    )
