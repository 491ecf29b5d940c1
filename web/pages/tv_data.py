"""What the TV shows, computed once per store change and scope.

The leaderboard and the totals are the rating report's JSON (``reports.build``: the code
path of ``crm-pulse report rating --json``), the plan bars the kpi report's total, the
contest ``kpi.contests``' standings. Everything is formatted to text here; the templates
only place it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from kpi.common import data_as_of
from kpi.deals import deal_won
from kpi.periods import parse_period
from kpi.scope import Scope
from kpi.settings import KpiSettings
from locales import _
from reports.build import build_report
from reports.kpi_words import kpi_word, metric_name
from store.models import Deal
from web.pages import formats, texts

log = logging.getLogger(__name__)

BOARD_ROWS = 10
WINS = 5
PLAN_BARS = 4
CONTEST_ROWS = 3
CONTEST_BARS = 3
CONTEST_TOTALS = frozenset({"points", "deals_won", "revenue"})
# The plan bars worth a wall: money and results first, then the activity behind them.
MAIN_METRICS = ("revenue", "successful_calls", "meetings", "new_deals", "calls", "emails")


@dataclass(frozen=True)
class BoardRow:
    employee_id: int
    name: str
    rank: int
    points: str
    change: int | None  # places moved up (negative: down); None: new in the ranking


@dataclass(frozen=True)
class Bar:
    name: str
    fact: str
    plan: str
    percent: int  # fact / plan, in whole percent (may pass 100)
    share: str  # the same as text: '76 %' or '76%'
    width: float  # the bar's fill, 0..100
    expected: float | None  # where "on pace" stands, 0..100
    status: str  # met, on_track, behind, missed


@dataclass(frozen=True)
class Total:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Win:
    name: str
    title: str
    amount: str
    day: str


@dataclass(frozen=True)
class ContestLine:
    rank: int
    name: str
    value: str


@dataclass(frozen=True)
class ContestView:
    name: str
    metric: str
    until: str
    prize: str
    lines: tuple[ContestLine, ...]


@dataclass(frozen=True)
class TvFigures:
    scope_name: str
    employees: int
    board: tuple[BoardRow, ...]
    plan: tuple[Bar, ...]
    today: tuple[Total, ...]
    month: tuple[Total, ...]
    wins: tuple[Win, ...]
    contest: ContestView | None
    as_of: datetime | None


def figure_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key == "revenue":
        return formats.money(Decimal(str(value)))
    if isinstance(value, float | Decimal) and value != int(value):
        return formats.number(value)
    return formats.count(value)


def _totals(total: dict[str, Any]) -> tuple[Total, ...]:
    return tuple(Total(k, _(label), figure_text(k, total[k])) for k, label in texts.TOTALS.items())


def _bars(kpi_total: dict[str, Any]) -> tuple[Bar, ...]:
    metrics = kpi_total["metrics"]
    bars: list[Bar] = []
    for name in (*MAIN_METRICS, *metrics):
        figure = metrics.get(name)
        if figure is None or not figure["plan"] or any(b.name == name for b in bars):
            continue
        plan = Decimal(str(figure["plan"]))
        fact = Decimal(str(figure["fact"]))
        expected = figure["expected_by_now"]
        share = fact / plan
        bars.append(
            Bar(
                name=name,
                fact=figure_text(name, figure["fact"]),
                plan=figure_text(name, figure["plan"]),
                percent=int(share * 100),
                share=formats.percent(int(share * 100) / 100),
                width=float(min(share, Decimal(1)) * 100),
                expected=None
                if expected is None
                else float(min(Decimal(str(expected)) / plan, Decimal(1)) * 100),
                status=figure["status"] or "behind",
            )
        )
        if len(bars) == PLAN_BARS:
            break
    return tuple(bars)


def _wins(session: Session, scope: Scope, now: datetime, settings: KpiSettings) -> tuple[Win, ...]:
    names = {e.id: e.name for e in scope.employees}
    if not names:
        return ()
    today = now.astimezone(settings.tz).date()
    query = (
        select(col(Deal.responsible_id), col(Deal.title), col(Deal.amount), col(Deal.close_date))
        .where(
            deal_won(), col(Deal.responsible_id).in_(list(names)), col(Deal.close_date) <= today
        )
        .order_by(col(Deal.close_date).desc(), col(Deal.modified_at).desc(), col(Deal.id).desc())
        .limit(WINS)
    )
    return tuple(
        Win(names[uid], title or "", formats.money(amount or 0), formats.day_month(day))
        for uid, title, amount, day in session.execute(query)
    )


def _contest(
    session: Session, scope: Scope, now: datetime, settings: KpiSettings
) -> ContestView | None:
    """The running contest of this scope; none when the contests' tables are not there."""
    try:
        from kpi.contests import running_contests
    except ImportError:  # a build without contests: the TV simply has no contest panel
        return None
    department = scope.id if scope.kind == "department" else None
    found = running_contests(session, settings, now=now, department_id=department)
    if not found:
        return None
    standings = found[0]
    contest = standings.contest
    metric = contest.metric
    lines = tuple(
        ContestLine(row.rank, row.name, figure_text(metric, row.value))
        for row in standings.rows[:CONTEST_ROWS]
    )
    return ContestView(
        name=contest.name,
        metric=metric_name(metric),
        until=_(texts.CONTEST_UNTIL).format(day=formats.day_month(contest.end_day)),
        prize=contest.prize or "",
        lines=lines,
    )


def tv_figures(
    session: Session, settings: KpiSettings, scope: Scope, *, now: datetime
) -> TvFigures:
    month = parse_period("month", now=now, tz=settings.tz)
    today = parse_period("today", now=now, tz=settings.tz)
    rating = build_report(session, settings, "rating", month, scope, now=now, render=False).data
    day = build_report(session, settings, "rating", today, scope, now=now, render=False).data
    kpi = build_report(session, settings, "kpi", month, scope, now=now, render=False).data
    board = tuple(
        BoardRow(
            employee_id=row["employee_id"],
            name=row["employee"],
            rank=row["rank"],
            points=figure_text("points", row["points"]),
            change=row["rank_change"],
        )
        for row in rating["rows"][:BOARD_ROWS]
    )
    try:
        contest = _contest(session, scope, now, settings)
    except Exception:  # the contest panel must never take the whole wall down
        log.exception("TV: the running contest could not be read")
        contest = None
    # A running contest takes room on the wall: fewer plan bars and totals make it fit.
    bars, today_totals, month_totals = (
        _bars(kpi["total"]),
        _totals(day["total"]),
        _totals(rating["total"]),
    )
    if contest is not None:
        bars = bars[:CONTEST_BARS]
        today_totals = tuple(t for t in today_totals if t.key in CONTEST_TOTALS)
        month_totals = tuple(t for t in month_totals if t.key in CONTEST_TOTALS)
    return TvFigures(
        scope_name=kpi_word(scope.name),
        employees=len(scope.employees),
        board=board,
        plan=bars,
        today=today_totals,
        month=month_totals,
        wins=_wins(session, scope, now, settings),
        contest=contest,
        as_of=data_as_of(session),
    )
