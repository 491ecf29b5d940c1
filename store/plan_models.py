"""Plans set by heads (chat, Excel) and monthly channel costs, each change kept with who and when.

Rows are never updated: setting a plan adds a row, and the current value of a target is its
newest row (highest id). A row whose value is null removes the override: the config's plan
applies again. Config plans are the defaults; these override them (``kpi.plans_store``).
These rows are ours, not synced: a full re-sync never touches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Integer, String, func, select
from sqlmodel import Field, Session, SQLModel, col

from store.types import Money, UTCDateTime


def _id() -> Any:
    return Field(default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=True))


class PlanEntry(SQLModel, table=True):
    """One target set: ``target_kind`` department or employee, per period length and metric."""

    __tablename__ = "plan_entries"
    __table_args__ = (
        Index("ix_plan_entries_target", "target_kind", "target_id", "length", "metric", "id"),
    )

    id: int | None = _id()
    target_kind: str = Field(sa_type=String(16))
    target_id: int
    length: str = Field(sa_type=String(16))  # day, week, month, quarter, year
    metric: str = Field(sa_type=String(32))
    value: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))
    set_by: str = Field(default="", sa_type=String(64))  # "telegram:42 (user 17)", "xlsx", ...
    set_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ChannelCost(SQLModel, table=True):
    """What a lead source cost in one month (``YYYY-MM``), in the account currency."""

    __tablename__ = "channel_costs"
    __table_args__ = (Index("ix_channel_costs_source_month", "source_id", "month", "id"),)

    id: int | None = _id()
    source_id: str = Field(sa_type=String(64))
    month: str = Field(sa_type=String(7))
    amount: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))
    set_by: str = Field(default="", sa_type=String(64))
    set_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


PLAN_TABLES: tuple[type[SQLModel], ...] = (PlanEntry, ChannelCost)


@dataclass(frozen=True)
class PlanChange:
    target_kind: str
    target_id: int
    length: str
    metric: str
    value: Decimal | None


def current_plans(session: Session) -> list[PlanEntry]:
    """The newest row of every target that has one, removals (value null) included."""
    newest = select(func.max(col(PlanEntry.id))).group_by(
        col(PlanEntry.target_kind),
        col(PlanEntry.target_id),
        col(PlanEntry.length),
        col(PlanEntry.metric),
    )
    query = select(PlanEntry).where(col(PlanEntry.id).in_(newest)).order_by(col(PlanEntry.id))
    return list(session.execute(query).scalars())


def record_plans(
    session: Session, changes: Iterable[PlanChange], *, set_by: str, at: datetime
) -> int:
    """Add one row per change (the caller commits: all of them or none)."""
    rows = [
        PlanEntry(
            target_kind=c.target_kind,
            target_id=c.target_id,
            length=c.length,
            metric=c.metric,
            value=c.value,
            set_by=set_by[:64],
            set_at=at,
        )
        for c in changes
    ]
    session.add_all(rows)
    return len(rows)


def plan_history(
    session: Session, target_kind: str, target_id: int, length: str, metric: str
) -> list[PlanEntry]:
    query = (
        select(PlanEntry)
        .where(
            col(PlanEntry.target_kind) == target_kind,
            col(PlanEntry.target_id) == target_id,
            col(PlanEntry.length) == length,
            col(PlanEntry.metric) == metric,
        )
        .order_by(col(PlanEntry.id))
    )
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class CostChange:
    source_id: str
    month: str  # YYYY-MM
    amount: Decimal | None  # None: the config's cost applies again


def record_costs(
    session: Session, changes: Iterable[CostChange], *, set_by: str, at: datetime
) -> int:
    """Add one row per change (the caller commits)."""
    rows = [
        ChannelCost(
            source_id=c.source_id, month=c.month, amount=c.amount, set_by=set_by[:64], set_at=at
        )
        for c in changes
    ]
    session.add_all(rows)
    return len(rows)
