"""The "missed" report: missed incoming calls, whether and how fast they were called back.

Definitions (DESIGN.md), with the choices the text leaves open:

- Missed: a telephony record of type 2 or 3 (incoming) with any failure code but "200",
  in the period by its start, credited to its user; calls with no user form the null row,
  which only the company scope shows (a department or one person cannot own them).
- Callback: the first later connected call (code "200"; types 1 to 4, so either direction
  but no robot info-call) with the same normalised phone number, taken by an employee,
  even after the period's end. "Employee" here is any active user of the sales
  departments, not only those in the report's scope: a colleague's callback still answers
  the client. A missed call with no number (hidden caller id) can never be called back.
- Delay: callback start minus missed call start, whole seconds. ``missed_lost``: no
  callback, or one later than ``settings.callback_window`` (a delay equal to the window is
  in time); a late callback counts in both ``missed_called_back`` and ``missed_lost``.
  ``avg_callback_seconds``: the mean delay over the called-back ones (half up), null if none.
- ``open``: missed calls of the period with no callback at all, oldest first, with their
  time in the portal's zone.

The callback is a correlated MIN over calls by (phone, start_at), the index that serves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, not_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kpi.activities import CONNECTED, epoch_seconds
from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.periods import Period, previous
from kpi.scope import Scope, sales_employees
from kpi.settings import KpiSettings
from store.models import Call

INCOMING_TYPES = (2, 3)
OUTGOING_TYPES = (1, 4)
# Calls a person takes part in: every type but 5, the robot info-call.
CALLBACK_TYPES = (1, 2, 3, 4)
NULL_EMPLOYEE = "Без сотрудника"


@dataclass(frozen=True)
class MissedCounts:
    missed: int = 0
    called_back: int = 0
    lost: int = 0
    callback_seconds: int = 0  # the sum of delays over the called-back ones

    def __add__(self, other: MissedCounts) -> MissedCounts:
        return MissedCounts(
            self.missed + other.missed,
            self.called_back + other.called_back,
            self.lost + other.lost,
            self.callback_seconds + other.callback_seconds,
        )

    @property
    def avg_callback_seconds(self) -> int | None:
        return average(self.callback_seconds, self.called_back)


@dataclass(frozen=True)
class OpenCall:
    phone: str
    at: datetime
    employee_id: int | None
    employee: str


@dataclass(frozen=True)
class MissedRow:
    employee_id: int | None
    employee: str
    missed: int
    missed_called_back: int
    missed_lost: int
    avg_callback_seconds: int | None
    open: tuple[OpenCall, ...]


@dataclass(frozen=True)
class MissedReport:
    meta: ReportMeta
    rows: tuple[MissedRow, ...]
    total: MissedRow
    previous_total: MissedRow


def average(total: int, count: int) -> int | None:
    """Whole-second mean, half up; None over nothing."""
    return None if count <= 0 else (2 * total + count) // (2 * count)


def user_filter(column: Any, user_ids: Sequence[int], include_null: bool) -> ColumnElement[bool]:
    chosen = col(column).in_(list(user_ids))
    return or_(chosen, col(column).is_(None)) if include_null else chosen


def is_missed() -> ColumnElement[bool]:
    return col(Call.call_type).in_(INCOMING_TYPES) & (col(Call.failed_code) != CONNECTED)


def callers(session: Session, settings: KpiSettings) -> list[int]:
    """Who can call a client back: every active sales employee."""
    return [e.id for e in sales_employees(session, settings)]


def missed_counts(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    *,
    include_null: bool,
    caller_ids: Sequence[int],
) -> dict[int | None, MissedCounts]:
    """Per user (None: nobody took it): missed, called back, lost, sum of delays."""
    missed = aliased(Call, name="missed")
    callback = aliased(Call, name="callback")
    callback_at = (
        select(func.min(col(callback.start_at)))
        .where(
            col(callback.phone) == col(missed.phone),
            col(missed.phone) != "",
            col(callback.start_at) > col(missed.start_at),
            col(callback.failed_code) == CONNECTED,
            col(callback.call_type).in_(CALLBACK_TYPES),
            col(callback.user_id).in_(list(caller_ids)),
        )
        .correlate(missed)
        .scalar_subquery()
    )
    inner = (
        select(
            col(missed.user_id).label("user_id"),
            col(missed.start_at).label("at"),
            callback_at.label("callback_at"),
        )
        .where(
            col(missed.call_type).in_(INCOMING_TYPES),
            col(missed.failed_code) != CONNECTED,
            col(missed.start_at) >= period.start,
            col(missed.start_at) < period.end,
            user_filter(missed.user_id, user_ids, include_null),
        )
        # Materialised: flattened, the correlated callback lookup would run once for each
        # of the three places that read it.
        .cte("missed_calls")
        .prefix_with("MATERIALIZED")
    )
    delay = epoch_seconds(session, inner.c.callback_at) - epoch_seconds(session, inner.c.at)
    window = int(settings.callback_window.total_seconds())
    lost = or_(inner.c.callback_at.is_(None), delay > window)
    query = select(
        inner.c.user_id,
        func.count(),
        func.count(inner.c.callback_at),
        func.sum(case((lost, 1), else_=0)),
        func.sum(delay),
    ).group_by(inner.c.user_id)
    return {
        uid: MissedCounts(int(n), int(back), int(lost_n or 0), int(delays or 0))
        for uid, n, back, lost_n, delays in session.execute(query)
    }


def open_calls(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    *,
    include_null: bool,
    caller_ids: Sequence[int],
    names: Mapping[int, str],
) -> tuple[OpenCall, ...]:
    """Missed calls of the period that nobody has called back yet, oldest first."""
    missed = aliased(Call, name="missed")
    callback = aliased(Call, name="callback")
    called_back = exists(
        select(col(callback.id)).where(
            col(callback.phone) == col(missed.phone),
            col(callback.start_at) > col(missed.start_at),
            col(callback.failed_code) == CONNECTED,
            col(callback.call_type).in_(CALLBACK_TYPES),
            col(callback.user_id).in_(list(caller_ids)),
        )
    )
    query = (
        select(col(missed.phone), col(missed.start_at), col(missed.user_id))
        .where(
            col(missed.call_type).in_(INCOMING_TYPES),
            col(missed.failed_code) != CONNECTED,
            col(missed.start_at) >= period.start,
            col(missed.start_at) < period.end,
            user_filter(missed.user_id, user_ids, include_null),
            or_(col(missed.phone) == "", not_(called_back)),
        )
        .order_by(col(missed.start_at), col(missed.id))
    )
    return tuple(
        OpenCall(
            phone,
            at.astimezone(period.tz),
            uid,
            names.get(uid, NULL_EMPLOYEE) if uid is not None else NULL_EMPLOYEE,
        )
        for phone, at, uid in session.execute(query)
    )


def _row(
    employee_id: int | None, name: str, counts: MissedCounts, open_: tuple[OpenCall, ...]
) -> MissedRow:
    return MissedRow(
        employee_id=employee_id,
        employee=name,
        missed=counts.missed,
        missed_called_back=counts.called_back,
        missed_lost=counts.lost,
        avg_callback_seconds=counts.avg_callback_seconds,
        open=open_,
    )


def missed_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> MissedReport:
    include_null = scope.kind == "company"
    caller_ids = callers(session, settings)
    names = {e.id: e.name for e in scope.employees}
    prev = previous(period, now=now)
    counts, prev_counts = (
        missed_counts(
            session,
            scope.employee_ids,
            p,
            settings,
            include_null=include_null,
            caller_ids=caller_ids,
        )
        for p in (period, prev)
    )
    opened = open_calls(
        session,
        scope.employee_ids,
        period,
        include_null=include_null,
        caller_ids=caller_ids,
        names=names,
    )
    keys: list[int | None] = [e.id for e in scope.employees]
    if include_null:
        keys.append(None)
    rows = tuple(
        _row(
            uid,
            names[uid] if uid is not None else NULL_EMPLOYEE,
            counts.get(uid, MissedCounts()),
            tuple(o for o in opened if o.employee_id == uid),
        )
        for uid in keys
    )
    whole = sum((counts.get(uid, MissedCounts()) for uid in keys), MissedCounts())
    before = sum((prev_counts.get(uid, MissedCounts()) for uid in keys), MissedCounts())
    return MissedReport(
        meta=ReportMeta("missed", scope, period, prev, data_as_of(session)),
        rows=rows,
        total=_row(None, TOTAL_NAME, whole, opened),
        previous_total=_row(None, TOTAL_NAME, before, ()),
    )


def open_json(call: OpenCall) -> dict[str, Any]:
    return {
        "phone": call.phone,
        "at": call.at.isoformat(),
        "employee_id": call.employee_id,
        "employee": call.employee,
    }


def row_json(row: MissedRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "missed": row.missed,
        "missed_called_back": row.missed_called_back,
        "missed_lost": row.missed_lost,
        "avg_callback_seconds": row.avg_callback_seconds,
        "open": [open_json(call) for call in row.open],
    }


def to_json(report: MissedReport) -> dict[str, Any]:
    previous_total = row_json(report.previous_total)
    del previous_total["open"]
    return {
        **meta_json(report.meta),
        "rows": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
        "previous_total": previous_total,
    }
