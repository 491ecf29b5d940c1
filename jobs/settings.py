"""The schedule as plain values: cron strings, switches, grace windows, quiet hours, limits.

``app`` builds ``ScheduleSettings`` from the ``[schedule]`` config section; nothing in
``jobs`` reads the config. Cron strings are read in the portal's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType

from apscheduler.triggers.cron import CronTrigger

# Jobs that post something, in the order `crm-pulse post` lists them.
POST_JOBS: tuple[str, ...] = (
    "morning",
    "weekly",
    "pace",
    "missed",
    "overdue",
    "celebrate",
    "contests",
    "streaks",
    "badges",
)
SYNC_JOBS: tuple[str, ...] = ("sync", "full_sync")
JOB_NAMES: tuple[str, ...] = (*SYNC_JOBS, *POST_JOBS)
# Jobs with one slot per fire time (a day, a week, a check): caught up on start within grace.
SLOT_JOBS: tuple[str, ...] = ("morning", "weekly", "pace", "overdue")

DEFAULT_CRON: Mapping[str, str] = MappingProxyType(
    {
        "sync": "*/5 * * * *",
        "full_sync": "30 2 * * *",
        "morning": "0 9 * * mon-fri",
        # every working morning, but it posts only on the week's first working day, so a
        # holiday Monday moves the weekly summary to Tuesday instead of dropping it
        "weekly": "0 9 * * mon-fri",
        "pace": "0 13,16 * * mon-fri",
        "missed": "*/5 * * * *",
        "overdue": "30 9 * * mon-fri",
        "celebrate": "*/15 * * * *",
        # contest posts (start, new leader, result) and the nudges at the pace-check times
        "contests": "*/15 * * * *",
        # after the morning post: yesterday decided the streaks
        "streaks": "15 9 * * mon-fri",
        "badges": "10 * * * *",
    }
)
# How late a fire may still run: a morning post until noon, a pace check within the hour.
# Also APScheduler's misfire_grace_time (its default of one second drops a late daily post).
DEFAULT_GRACE: Mapping[str, timedelta] = MappingProxyType(
    {
        "sync": timedelta(minutes=4),
        "full_sync": timedelta(hours=3),
        "morning": timedelta(hours=3),
        "weekly": timedelta(hours=3),
        "pace": timedelta(hours=1),
        "missed": timedelta(minutes=4),
        "overdue": timedelta(hours=2, minutes=30),
        "celebrate": timedelta(minutes=14),
        "contests": timedelta(minutes=14),
        "streaks": timedelta(hours=3),
        "badges": timedelta(minutes=50),
    }
)


class ScheduleError(ValueError):
    """A schedule setting that cannot be used; the message names the key."""


@dataclass(frozen=True)
class QuietHours:
    """A daily stretch of wall-clock time with no posts; it may wrap past midnight."""

    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        moment = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """'21:00-08:00' (empty: none)."""
        if not text.strip():
            return None
        first, sep, last = text.partition("-")
        try:
            start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
        except ValueError:
            start = end = time(0)
            sep = ""
        if not sep or start == end:
            msg = f"schedule.quiet_hours: {text!r} must be 'HH:MM-HH:MM', e.g. '21:00-08:00'"
            raise ScheduleError(msg)
        return cls(start, end)


@dataclass(frozen=True)
class ScheduleSettings:
    cron: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CRON)
    # Switched off: never scheduled (``crm-pulse post`` still runs them on request).
    disabled: frozenset[str] = frozenset()
    grace: Mapping[str, timedelta] = field(default_factory=lambda: DEFAULT_GRACE)
    quiet_hours: QuietHours | None = QuietHours(time(21), time(8))
    # Older data than this is synced before a post; if that fails, the post says so.
    freshness: timedelta = timedelta(minutes=30)
    # A won deal at least this large is celebrated in the team chat; None: deals are not.
    celebrate_amount: Decimal | None = None
    # Won deals and met plans older than this are history, not news.
    celebrate_lookback: timedelta = timedelta(days=3)
    # A missed call not called back: the employee hears after the callback window, the
    # head of their department after this long.
    missed_head_delay: timedelta = timedelta(hours=2)
    # Missed calls older than this get no alert any more (the morning post lists them).
    missed_lookback: timedelta = timedelta(hours=24)
    # The running period the pace check and plan celebrations look at.
    pace_period: str = "month"
    # Metrics the pace check looks at; empty: every metric that has a plan.
    pace_metrics: tuple[str, ...] = ()
    # Leadership: a lease (SQLite) is renewed every third of this; PostgreSQL uses a lock.
    leader_lease: timedelta = timedelta(seconds=60)
    # Slots within grace that failed to reach a chat are retried this often.
    retry_every: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        unknown = sorted((set(self.cron) | set(self.disabled) | set(self.grace)) - set(JOB_NAMES))
        if unknown:
            msg = f"schedule: unknown job {unknown[0]!r}; jobs: {', '.join(JOB_NAMES)}"
            raise ScheduleError(msg)
        for name, expr in self.cron.items():
            if expr.strip():
                try:
                    CronTrigger.from_crontab(expr)
                except ValueError as exc:
                    msg = f"schedule.{name}: {expr!r} is not a cron string ({exc})"
                    raise ScheduleError(msg) from None

    def cron_of(self, job: str) -> str:
        return self.cron.get(job, DEFAULT_CRON[job]).strip()

    def enabled(self, job: str) -> bool:
        return job not in self.disabled and bool(self.cron_of(job))

    def grace_of(self, job: str) -> timedelta:
        return self.grace.get(job, DEFAULT_GRACE[job])
