"""SQL building blocks shared by the communication reports and the bot's drill-downs.

- Communication (DESIGN.md): a completed CRM activity of kind call (type 2), e-mail (type 4,
  any direction) or meeting (a type in ``settings.meeting_type_ids`` or a provider in
  ``settings.meeting_providers``; the meeting test wins over the type). A call activity
  whose telephony records (``Activity.call_id`` = ``Call.call_id``) exist and none of them
  connected is not a communication; a call activity with no record counts.
- Client of an activity, from its primary owner: a company is itself; a contact is its
  company, else the contact; a deal is its company, else its contact read by the contact
  rule (so a deal with only a contact who works for a company touches that company, the
  client the contact stands for); leads and other owners touch no client. An owner missing
  from the store resolves as far as the store knows: an unknown contact is itself.
- Local time: the store keeps UTC; local hours and days are computed in SQL from epoch
  seconds plus the zone's offset, a CASE over the DST segments of the period.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col

from kpi.periods import Period
from kpi.settings import KpiSettings
from store.models import Activity, Call, Company, Contact, Deal

OWNER_LEAD = 1
OWNER_DEAL = 2
OWNER_CONTACT = 3
OWNER_COMPANY = 4
# A resolved client is a company or a contact; kept as their CRM owner type ids.
CLIENT_COMPANY = OWNER_COMPANY
CLIENT_CONTACT = OWNER_CONTACT
CLIENT_TYPE_NAMES = {CLIENT_COMPANY: "company", CLIENT_CONTACT: "contact"}

ACTIVITY_CALL = 2
ACTIVITY_EMAIL = 4
DIRECTION_OUTGOING = 2
CONNECTED = "200"

KIND_CALL = "call"
KIND_EMAIL = "email"
KIND_MEETING = "meeting"

# A datetime column or expression of the store.
TimeColumn = Mapped[datetime | None] | ColumnElement[datetime | None]
# A select of any columns (SQLAlchemy 2.1 types a select by its column types).
AnySelect = Select[*tuple[Any, ...]]

_HOUR = 3_600


# --- communications ------------------------------------------------------------------


def is_meeting(settings: KpiSettings) -> ColumnElement[bool]:
    # COALESCE: a NULL provider would make the test (and its negation) NULL, not false.
    return or_(
        col(Activity.type_id).in_(sorted(settings.meeting_type_ids)),
        func.coalesce(col(Activity.provider_id), "").in_(sorted(settings.meeting_providers)),
    )


def call_not_failed() -> ColumnElement[bool]:
    """No telephony record behind the activity, or at least one of them connected."""
    # One lookup by call id: the best record's connected flag, 1 when there is no record.
    best = (
        select(func.max(case((col(Call.failed_code) == CONNECTED, 1), else_=0)))
        .where(col(Call.call_id) == col(Activity.call_id), col(Call.call_id) != "")
        .scalar_subquery()
    )
    return func.coalesce(best, 1) == 1


def communication_kind(settings: KpiSettings) -> ColumnElement[str | None]:
    """'meeting', 'call', 'email' or NULL for activities that are none of them."""
    return case(
        (is_meeting(settings), literal(KIND_MEETING)),
        (col(Activity.type_id) == ACTIVITY_CALL, literal(KIND_CALL)),
        (col(Activity.type_id) == ACTIVITY_EMAIL, literal(KIND_EMAIL)),
        else_=None,
    )


def is_communication(settings: KpiSettings) -> ColumnElement[bool]:
    meeting = is_meeting(settings)
    call = and_(not_(meeting), col(Activity.type_id) == ACTIVITY_CALL, call_not_failed())
    email = and_(not_(meeting), col(Activity.type_id) == ACTIVITY_EMAIL)
    return and_(col(Activity.completed) == True, or_(meeting, call, email))  # noqa: E712  (SQL)


def is_outgoing_email(settings: KpiSettings) -> ColumnElement[bool]:
    return and_(
        col(Activity.completed) == True,  # noqa: E712  (SQL comparison)
        not_(is_meeting(settings)),
        col(Activity.type_id) == ACTIVITY_EMAIL,
        col(Activity.direction) == DIRECTION_OUTGOING,
    )


def started_in(period: Period) -> ColumnElement[bool]:
    return and_(col(Activity.start_at) >= period.start, col(Activity.start_at) < period.end)


@dataclass(frozen=True)
class ClientColumns:
    """The resolved client of ``Activity`` once ``join`` has been applied to a select."""

    client_type: ColumnElement[int | None]
    client_id: ColumnElement[int | None]

    def join(self, query: AnySelect) -> AnySelect:
        return _client_join(query)


_OWNER_CONTACT = aliased(Contact, name="owner_contact")
_OWNER_DEAL = aliased(Deal, name="owner_deal")
_DEAL_CONTACT = aliased(Contact, name="deal_contact")


def _client_join(query: AnySelect) -> AnySelect:
    owner_type, owner_id = col(Activity.owner_type), col(Activity.owner_id)
    return (
        query.outerjoin(
            _OWNER_CONTACT,
            and_(owner_type == OWNER_CONTACT, col(_OWNER_CONTACT.id) == owner_id),
        )
        .outerjoin(_OWNER_DEAL, and_(owner_type == OWNER_DEAL, col(_OWNER_DEAL.id) == owner_id))
        .outerjoin(_DEAL_CONTACT, col(_DEAL_CONTACT.id) == col(_OWNER_DEAL.contact_id))
    )


def client_columns() -> ClientColumns:
    owner_type, owner_id = col(Activity.owner_type), col(Activity.owner_id)
    company = case(
        (owner_type == OWNER_COMPANY, owner_id),
        (owner_type == OWNER_CONTACT, col(_OWNER_CONTACT.company_id)),
        (
            owner_type == OWNER_DEAL,
            func.coalesce(col(_OWNER_DEAL.company_id), col(_DEAL_CONTACT.company_id)),
        ),
        else_=None,
    )
    contact = case(
        (owner_type == OWNER_CONTACT, owner_id),
        (owner_type == OWNER_DEAL, col(_OWNER_DEAL.contact_id)),
        else_=None,
    )
    client_type = case(
        (company.is_not(None), literal(CLIENT_COMPANY)),
        (contact.is_not(None), literal(CLIENT_CONTACT)),
        else_=None,
    )
    return ClientColumns(client_type, func.coalesce(company, contact))


def communications(settings: KpiSettings, period: Period | None = None) -> AnySelect:
    """Communications with their client: ``id, responsible_id, start_at, kind, direction,
    client_type, client_id`` (client columns NULL when the owner touches no client)."""
    client = client_columns()
    query: AnySelect = select(
        col(Activity.id).label("id"),
        col(Activity.responsible_id).label("responsible_id"),
        col(Activity.start_at).label("start_at"),
        communication_kind(settings).label("kind"),
        col(Activity.direction).label("direction"),
        client.client_type.label("client_type"),
        client.client_id.label("client_id"),
    ).select_from(Activity)
    query = client.join(query).where(is_communication(settings))
    if period is not None:
        query = query.where(started_in(period))
    return query


def client_owners(
    session: Session, company_ids: Sequence[int], contact_ids: Sequence[int]
) -> AnySelect:
    """Owners whose activities resolve to the given clients: ``owner_type, owner_id,
    client_type, client_id``; the inverse of ``client_columns`` for a known set of clients.

    Used to find the activities of a few clients through the (owner_type, owner_id) index
    instead of resolving every activity in the store.
    """
    company, contact = literal(CLIENT_COMPANY), literal(CLIENT_CONTACT)
    deal_contact = aliased(Contact, name="owner_deal_contact")
    parts: list[AnySelect] = [
        select(
            literal(OWNER_COMPANY).label("owner_type"),
            col(Company.id).label("owner_id"),
            company.label("client_type"),
            col(Company.id).label("client_id"),
        ).where(in_ids(session, Company.id, company_ids)),
        select(literal(OWNER_CONTACT), col(Contact.id), company, col(Contact.company_id)).where(
            in_ids(session, Contact.company_id, company_ids)
        ),
        select(literal(OWNER_DEAL), col(Deal.id), company, col(Deal.company_id)).where(
            in_ids(session, Deal.company_id, company_ids)
        ),
        select(literal(OWNER_DEAL), col(Deal.id), company, col(deal_contact.company_id))
        .join(deal_contact, col(deal_contact.id) == col(Deal.contact_id))
        .where(
            col(Deal.company_id).is_(None), in_ids(session, deal_contact.company_id, company_ids)
        ),
        select(literal(OWNER_CONTACT), col(Contact.id), contact, col(Contact.id)).where(
            in_ids(session, Contact.id, contact_ids), col(Contact.company_id).is_(None)
        ),
        select(literal(OWNER_DEAL), col(Deal.id), contact, col(Deal.contact_id))
        .outerjoin(deal_contact, col(deal_contact.id) == col(Deal.contact_id))
        .where(
            col(Deal.company_id).is_(None),
            col(deal_contact.company_id).is_(None),
            in_ids(session, Deal.contact_id, contact_ids),
        ),
    ]
    return parts[0].union_all(*parts[1:])  # type: ignore[return-value]


def counts_by_employee(
    session: Session, user_ids: Sequence[int], period: Period, settings: KpiSettings
) -> dict[int, tuple[int, int]]:
    """Per responsible user: (outgoing e-mails, meetings), completed, started in the period."""
    result = dict.fromkeys(user_ids, (0, 0))
    if not result:
        return result
    meeting = is_meeting(settings)
    query = (
        select(
            col(Activity.responsible_id),
            func.sum(case((is_outgoing_email(settings), 1), else_=0)),
            func.sum(case((meeting, 1), else_=0)),
        )
        .where(
            col(Activity.responsible_id).in_(list(result)),
            started_in(period),
            col(Activity.completed) == True,  # noqa: E712  (SQL comparison)
            or_(meeting, col(Activity.type_id) == ACTIVITY_EMAIL),
        )
        .group_by(col(Activity.responsible_id))
    )
    for uid, emails, meetings in session.execute(query):
        result[uid] = (int(emails or 0), int(meetings or 0))
    return result


def in_ids(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` with the ids as one bound value, for lists of thousands: expanding
    thousands of parameters costs more than the query (a JSON array on SQLite, an array on
    PostgreSQL)."""
    values = [int(i) for i in ids]
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(json.dumps(values)).table_valued("value")
        return col(column).in_(select(each.c.value))
    return col(column) == any_(bindparam(None, values, type_=ARRAY(BigInteger())))


