"""Tables of contests, badges and streak records (DESIGN.md item 18).

Kept apart from ``store.models`` (the portal's copy): these rows are ours, not synced, and a
full re-sync must never touch them. Figures are never stored here (kpi computes them from
the portal's copy); only what people decided (a contest) and what was announced (a badge,
a record) is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, Index, Integer, String, Text, UniqueConstraint, select
from sqlmodel import Field, SQLModel, col

from store.types import UTCDateTime


def _dt(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Contest(SQLModel, table=True):
    """A contest: a metric over a range of days, for the sales team or one department tree.

    ``target`` is a decimal as text (exact, and free of SQLite's float Numeric); set for the
    "target" kind only. ``stopped_at`` ends it early. ``leader`` remembers whom the last
    standings post named first ("e12" or "d3"), so a change of leader is seen once.
    """

    __tablename__ = "game_contests"
    __table_args__ = (Index("ix_game_contests_days", "start_day", "end_day"),)

    id: int | None = Field(
        default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=True)
    )
    name: str = Field(sa_type=String(120))
    metric: str = Field(sa_type=String(32))
    kind: str = Field(default="top", sa_type=String(16))  # top, target, teams
    start_day: date = Field(sa_column=Column(Date(), nullable=False))
    end_day: date = Field(sa_column=Column(Date(), nullable=False))
    target: str | None = Field(default=None, sa_type=String(32))
    department_id: int | None = Field(default=None)
    team_mode: str = Field(default="sum", sa_type=String(16))  # sum, average
    prize: str = Field(default="", sa_column=Column(Text(), nullable=False))
    created_by: str = Field(default="", sa_type=String(64))  # "cli", "telegram:42", ...
    created_at: datetime = _dt(nullable=False)
    stopped_at: datetime | None = _dt()
    leader: str | None = Field(default=None, sa_type=String(32))
    leader_at: datetime | None = _dt()
    # The first to reach the target (kind "target"): seen by the contest job, kept.
    winner_id: int | None = Field(default=None)
    winner_at: datetime | None = _dt()


class BadgeAward(SQLModel, table=True):
    """A badge given to one person for one rule and period; the unique key is the promise."""

    __tablename__ = "game_badges"
    __table_args__ = (
        UniqueConstraint("employee_id", "rule", "period", name="uq_game_badges_award"),
        Index("ix_game_badges_employee", "employee_id", "awarded_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=True)
    )
    employee_id: int
    rule: str = Field(sa_type=String(32))
    period: str = Field(sa_type=String(32))  # "2026-12", "2026-12-03", "2026-W49"
    value: str = Field(default="", sa_type=String(64))  # what earned it, as text
    awarded_at: datetime = _dt(nullable=False)


class StreakRecord(SQLModel, table=True):
    """An employee's longest streak for a metric as announced: beating it is news once."""

    __tablename__ = "game_streak_records"

    employee_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    metric: str = Field(primary_key=True, sa_type=String(32))
    best: int = 0
    # The first day of the record streak: a retry of the same streak is not a new record.
    best_start: date | None = Field(default=None, sa_column=Column(Date(), nullable=True))
    updated_at: datetime = _dt(nullable=False)


def add_contest(session: Any, contest: Contest) -> int:
    """Store a new contest (already checked) and return its id."""
    session.add(contest)
    session.commit()
    session.refresh(contest)
    assert contest.id is not None
    return contest.id


def stop_contest(session: Any, contest_id: int, now: datetime) -> Contest | None:
    """Stop a contest (once: a second stop keeps the first time); None when there is none."""
    contest: Contest | None = session.get(Contest, contest_id)
    if contest is None:
        return None
    if contest.stopped_at is None:
        contest.stopped_at = now
        session.add(contest)
        session.commit()
        session.refresh(contest)
    return contest


def awards_of(session: Any, employee_id: int, limit: int = 10) -> list[BadgeAward]:
    """A person's badges, the newest first."""
    query = (
        select(BadgeAward)
        .where(col(BadgeAward.employee_id) == employee_id)
        .order_by(col(BadgeAward.awarded_at).desc(), col(BadgeAward.id).desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def records_of(session: Any, employee_id: int) -> dict[str, int]:
    """A person's longest streak per metric as the streak job last kept it."""
    query = select(StreakRecord).where(col(StreakRecord.employee_id) == employee_id)
    return {r.metric: r.best for r in session.execute(query).scalars()}


GAME_TABLES: tuple[type[SQLModel], ...] = (Contest, BadgeAward, StreakRecord)
