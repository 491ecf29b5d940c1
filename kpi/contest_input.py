"""A contest as someone asked for it (CLI flags or chat answers), checked before it is stored.

Every refusal names what is wrong and what is allowed, so a chat can reply with the message
as it is and store nothing. Days are local calendar days in the portal's zone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlmodel import Session, col

from kpi.contests import CONTEST_METRICS, KINDS, TEAM_MODES, teams_of
from kpi.periods import PeriodError, parse_period
from kpi.settings import KpiSettings
from store.models import Department

NAME_LIMIT = 120
PRIZE_LIMIT = 500


class ContestError(ValueError):
    """A contest that cannot be started; the message says what is allowed.

    ``code`` and ``params`` let a chat say the same in its own words (``bot.game_texts``).
    """

    def __init__(self, message: str, code: str = "", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ContestDraft:
    name: str
    metric: str
    kind: str
    start: date
    end: date
    target: Decimal | None
    department_id: int | None
    prize: str
    team_mode: str


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        msg = f"{what} {text!r} is not a day; write YYYY-MM-DD, for example 2026-12-01"
        raise ContestError(msg, "day", value=text) from None


def period_days(text: str, *, now: datetime, settings: KpiSettings) -> tuple[date, date]:
    """The first and last day of a period word ("week", "month", "неделя") or range."""
    try:
        period = parse_period(text, now=now, tz=settings.tz)
    except PeriodError as exc:
        raise ContestError(str(exc), "period", value=text) from None
    first = period.start.astimezone(settings.tz).date()
    last = period.end.astimezone(settings.tz).date()
    return first, date.fromordinal(last.toordinal() - 1)


def check_contest(
    session: Session,
    settings: KpiSettings,
    *,
    name: str,
    metric: str,
    start: date,
    end: date,
    now: datetime,
    kind: str = "top",
    target: str | Decimal | None = None,
    department_id: int | None = None,
    prize: str = "",
    team_mode: str = "sum",
    max_days: int = 366,
    allowed_departments: Collection[int] | None = None,
) -> ContestDraft:
    """The contest to store, or ContestError naming the problem and what is allowed.

    ``allowed_departments``: the departments the one asking may run contests for (a head:
    their tree); None: any, and the whole sales team (an admin, the CLI).
    """
    name = " ".join(name.split())
    if not name or len(name) > NAME_LIMIT:
        msg = f"the contest needs a name of 1 to {NAME_LIMIT} characters"
        raise ContestError(msg, "name", limit=NAME_LIMIT)
    metric = metric.strip().lower()
    if metric not in CONTEST_METRICS:
        msg = f"unknown metric {metric!r}; metrics: {', '.join(CONTEST_METRICS)}"
        raise ContestError(msg, "metric", value=metric, allowed=CONTEST_METRICS)
    kind = kind.strip().lower()
    if kind not in KINDS:
        msg = f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}"
        raise ContestError(msg, "kind", value=kind, allowed=KINDS)
    if team_mode not in TEAM_MODES:
        msg = f"unknown team mode {team_mode!r}; modes: {', '.join(TEAM_MODES)}"
        raise ContestError(msg, "team_mode", value=team_mode, allowed=TEAM_MODES)
    _check_days(start, end, now=now, settings=settings, max_days=max_days)
    wanted = _target(kind, target)
    _check_department(session, department_id, allowed_departments)
    if kind == "teams" and len(teams_of(session, settings, department_id)) < 2:
        msg = (
            "a team contest needs at least two teams (departments directly below a sales "
            "department); use --kind top instead"
        )
        raise ContestError(msg, "teams")
    if len(prize) > PRIZE_LIMIT:
        msg = f"the prize text is too long: at most {PRIZE_LIMIT} characters"
        raise ContestError(msg, "prize", limit=PRIZE_LIMIT)
    return ContestDraft(
        name, metric, kind, start, end, wanted, department_id, prize.strip(), team_mode
    )


def _check_days(
    start: date, end: date, *, now: datetime, settings: KpiSettings, max_days: int
) -> None:
    if end < start:
        msg = f"the contest ends ({end}) before it starts ({start}); put the start day first"
        raise ContestError(msg, "order", start=start, end=end)
    days = (end - start).days + 1
    if days > max_days:
        msg = f"a contest lasts at most {max_days} days, not {days}; choose a shorter range"
        raise ContestError(msg, "length", days=days, limit=max_days)
    today = now.astimezone(settings.tz).date()
    if end < today:
        msg = f"the contest would be over already (it ends {end}, today is {today}); "
        msg += "end it today or later"
        raise ContestError(msg, "over", end=end, today=today)


def _target(kind: str, target: str | Decimal | None) -> Decimal | None:
    if kind != "target":
        if target not in (None, ""):
            msg = "a target is only for the kind 'target' (a race to it); "
            msg += "drop it or use --kind target"
            raise ContestError(msg, "target_kind")
        return None
    try:
        value = Decimal(str(target).replace(",", ".").replace(" ", "")) if target else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        msg = f"a race needs a target above 0, not {target!r}; for example --target 50"
        raise ContestError(msg, "target", value=target)
    return value


def _check_department(
    session: Session, department_id: int | None, allowed: Collection[int] | None
) -> None:
    if department_id is not None and session.get(Department, department_id) is None:
        msg = f"no department with id {department_id}; {_allowed_text(session, allowed)}"
        raise ContestError(
            msg, "department", value=department_id, allowed=_names(session, allowed)
        )
    if allowed is None:
        return
    if department_id is None or department_id not in allowed:
        what = "the whole sales team" if department_id is None else f"department {department_id}"
        msg = f"you may not start a contest for {what}; {_allowed_text(session, allowed)}"
        raise ContestError(
            msg, "not_allowed", value=department_id, allowed=_names(session, allowed)
        )


def _names(session: Session, allowed: Collection[int] | None) -> tuple[str, ...]:
    """'12 Отдел продаж' for each department allowed (None: every one there is)."""
    query = select(col(Department.id), col(Department.name)).order_by(col(Department.id))
    rows = session.execute(query)
    return tuple(f"{d} {name}" for d, name in rows if allowed is None or d in allowed)


def _allowed_text(session: Session, allowed: Collection[int] | None) -> str:
    if allowed is None:
        return "leave the department out for the whole sales team"
    return "allowed: " + (", ".join(_names(session, allowed)) or "none")