# --- time ----------------------------------------------------------------------------


def epoch_seconds(session: Session, column: TimeColumn) -> ColumnElement[int]:
    """Whole seconds since 1970 (UTC) of a ``UTCDateTime`` column, floored."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps the UTC wall time as text; strftime('%s') reads it as UTC.
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(extract("epoch", column)), BigInteger)


def offset_segments(period: Period) -> list[tuple[datetime, int]]:
    """``(since, utc_offset_seconds)`` pieces covering the period, first since its start."""
    tz = period.tz
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    segments = [(start, _offset(start, tz))]
    step = timedelta(hours=12)  # zones change offset at most once in such a stretch
    cursor = start
    while cursor < end:
        after = min(cursor + step, end)
        if _offset(after, tz) != segments[-1][1]:
            lo, hi = cursor, after
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if _offset(mid, tz) == segments[-1][1] else (lo, mid)
            hi = hi.replace(microsecond=0)
            segments.append((hi, _offset(hi, tz)))
        cursor = after
    return segments


def local_epoch(session: Session, column: TimeColumn, period: Period) -> ColumnElement[int]:
    """Seconds since 1970 of the local wall time (the period's zone) of an instant in it."""
    epoch = epoch_seconds(session, column)
    segments = offset_segments(period)
    if len(segments) == 1:
        return epoch + segments[0][1]
    whens = [
        (column < since, offset)
        for (_, offset), (since, _) in zip(segments, segments[1:], strict=False)
    ]
    return epoch + case(*whens, else_=segments[-1][1])


def local_hour_number(session: Session, column: TimeColumn, period: Period) -> ColumnElement[int]:
    """Whole hours since 1970-01-01 00:00 local time: // 24 is the day, % 24 the hour."""
    return local_epoch(session, column, period) // _HOUR


EPOCH_ORDINAL = datetime(1970, 1, 1, tzinfo=UTC).date().toordinal()


def _offset(moment: datetime, tz: ZoneInfo) -> int:
    delta = moment.astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0
