"""What every job gets (``JobDeps``, built by ``app``) and what every run reports back."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from jobs.delivery import Sender, TeamChat
from jobs.game_settings import GameSettings
from jobs.people import People
from jobs.settings import ScheduleSettings
from kpi.settings import KpiSettings

Clock = Callable[[], datetime]
# crm.sync bound to its client and store by ``app``: (full) -> a SyncReport (``.ok``).
SyncFn = Callable[[bool], Awaitable[Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def owner_token() -> str:
    """Who claimed a delivery or holds the lease: host, process and this start."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class JobDeps:
    engine: Engine
    kpi: KpiSettings
    schedule: ScheduleSettings
    # A directory, or a function that gives the current one (heads change with the portal).
    people: People | Callable[[], People]
    team_chats: tuple[TeamChat, ...]
    sender: Sender
    sync: SyncFn
    clock: Clock = utc_now
    # False: team posts go out without charts (captions only); tests and dry runs.
    render_charts: bool = True
    owner: str = field(default_factory=owner_token)
    # One sync at a time in this process: the scheduled one and a pre-post one wait in line.
    sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # One run of each job at a time: a cron fire and a catch-up never overlap.
    job_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    # Contests, streaks and badges ([contests], [badges]).
    game: GameSettings = field(default_factory=GameSettings)

    def directory(self) -> People:
        return self.people() if callable(self.people) else self.people

    def job_lock(self, name: str) -> asyncio.Lock:
        return self.job_locks.setdefault(name, asyncio.Lock())


Pair = tuple[str, str]  # (slot, chat key)


@dataclass(frozen=True)
class JobResult:
    job: str
    slot: str | None = None  # the slot of a slot job; None for per-event jobs
    skipped: str = ""  # why nothing was attempted; empty when the job ran
    sent: tuple[Pair, ...] = ()
    already: tuple[Pair, ...] = ()  # in the ledger before this run
    in_doubt: tuple[Pair, ...] = ()  # a run died while sending it: not sent again
    failed: tuple[Pair, ...] = ()  # the chat refused or was unreachable: retried later
    data_as_of: datetime | None = None
    stale: bool = False  # posted with a "data as of" warning: the sync failed
    note: str = ""  # what a job that posts nothing did ("sync ok")

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """One line for a log or the CLI."""
        if self.skipped:
            return f"{self.job}: skipped ({self.skipped})"
        if self.note:
            return f"{self.job}: {self.note}"
        parts = [f"{self.job}" + (f" {self.slot}" if self.slot else "") + ":"]
        parts.append(f"sent {len(self.sent)}")
        if self.already:
            parts.append(f"already sent {len(self.already)}")
        if self.in_doubt:
            parts.append(f"in doubt {len(self.in_doubt)} (use --force)")
        if self.failed:
            parts.append(f"failed {len(self.failed)}")
        if self.stale:
            parts.append("data not fresh")
        return " ".join(parts)


@dataclass(frozen=True)
class Run:
    """One run of a job: when, why (schedule or request), and the fire time it serves."""

    job: str
    now: datetime
    force: bool = False
    scheduled: bool = False
    fire: datetime | None = None  # the cron fire time of a slot job, in the portal's zone

    def skip(self, reason: str, slot: str | None = None) -> JobResult:
        return JobResult(self.job, slot=slot, skipped=reason)
