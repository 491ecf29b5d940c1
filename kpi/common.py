"""What every report shares: its name, scope, period, the previous period, data freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from kpi.periods import Period
from kpi.scope import Scope
from store.models import SyncState


@dataclass(frozen=True)
class ReportMeta:
    report: str
    scope: Scope
    period: Period
    previous: Period
    data_as_of: datetime | None


def data_as_of(session: Session) -> datetime | None:
    """When the store last matched the portal: the oldest successful sync over all entities."""
    value = session.execute(select(func.min(SyncState.last_success_at))).scalar_one_or_none()
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def local_day_bounds(period: Period) -> tuple[date, date]:
    """The calendar days [first, last_exclusive) a period covers, for date-only columns."""
    tz = period.start.tzinfo
    first = period.start.astimezone(tz).date()
    end_local = period.end.astimezone(tz)
    last_exclusive = end_local.date()
    if end_local.time() != datetime.min.time():
        # A running period cut at "now" still includes today's date-only records.
        last_exclusive = date.fromordinal(last_exclusive.toordinal() + 1)
    return first, last_exclusive
