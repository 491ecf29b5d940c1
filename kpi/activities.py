"""SQL building blocks shared by the communication reports and the bot's drill-downs.

- Communication (DESIGN.md): a completed CRM activity of kind call (type 2), e-mail (type 4,
  any direction) or meeting (a type in ``settings.meeting_type_ids`` or a provider in
  ``settings.meeting_providers``; the meeting test wins over the type). A call activity
  whose telephony records (``Activity.call_id`` = ``Call.call_id``) exist and none of them
  connected is not a communication; a call activity with no record counts.
- Client of an activity: ``Activity.client_type`` and ``client_id``, which the store derives
  from the activity's primary owner on every write; the rule is in ``store.clients``.
- Local time: the store keeps UTC; local hours and days are computed in SQL from epoch
  seconds plus the zone's offset, a CASE over the DST segments of the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from kpi.periods import Period
from kpi.settings import KpiSettings
from store.clients import CLIENT_COMPANY, CLIENT_CONTACT
from store.models import Activity, Call

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


def communications(settings: KpiSettings, period: Period | None = None) -> AnySelect:
    """Communications with their client: ``id, responsible_id, start_at, kind, direction,
    client_type, client_id`` (client columns NULL when the owner touches no client)."""
    query: AnySelect = select(
        col(Activity.id).label("id"),
        col(Activity.responsible_id).label("responsible_id"),
        col(Activity.start_at).label("start_at"),
        communication_kind(settings).label("kind"),
        col(Activity.direction).label("direction"),
        col(Activity.client_type).label("client_type"),
        col(Activity.client_id).label("client_id"),
    ).where(is_communication(settings))
    if period is not None:
        query = query.where(started_in(period))
    return query


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
