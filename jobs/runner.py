"""Run one job now: by the schedule (``scheduled=True``) or on request (``crm-pulse post``).

A scheduled run does nothing when its job is switched off, on a non-working day or in
quiet hours (syncs excepted), and a slot job only serves a fire time within its grace
window: a morning post missed while the process was down goes out until noon, never after.
A run on request ignores all of that and serves the latest fire time of today (or today
itself), still through the ledger unless ``force``: a second call posts nothing new.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from jobs import ledger
from jobs.badges import badges
from jobs.celebrate import celebrate
from jobs.contests import contests
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import run_sync
from jobs.live_missed import tell_after_sync
from jobs.missed import missed
from jobs.overdue import overdue
from jobs.pace import pace
from jobs.settings import JOB_NAMES, SLOT_JOBS, SYNC_JOBS
from jobs.slots import latest_fire
from jobs.streaks import streaks
from jobs.team import morning, weekly
from kpi.periods import day_start

log = logging.getLogger(__name__)

JobFn = Callable[[JobDeps, Run], Awaitable[JobResult]]


class JobError(ValueError):
    """A job name we do not have; the message lists the ones there are."""


# Ledger rows older than this are forgotten by the nightly full sync: longer than a year,
# the longest period whose celebration the ledger must remember.
LEDGER_KEEP = timedelta(days=400)


async def _sync(deps: JobDeps, run: Run) -> JobResult:
    if deps.sync_lock.locked():
        return run.skip("a sync is running already")
    full = run.job == "full_sync"
    ok = await run_sync(deps, full=full)
    # the calls this sync brought in get their live alerts now, not after the next event
    await tell_after_sync(deps)
    if full:
        await asyncio.to_thread(ledger.prune, deps.engine, run.now - LEDGER_KEEP)
    if ok:
        return JobResult(run.job, note="done")
    return JobResult(run.job, note="failed (see the log)", failed=(("", "portal"),))


JOBS: Mapping[str, JobFn] = MappingProxyType(
    {
        "sync": _sync,
        "full_sync": _sync,
        "morning": morning,
        "weekly": weekly,
        "pace": pace,
        "missed": missed,
        "overdue": overdue,
        "celebrate": celebrate,
        "contests": contests,
        "streaks": streaks,
        "badges": badges,
    }
)


def gate(name: str, deps: JobDeps, now: datetime) -> str:
    """Why a scheduled run must not post now; empty when it may."""
    if not deps.schedule.enabled(name):
        return "switched off"
    if name in SYNC_JOBS:
        return ""
    local = now.astimezone(deps.kpi.tz)
    if not deps.kpi.calendar.is_working_day(local.date()):
        return "not a working day"
    quiet = deps.schedule.quiet_hours
    if quiet is not None and quiet.contains(local):
        return "quiet hours"
    return ""


def due_fire(name: str, deps: JobDeps, now: datetime, *, scheduled: bool) -> datetime | None:
    """The fire time a run serves: within grace when scheduled, else the latest of today."""
    expr = deps.schedule.cron_of(name)
    if name not in SLOT_JOBS or not expr:
        return None
    tz = deps.kpi.tz
    if scheduled:
        return latest_fire(expr, tz, now, deps.schedule.grace_of(name))
    midnight = day_start(now.astimezone(tz).date(), tz)
    return latest_fire(expr, tz, now, now - midnight)


async def run_job(
    name: str, deps: JobDeps, *, force: bool = False, now: datetime, scheduled: bool = False
) -> JobResult:
    """Run the job ``name`` (see ``JOBS``) for the moment ``now`` (aware)."""
    fn = JOBS.get(name)
    if fn is None:
        msg = f"unknown job {name!r}; jobs: {', '.join(JOB_NAMES)}"
        raise JobError(msg)
    if now.tzinfo is None:
        msg = f"naive datetime {now!r}; pass an aware one"
        raise JobError(msg)
    async with deps.job_lock(name):
        reason = gate(name, deps, now) if scheduled else ""
        fire = due_fire(name, deps, now, scheduled=scheduled)
        if not reason and scheduled and name in SLOT_JOBS and fire is None:
            reason = "no fire time within its grace window"
        if reason:
            result = JobResult(name, skipped=reason)
        else:
            result = await fn(deps, Run(name, now, force, scheduled, fire))
    log.info("%s", result.summary())
    return result
