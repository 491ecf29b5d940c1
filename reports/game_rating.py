"""The rating with the leaders' running streaks, for the caption's "🔥 N".

The rating's figures and JSON stay ``kpi.rating``'s; only the caption reads ``streaks``.
Streaks are computed for the first places only (``LEADERS``), walking back no further than
their streaks reach, so the rating stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType

from sqlmodel import Session

from kpi.periods import Period
from kpi.rating import RatingReport, rating_report
from kpi.scope import Scope
from kpi.settings import KpiSettings
from kpi.streaks import current_streaks

LEADERS = 3
SHOWN_FROM = 2  # a streak of one day is not a streak yet
# The rating walks back no further than this many working days: a longer streak reads "10+"
# (a leader's 140-day streak would otherwise cost each rating 140 days of queries).
WALK = 10


@dataclass(frozen=True)
class StreakRating(RatingReport):
    # employee id -> their longest running streak over the metrics with a plan, as shown
    streaks: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))


def rating_with_streaks(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> StreakRating:
    report = rating_report(session, scope, period, settings, now=now)
    leaders = tuple(e for e in scope.employees if e.id in _leader_ids(report))
    found: dict[int, int] = {}
    if leaders:
        few = Scope(scope.kind, scope.id, scope.name, leaders)
        walked = current_streaks(session, few, settings, now=now, most=WALK)
        for (uid, _), days in walked.items():
            found[uid] = max(found.get(uid, 0), days)
    values = {f.name: getattr(report, f.name) for f in fields(report)}
    shown = {uid: _label(days) for uid, days in found.items() if days >= SHOWN_FROM}
    return StreakRating(**values, streaks=MappingProxyType(shown))


def _label(days: int) -> str:
    return f"{WALK}+" if days >= WALK else str(days)


def _leader_ids(report: RatingReport) -> set[int]:
    return {
        row.employee_id
        for row in report.rows[:LEADERS]
        if row.employee_id is not None and row.points > 0
    }
