"""The "calls" report: telephony records per employee, busiest hours, calls per day.

Definitions (DESIGN.md): a call belongs to the period it starts in. Incoming: types 2 and
3; outgoing: types 1 and 4. DESIGN names only these two groups; type 5 (robot info-calls,
nobody talks) counts in ``calls`` only: not connected, successful, talk time or missed,
and never a callback. Connected: failure code "200" on a call of types 1 to 4. Successful:
connected and duration minus the line's greeting (``settings.greeting_seconds`` by
``Call.line``, never below 0) >= ``settings.success_seconds``. Talk time: the sum of
duration over connected calls. Missed figures are those of ``kpi.missed``. Calls that no
employee took form the null row, shown in the company scope only (see ``kpi.missed``).

Hours and days are local to the portal's zone; ``by_hour`` has 24 counts, ``by_day`` one
entry per local day the period touches, zeros included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlmodel import Session, col

from kpi.activities import CONNECTED, EPOCH_ORDINAL, local_hour_number
from kpi.calls_clients import ClientCalls, client_calls
from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.missed import (
    CALLBACK_TYPES,
    INCOMING_TYPES,
    NULL_EMPLOYEE,
    OUTGOING_TYPES,
    MissedCounts,
    callers,
    is_missed,
    missed_counts,
    user_filter,
)
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Call


@dataclass(frozen=True)
class CallCounts:
    calls: int = 0
    incoming: int = 0
    outgoing: int = 0
    connected: int = 0
    successful: int = 0
    missed: int = 0
    talk_seconds: int = 0

    def __add__(self, other: CallCounts) -> CallCounts:
        return CallCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(CallCounts))
        )


@dataclass(frozen=True)
class CallsRow:
    employee_id: int | None
    employee: str
    calls: int
    incoming: int
    outgoing: int
    connected: int
    successful: int
    missed: int
    missed_called_back: int
    missed_lost: int
    talk_seconds: int
    avg_callback_seconds: int | None


@dataclass(frozen=True)
class DayCalls:
    day: date
    calls: int
    missed: int


@dataclass(frozen=True)
class CallsReport:
    meta: ReportMeta
    rows: tuple[CallsRow, ...]
    total: CallsRow
    previous_total: CallsRow
    by_hour: tuple[int, ...]  # calls per local hour of day, 0 to 23
    by_day: tuple[DayCalls, ...]
    # Calls and talk time per client, most talk first (``kpi.calls_clients``).
    clients: tuple[ClientCalls, ...] = ()


def is_connected() -> ColumnElement[bool]:
    return (col(Call.failed_code) == CONNECTED) & col(Call.call_type).in_(CALLBACK_TYPES)


def is_successful(settings: KpiSettings) -> ColumnElement[bool]:
    greeting: Any = literal(0)
    if settings.greeting_seconds:
        greeting = case(
            *(
                (col(Call.line) == line, seconds)
                for line, seconds in settings.greeting_seconds.items()
            ),
            else_=0,
        )
    effective = col(Call.duration) - greeting
    talk = case((effective < 0, 0), else_=effective)
    return is_connected() & (talk >= settings.success_seconds)


def _flag(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def call_counts(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    *,
    include_null: bool = False,
) -> dict[int | None, CallCounts]:
    """Per user (None: nobody took it) the telephony figures of calls started in the period."""
    query = (
        select(
            col(Call.user_id),
            func.count(),
            _flag(col(Call.call_type).in_(INCOMING_TYPES)),
            _flag(col(Call.call_type).in_(OUTGOING_TYPES)),
            _flag(is_connected()),
            _flag(is_successful(settings)),
            _flag(is_missed()),
            func.sum(case((is_connected(), col(Call.duration)), else_=0)),
        )
        .where(
            col(Call.start_at) >= period.start,
            col(Call.start_at) < period.end,
            user_filter(Call.user_id, user_ids, include_null),
        )
        .group_by(col(Call.user_id))
    )
    return {
        uid: CallCounts(*(int(value or 0) for value in values))
        for uid, *values in session.execute(query)
    }


def _row(uid: int | None, name: str, calls: CallCounts, missed: MissedCounts) -> CallsRow:
    return CallsRow(
        employee_id=uid,
        employee=name,
        calls=calls.calls,
        incoming=calls.incoming,
        outgoing=calls.outgoing,
        connected=calls.connected,
        successful=calls.successful,
        missed=calls.missed,
        missed_called_back=missed.called_back,
        missed_lost=missed.lost,
        talk_seconds=calls.talk_seconds,
        avg_callback_seconds=missed.avg_callback_seconds,
    )


def by_hour_and_day(
    session: Session, user_ids: Sequence[int], period: Period, *, include_null: bool
) -> tuple[tuple[int, ...], tuple[DayCalls, ...]]:
    """Calls per local hour of day, and calls and missed calls per local day."""
    hour = local_hour_number(session, col(Call.start_at), period)
    query = (
        select(hour, func.count(), _flag(is_missed()))
        .where(
            col(Call.start_at) >= period.start,
            col(Call.start_at) < period.end,
            user_filter(Call.user_id, user_ids, include_null),
        )
        .group_by(hour)
    )
    hours = [0] * 24
    found: dict[date, tuple[int, int]] = {}
    for number, calls, missed in session.execute(query):
        day_number, hour_of_day = divmod(int(number), 24)
        hours[hour_of_day] += int(calls)
        day = date.fromordinal(day_number + EPOCH_ORDINAL)
        before = found.get(day, (0, 0))
        found[day] = (before[0] + int(calls), before[1] + int(missed or 0))
    first = period.start.astimezone(period.tz).date()
    last = (period.end.astimezone(UTC) - timedelta(microseconds=1)).astimezone(period.tz).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    by_day = tuple(DayCalls(d, *found.get(d, (0, 0))) for d in days if period.end > period.start)
    return tuple(hours), by_day


def _rows(
    scope: Scope, calls: Mapping[int | None, CallCounts], missed: Mapping[int | None, MissedCounts]
) -> tuple[tuple[CallsRow, ...], CallsRow]:
    keys: list[tuple[int | None, str]] = [(e.id, e.name) for e in scope.employees]
    if scope.kind == "company":
        keys.append((None, NULL_EMPLOYEE))
    rows = tuple(
        _row(uid, name, calls.get(uid, CallCounts()), missed.get(uid, MissedCounts()))
        for uid, name in keys
    )
    total_calls = sum((calls.get(uid, CallCounts()) for uid, _ in keys), CallCounts())
    total_missed = sum((missed.get(uid, MissedCounts()) for uid, _ in keys), MissedCounts())
    return rows, _row(None, TOTAL_NAME, total_calls, total_missed)


def calls_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> CallsReport:
    include_null = scope.kind == "company"
    ids = scope.employee_ids
    prev = previous(period, now=now)
    caller_ids = callers(session, settings)
    # One query per period: a CASE over both periods in one scan sorts and costs more.
    calls = [
        call_counts(session, ids, p, settings, include_null=include_null) for p in (period, prev)
    ]
    missed = [
        missed_counts(session, ids, p, settings, include_null=include_null, caller_ids=caller_ids)
        for p in (period, prev)
    ]
    rows, total = _rows(scope, calls[0], missed[0])
    _, previous_total = _rows(scope, calls[1], missed[1])
    by_hour, by_day = by_hour_and_day(session, ids, period, include_null=include_null)
    return CallsReport(
        meta=ReportMeta("calls", scope, period, prev, data_as_of(session)),
        rows=rows,
        total=total,
        previous_total=previous_total,
        by_hour=by_hour,
        by_day=by_day,
        clients=client_calls(
            session,
            ids,
            period,
            include_null=include_null,
            connected=is_connected(),
            portal_url=settings.portal_url,
        ),
    )


def row_json(row: CallsRow) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(CallsRow)}


def to_json(report: CallsReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
        "previous_total": row_json(report.previous_total),
        "by_hour": list(report.by_hour),
        "by_day": [
            {"day": d.day.isoformat(), "calls": d.calls, "missed": d.missed} for d in report.by_day
        ],
        "clients": [asdict(c) for c in report.clients],
    }
