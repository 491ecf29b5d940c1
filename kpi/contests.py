"""Contest standings (DESIGN.md item 18): a metric over a range of days, ranked.

Standings: the contest metric over its range (the start day to the end day, both included,
cut to today while it runs) for every employee of its scope, ranked like the rating: more
first, then more revenue over the same range, then name (then id). A team contest ranks
the teams, each department directly below a sales department with its tree, by the sum of
their members' values, or the per-member average (``team_mode``); a member belongs to the
team above their main department.

No metric is defined here a second time: ``calls`` .. ``revenue`` are ``kpi.kpiplan.facts``
(the kpi report's own facts), ``deals_won`` and the tie-breaking revenue are
``kpi.deals.won_by_employee`` (the plan report's), ``points`` are ``kpi.rating``'s.
So a revenue contest equals the revenue report over the same range, to the kopeck.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from kpi.deals import CENT, ZERO, won_by_employee
from kpi.kpiplan import facts
from kpi.missed import callers
from kpi.periods import Period, range_period
from kpi.rating import employee_counts, points
from kpi.scope import Employee, Scope, company_scope, department_scope, department_tree
from kpi.settings import METRICS, KpiSettings
from store.game_models import Contest
from store.models import Department

CONTEST_METRICS: tuple[str, ...] = (*METRICS[:6], "deals_won", "revenue", "points")
KINDS: tuple[str, ...] = ("top", "target", "teams")
TEAM_MODES: tuple[str, ...] = ("sum", "average")


@dataclass(frozen=True)
class Standing:
    rank: int
    id: int  # the employee's id, or the team's department id
    name: str
    value: Decimal
    revenue: Decimal
    members: int = 1  # a team's employees; 1 for a person

    def reached(self, target: Decimal | None) -> bool:
        return target is not None and self.value >= target

    def distance(self, target: Decimal | None) -> Decimal | None:
        """How much is still missing to the target (0 once reached); None without one."""
        return None if target is None else max(target - self.value, Decimal(0))


@dataclass(frozen=True)
class Standings:
    contest: Contest
    status: str  # scheduled, running, finished, stopped
    period: Period  # the range the figures cover (cut to today while running)
    scope: Scope
    rows: tuple[Standing, ...]  # best first
    teams: bool

    @property
    def target(self) -> Decimal | None:
        return None if self.contest.target is None else Decimal(self.contest.target)

    @property
    def leader(self) -> Standing | None:
        """The first row, when it has something to lead with."""
        return self.rows[0] if self.rows and self.rows[0].value > 0 else None

    @property
    def leader_key(self) -> str | None:
        lead = self.leader
        return None if lead is None else f"{'d' if self.teams else 'e'}{lead.id}"


def status_of(contest: Contest, now: datetime, tz: ZoneInfo) -> str:
    """scheduled before its start day, running through its end day, then finished;
    stopped once someone stopped it."""
    if contest.stopped_at is not None:
        return "stopped"
    today = now.astimezone(tz).date()
    if today < contest.start_day:
        return "scheduled"
    return "running" if today <= contest.end_day else "finished"


def contest_period(contest: Contest, settings: KpiSettings, *, now: datetime) -> Period:
    """The start day to the end day, cut to today while the contest runs."""
    today = now.astimezone(settings.tz).date()
    last = contest.end_day
    if contest.stopped_at is not None:
        last = min(last, contest.stopped_at.astimezone(settings.tz).date())
    last = max(contest.start_day, min(last, today))
    return range_period(contest.start_day, last, now=now, tz=settings.tz)


def metric_values(
    session: Session,
    employees: Sequence[Employee],
    period: Period,
    metric: str,
    settings: KpiSettings,
) -> dict[int, Decimal]:
    """Each employee's value of a contest metric over the period, by kpi's own functions."""
    ids = [e.id for e in employees]
    if metric in METRICS:
        return {
            uid: figures[metric]
            for uid, figures in facts(session, ids, period, settings, (metric,)).items()
        }
    if metric == "deals_won":
        return {uid: Decimal(n) for uid, (n, _) in won_by_employee(session, ids, period).items()}
    if metric == "points":
        counts = employee_counts(session, ids, period, settings, callers(session, settings))
        return {uid: points(c, settings.weights) for uid, c in counts.items()}
    msg = f"unknown contest metric {metric!r}; metrics: {', '.join(CONTEST_METRICS)}"
    raise ValueError(msg)


def _ranked(items: list[tuple[int, str, Decimal, Decimal, int]]) -> tuple[Standing, ...]:
    items.sort(key=lambda x: (-x[2], -x[3], x[1], x[0]))
    return tuple(
        Standing(place, ident, name, value, revenue, members)
        for place, (ident, name, value, revenue, members) in enumerate(items, start=1)
    )


def teams_of(session: Session, settings: KpiSettings, within: int | None = None) -> dict[int, str]:
    """The teams: each department directly below a sales department (below a top one when
    no sales departments are configured), by id with its name. A contest of one department
    (``within``) has the departments directly below it as its teams."""
    rows = list(
        session.execute(
            select(col(Department.id), col(Department.parent_id), col(Department.name))
        )
    )
    tops = set(settings.sales_departments) or {d for d, parent, _ in rows if parent is None}
    if within is not None:
        tops = {within}
    return {d: name for d, parent, name in rows if parent in tops and d not in tops}


def parents_of(session: Session) -> dict[int, int | None]:
    query = select(col(Department.id), col(Department.parent_id))
    return {d: p for d, p in session.execute(query)}


def team_of_employee(
    parents: Mapping[int, int | None], teams: Mapping[int, str], employee: Employee
) -> int | None:
    """The team above the employee's main department (None: they belong to no team)."""
    dept, seen = employee.department_id, set[int]()
    while dept is not None and dept not in seen:
        if dept in teams:
            return dept
        seen.add(dept)
        dept = parents.get(dept)
    return None


