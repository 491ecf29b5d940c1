"""Tables of the scheduled jobs: the delivery ledger and the scheduler's leader lease.

Kept apart from ``store.models`` (the portal's copy): these rows are ours, not synced, and a
full re-sync must never touch them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime


def _dt(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class JobDelivery(SQLModel, table=True):
    """One message of one job's slot to one chat: claimed before it is sent, marked after.

    The primary key is the promise: a second run, a second process or a job fired twice
    cannot insert the same (job, slot, chat) again, so nothing is posted twice. ``chat`` is
    ``"*"`` for the marker that says the whole slot is done (nothing left to send).
    """

    __tablename__ = "job_deliveries"
    __table_args__ = (Index("ix_job_deliveries_claimed", "claimed_at"),)

    job: str = Field(primary_key=True, sa_type=String(32))
    slot: str = Field(primary_key=True, sa_type=String(96))
    chat: str = Field(primary_key=True, sa_type=String(96))
    state: str = Field(default="sending", sa_type=String(16))  # sending, sent, done
    owner: str = Field(default="", sa_type=String(96))  # the run that claimed it
    claimed_at: datetime = _dt(nullable=False)
    sent_at: datetime | None = _dt()


class JobLease(SQLModel, table=True):
    """Who runs the schedule when the store has no advisory locks (SQLite): a renewed lease."""

    __tablename__ = "job_leases"

    name: str = Field(primary_key=True, sa_type=String(32))
    owner: str = Field(sa_type=String(96))
    expires_at: datetime = _dt(nullable=False)


JOB_TABLES: tuple[type[SQLModel], ...] = (JobDelivery, JobLease)
