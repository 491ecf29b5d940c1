"""A client's communications read from the store's summary (``store.contacts``).

``ClientContact`` holds, per client, kind of completed activity (type, provider, call
failed) and calendar month (UTC), the first and the latest start. Which kinds are
communications is the settings' business: ``counted_kind`` is the test of
``kpi.activities.is_communication`` on the summary's columns (completion is implied: only
completed activities are summed up).

Exact for any period [start, end): a row of a counted kind covers the client when its first
or its latest start lies in the period. A row that starts before the period and ends after
it (``spanning``: only when start and end fall in one month) cannot tell whether anything
lies in between, and for such a client the activities themselves are asked (one index probe
on (client, start)). For a client with no communication in the period and no spanning row,
its latest communication before the period is the latest of its rows that end before it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased
from sqlmodel import col

from kpi.activities import ACTIVITY_CALL, ACTIVITY_EMAIL, is_communication, started_in
from kpi.periods import Period
from kpi.settings import KpiSettings
from store.contacts import month_of
from store.models import Activity, ClientContact


def counted_kind(settings: KpiSettings, rows: Any = ClientContact) -> ColumnElement[bool]:
    """Whether a ``ClientContact`` row's kind is a communication under ``settings``."""
    kind = col(rows.type_id)
    meeting = or_(
        kind.in_(sorted(settings.meeting_type_ids)),
        col(rows.provider_id).in_(sorted(settings.meeting_providers)),
    )
    call = and_(kind == ACTIVITY_CALL, col(rows.call_failed) == false())
    return or_(meeting, call, kind == ACTIVITY_EMAIL)


def _months(period: Period) -> tuple[int, int]:
    return month_of(period.start), month_of(period.end)


def _rows(
    settings: KpiSettings, client_type: Any, client_id: Any, rows: Any = ClientContact
) -> list[ColumnElement[bool]]:
    return [
        col(rows.client_type) == client_type,
        col(rows.client_id) == client_id,
        counted_kind(settings, rows),
    ]


def touched(settings: KpiSettings, period: Period) -> Any:
    """The clients (type, id) with a row of a counted kind whose first or latest start lies
    in the period: covered. Read from the months' index, once per statement."""
    first, last = col(ClientContact.first_at), col(ClientContact.last_at)
    low, high = _months(period)
    return select(col(ClientContact.client_type), col(ClientContact.client_id)).where(
        col(ClientContact.month).between(low, high),
        or_(
            and_(first >= period.start, first < period.end),
            and_(last >= period.start, last < period.end),
        ),
        counted_kind(settings),
    )


def _spanning(settings: KpiSettings, client_type: Any, client_id: Any, period: Period) -> Any:
    """A row that starts before the period and ends after it (None: none can)."""
    low, high = _months(period)
    if low != high:
        return None
    return exists().where(
        *_rows(settings, client_type, client_id),
        # a range, not "=": by the client's key, never by the months' index (every client's
        # rows of the month) even when the planner has no statistics yet
        col(ClientContact.month).between(low, low),
        col(ClientContact.first_at) < period.start,
        col(ClientContact.last_at) >= period.end,
    )


def communicated(settings: KpiSettings, period: Period) -> Any:
    """The clients (type, id) with a communication in the period, read from the activities
    of the period (the start index): asked only for clients with a spanning row, whose
    periods lie inside one month, so the read is at most a month of activities."""
    return select(col(Activity.client_type), col(Activity.client_id)).where(
        col(Activity.client_id).is_not(None), started_in(period), is_communication(settings)
    )


def covered(
    settings: KpiSettings, client_type: Any, client_id: Any, period: Period
) -> ColumnElement[int]:
    """1 when the client had a communication in the period, else 0."""
    client = tuple_(client_type, client_id)
    whens: list[tuple[Any, Any]] = [(client.in_(touched(settings, period)), 1)]
    spanning = _spanning(settings, client_type, client_id, period)
    if spanning is not None:
        whens.append((and_(spanning, client.in_(communicated(settings, period))), 1))
    return case(*((when, literal(then)) for when, then in whens), else_=literal(0))


def last_before(settings: KpiSettings, client_type: Any, client_id: Any, period: Period) -> Any:
    """The start of the latest communication before the period (null: none) of a client
    with none in it."""
    low, _ = _months(period)
    # The latest month with such a row, read backwards on the primary key; then its rows.
    earlier = aliased(ClientContact, name="earlier")
    month = (
        select(col(earlier.month))
        .where(
            *_rows(settings, client_type, client_id, earlier),
            col(earlier.month) <= low,
            col(earlier.last_at) < period.start,
        )
        .order_by(col(earlier.month).desc())
        .limit(1)
        .correlate_except(earlier)  # the client's columns come from two levels up
        .scalar_subquery()
    )
    summary = (
        select(func.max(col(ClientContact.last_at)))
        .where(
            *_rows(settings, client_type, client_id),
            col(ClientContact.month) == month,
            col(ClientContact.last_at) < period.start,
        )
        .scalar_subquery()
    )
    spanning = _spanning(settings, client_type, client_id, period)
    if spanning is None:
        return summary
    asked = _latest_activity(settings, client_type, client_id, period.start)
    return case((spanning, asked), else_=summary)


def _latest_activity(
    settings: KpiSettings, client_type: Any, client_id: Any, before: Any
) -> ColumnElement[Any]:
    """The start of the client's latest communication before ``before`` (null: none), read
    from its activities backwards on the (client, start) index."""
    return (
        select(col(Activity.start_at))
        .where(
            col(Activity.client_type) == client_type,
            col(Activity.client_id) == client_id,
            col(Activity.start_at) < before,
            is_communication(settings),
        )
        .order_by(col(Activity.start_at).desc())
        .limit(1)
        .scalar_subquery()
    )
