"""The "rating" report: the leaderboard of weighted points, ranks and their change.

Counts per employee in the period (DESIGN.md):
- ``successful_calls``/``connected_calls``/``talk_seconds``: telephony records by their user
  (``kpi.calls``), not CRM activities;
- ``emails``: completed outgoing e-mail activities; ``meetings``: completed meetings, both
  credited to the responsible user and counted by start time (``kpi.activities``);
- ``deals_won``/``revenue``/``new_deals``: ``kpi.deals``;
- ``missed_lost``: missed calls credited to them and lost (``kpi.missed``).

Points: the sum over kinds of weight x count, rounded to one decimal half up, in Decimal.
Kinds and their counts: successful_call, outgoing_email, meeting, deal_won,
missed_call_lost, new_deal, connected_call, and talk_minute (talk seconds / 60, exact).
A kind missing from ``settings.weights`` takes its default weight.

Ranks run 1..n over every employee in scope, zeros included, with no shared places: more
points first, then more revenue, then name (then id, so equal names stay stable).
``previous_rank`` is the same computation over the previous period; ``rank_change`` is
previous_rank - rank, positive when the employee moved up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from kpi.activities import counts_by_employee
from kpi.calls import CallCounts, call_counts
from kpi.common import ReportMeta, data_as_of
from kpi.deals import (
    TOTAL_NAME,
    ZERO,
    meta_json,
    money_json,
    new_deals_by_employee,
    won_by_employee,
)
from kpi.missed import MissedCounts, callers, missed_counts
from kpi.periods import Period, previous
from kpi.scope import Employee, Scope
from kpi.settings import DEFAULT_WEIGHTS, KpiSettings

POINT = Decimal("0.1")
MINUTE = Decimal(60)


@dataclass(frozen=True)
class Counts:
    successful_calls: int = 0
    emails: int = 0
    meetings: int = 0
    deals_won: int = 0
    revenue: Decimal = ZERO
    missed_lost: int = 0
    new_deals: int = 0
    connected_calls: int = 0
    talk_seconds: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.successful_calls + other.successful_calls,
            self.emails + other.emails,
            self.meetings + other.meetings,
            self.deals_won + other.deals_won,
            self.revenue + other.revenue,
            self.missed_lost + other.missed_lost,
            self.new_deals + other.new_deals,
            self.connected_calls + other.connected_calls,
            self.talk_seconds + other.talk_seconds,
        )

    def of_kind(self, kind: str) -> Decimal:
        amounts = {
            "successful_call": self.successful_calls,
            "outgoing_email": self.emails,
            "meeting": self.meetings,
            "deal_won": self.deals_won,
            "missed_call_lost": self.missed_lost,
            "new_deal": self.new_deals,
            "connected_call": self.connected_calls,
        }
        if kind == "talk_minute":
            return Decimal(self.talk_seconds) / MINUTE
        if kind not in amounts:
            msg = f"unknown scoring kind {kind!r}; known: {', '.join(DEFAULT_WEIGHTS)}"
            raise ValueError(msg)
        return Decimal(amounts[kind])


@dataclass(frozen=True)
class RatingRow:
    employee_id: int | None
    employee: str
    rank: int | None
    points: Decimal
    successful_calls: int
    emails: int
    meetings: int
    deals_won: int
    revenue: Decimal
    missed_lost: int
    new_deals: int
    connected_calls: int
    talk_seconds: int
    previous_rank: int | None
    rank_change: int | None


@dataclass(frozen=True)
class RatingReport:
    meta: ReportMeta
    rows: tuple[RatingRow, ...]  # by rank
    total: RatingRow
    previous_total: RatingRow


def points(counts: Counts, weights: Mapping[str, float]) -> Decimal:
    total = Decimal(0)
    for kind in DEFAULT_WEIGHTS.keys() | weights.keys():
        weight = Decimal(str(weights.get(kind, DEFAULT_WEIGHTS.get(kind, 0.0))))
        if weight:
            total += weight * counts.of_kind(kind)
    return total.quantize(POINT, ROUND_HALF_UP)


def employee_counts(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    caller_ids: Sequence[int],
) -> dict[int, Counts]:
    calls = call_counts(session, user_ids, period, settings)
    comms = counts_by_employee(session, user_ids, period, settings)
    won = won_by_employee(session, user_ids, period)
    new = new_deals_by_employee(session, user_ids, period)
    missed = missed_counts(
        session, user_ids, period, settings, include_null=False, caller_ids=caller_ids
    )
    result: dict[int, Counts] = {}
    for uid in user_ids:
        call = calls.get(uid, CallCounts())
        emails, meetings = comms.get(uid, (0, 0))
        deals, revenue = won.get(uid, (0, ZERO))
        result[uid] = Counts(
            successful_calls=call.successful,
            emails=emails,
            meetings=meetings,
            deals_won=deals,
            revenue=revenue,
            missed_lost=missed.get(uid, MissedCounts()).lost,
            new_deals=new.get(uid, 0),
            connected_calls=call.connected,
            talk_seconds=call.talk_seconds,
        )
    return result


def ranking(
    employees: Sequence[Employee], counts: Mapping[int, Counts], weights: Mapping[str, float]
) -> list[tuple[Employee, Counts, Decimal]]:
    """Employees with their counts and points, best first."""
    scored = [(e, counts[e.id], points(counts[e.id], weights)) for e in employees]
    return sorted(scored, key=lambda item: (-item[2], -item[1].revenue, item[0].name, item[0].id))


def _row(
    uid: int | None,
    name: str,
    counts: Counts,
    *,
    rank: int | None,
    score: Decimal,
    previous_rank: int | None,
) -> RatingRow:
    return RatingRow(
        employee_id=uid,
        employee=name,
        rank=rank,
        points=score,
        successful_calls=counts.successful_calls,
        emails=counts.emails,
        meetings=counts.meetings,
        deals_won=counts.deals_won,
        revenue=counts.revenue,
        missed_lost=counts.missed_lost,
        new_deals=counts.new_deals,
        connected_calls=counts.connected_calls,
        talk_seconds=counts.talk_seconds,
        previous_rank=previous_rank,
        rank_change=None if rank is None or previous_rank is None else previous_rank - rank,
    )


def rating_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> RatingReport:
    caller_ids = callers(session, settings)
    ids = scope.employee_ids
    prev = previous(period, now=now)
    current = ranking(
        scope.employees,
        employee_counts(session, ids, period, settings, caller_ids),
        settings.weights,
    )
    before = ranking(
        scope.employees,
        employee_counts(session, ids, prev, settings, caller_ids),
        settings.weights,
    )
    previous_ranks = {e.id: place for place, (e, _, _) in enumerate(before, start=1)}
    rows = tuple(
        _row(e.id, e.name, counts, rank=place, score=score, previous_rank=previous_ranks.get(e.id))
        for place, (e, counts, score) in enumerate(current, start=1)
    )
    return RatingReport(
        meta=ReportMeta("rating", scope, period, prev, data_as_of(session)),
        rows=rows,
        total=_total(current),
        previous_total=_total(before),
    )


def _total(ranked: Sequence[tuple[Employee, Counts, Decimal]]) -> RatingRow:
    counts = sum((c for _, c, _ in ranked), Counts())
    score = sum((s for _, _, s in ranked), Decimal("0.0"))
    return _row(None, TOTAL_NAME, counts, rank=None, score=score, previous_rank=None)


def row_json(row: RatingRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "rank": row.rank,
        "points": float(row.points),
        "successful_calls": row.successful_calls,
        "emails": row.emails,
        "meetings": row.meetings,
        "deals_won": row.deals_won,
        "revenue": money_json(row.revenue),
        "missed_lost": row.missed_lost,
        "previous_rank": row.previous_rank,
        "rank_change": row.rank_change,
    }


def to_json(report: RatingReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
        "previous_total": row_json(report.previous_total),
    }