def contest_scope(session: Session, contest: Contest, settings: KpiSettings) -> Scope:
    if contest.department_id is None:
        return company_scope(session, settings)
    return department_scope(session, settings, contest.department_id)


def standings(
    session: Session, contest: Contest, settings: KpiSettings, *, now: datetime
) -> Standings:
    scope = contest_scope(session, contest, settings)
    period = contest_period(contest, settings, now=now)
    values = metric_values(session, scope.employees, period, contest.metric, settings)
    revenue = {
        uid: r for uid, (_, r) in won_by_employee(session, scope.employee_ids, period).items()
    }
    teams = contest.kind == "teams"
    if not teams:
        rows = _ranked([(e.id, e.name, values[e.id], revenue[e.id], 1) for e in scope.employees])
    else:
        names = teams_of(session, settings, contest.department_id)
        parents = parents_of(session)
        members: dict[int, list[int]] = {}
        for e in scope.employees:
            team = team_of_employee(parents, names, e)
            if team is not None:
                members.setdefault(team, []).append(e.id)
        items = []
        for team, ids in members.items():
            total = sum((values[uid] for uid in ids), Decimal(0))
            if contest.team_mode == "average":
                total = (total / len(ids)).quantize(CENT, ROUND_HALF_UP)
            items.append(
                (team, names[team], total, sum((revenue[u] for u in ids), ZERO), len(ids))
            )
        rows = _ranked(items)
    status = status_of(contest, now, settings.tz)
    return Standings(contest, status, period, scope, rows, teams)


def contests_in(session: Session, *, include_stopped: bool = True) -> list[Contest]:
    query = select(Contest).order_by(col(Contest.start_day), col(Contest.id))
    if not include_stopped:
        query = query.where(col(Contest.stopped_at).is_(None))
    return list(session.execute(query).scalars())


def running_contests(
    session: Session,
    settings: KpiSettings,
    *,
    now: datetime,
    department_id: int | None = None,
    wider: bool = True,
) -> list[Standings]:
    """The running contest(s) a scope takes part in, with their standings (for the TV too).

    ``department_id`` None: every running contest. A department: those of its own tree, and
    with ``wider`` also the company-wide ones and those of departments above it (a screen
    may show them; a department's chat must not see other departments' people).
    """
    return [
        standings(session, c, settings, now=now)
        for c in contests_for(session, settings, department_id, wider=wider)
        if status_of(c, now, settings.tz) == "running"
    ]


def contests_for(
    session: Session, settings: KpiSettings, department_id: int | None, *, wider: bool
) -> list[Contest]:
    """Contests (not stopped) that a department's people take part in; all for None."""
    contests = contests_in(session, include_stopped=False)
    if department_id is None:
        return contests
    own = department_tree(session, [department_id])
    related = set(own)
    parents = parents_of(session)
    up = parents.get(department_id)
    while up is not None and up not in related:
        related.add(up)
        up = parents.get(up)
    allowed: set[int | None] = {*related, None} if wider else set(own)
    return [c for c in contests if c.department_id in allowed]
