"""Fire times and slots: which run of a job is due now, and the key the ledger files it under.

A slot is what one run delivers: a day's morning post ("2026-03-02"), a week's summary
("2026-W10"), one pace check ("2026-03-02T13:00"). Keys are local wall-clock names, so a
job that APScheduler fires twice in an autumn DST fold (02:30 happens twice) still maps to
one slot; durations (grace) are measured between real instants, in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

# A cron string firing more often than this over a lookback is not a slot job's schedule.
MAX_FIRES = 10_000


def trigger(expr: str, tz: ZoneInfo) -> CronTrigger:
    return CronTrigger.from_crontab(expr, timezone=tz)


def fires(expr: str, tz: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Fire times in (after, until], local to ``tz``, oldest first."""
    trig = trigger(expr, tz)
    found: list[datetime] = []
    # APScheduler returns the first fire at or after the instant given; whole seconds only
    moment = after.astimezone(UTC) + timedelta(seconds=1)
    limit = until.astimezone(UTC)
    while len(found) < MAX_FIRES:
        nxt = trig.get_next_fire_time(None, moment)
        if nxt is None or nxt.astimezone(UTC) > limit:
            break
        found.append(nxt.astimezone(tz))
        moment = nxt.astimezone(UTC) + timedelta(seconds=1)
    return found


def latest_fire(expr: str, tz: ZoneInfo, now: datetime, within: timedelta) -> datetime | None:
    """The last fire time at or before ``now`` and no longer than ``within`` ago."""
    found = fires(expr, tz, now - within - timedelta(seconds=1), now)
    return found[-1] if found else None


def next_fire(expr: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    nxt = trigger(expr, tz).get_next_fire_time(None, now.astimezone(UTC))
    return None if nxt is None else nxt.astimezone(tz)


def day_slot(day: date) -> str:
    return day.isoformat()


def week_slot(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def check_slot(local: datetime) -> str:
    """One pace check: its local day and wall-clock minute."""
    return local.strftime("%Y-%m-%dT%H:%M")


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()
