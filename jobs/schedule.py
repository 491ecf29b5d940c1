"""The schedule: APScheduler cron triggers in the portal's zone, run by one process only.

Every process builds the same schedule; only the leader (``jobs.leader``) runs jobs. A
process becomes leader on start or by taking over from a dead one, and then catches up:
every slot still within its grace window is run (the ledger skips what is already out).
APScheduler keeps its jobs in memory, so nothing survives a restart but our ledger; each
job has an explicit id, ``coalesce``, ``max_instances=1`` and a ``misfire_grace_time`` of
its grace window (APScheduler's default of one second silently drops a late daily post).
A retry sweep re-runs slots within grace whose delivery failed somewhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from datetime import datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from jobs.deps import Clock, JobDeps, JobResult
from jobs.leader import Leader, make_leader
from jobs.runner import run_job
from jobs.settings import JOB_NAMES, SLOT_JOBS
from jobs.slots import trigger

log = logging.getLogger(__name__)

# Run on becoming leader: the slot jobs, then the per-event alerts (they have no slots).
CATCH_UP: tuple[str, ...] = (*SLOT_JOBS, "missed", "celebrate")


class JobScheduler:
    def __init__(self, deps: JobDeps, clock: Clock, leader: Leader) -> None:
        self.deps = deps
        self.clock = clock
        self.leader = leader
        self.leading = False
        self.scheduler = AsyncIOScheduler(timezone=deps.kpi.tz)
        self._running: set[asyncio.Task[object]] = set()
        self._register()

    def _register(self) -> None:
        settings, tz = self.deps.schedule, self.deps.kpi.tz
        for name in JOB_NAMES:
            if not settings.enabled(name):
                continue
            self.scheduler.add_job(
                self._fire,
                trigger=trigger(settings.cron_of(name), tz),
                args=(name,),
                id=name,
                name=f"crm-pulse {name}",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(settings.grace_of(name).total_seconds()),
                replace_existing=True,
            )
        every = settings.leader_lease.total_seconds() / 3
        self._interval("leader", self.tick, every)
        self._interval("retry", self._retry, settings.retry_every.total_seconds())

    def _interval(self, job_id: str, func: object, seconds: float) -> None:
        self.scheduler.add_job(
            func,
            trigger=IntervalTrigger(seconds=max(seconds, 1.0), timezone=self.deps.kpi.tz),
            id=job_id,
            name=f"crm-pulse {job_id}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(int(seconds), 1),
            replace_existing=True,
        )

    def jobs(self) -> list[Job]:
        return list(self.scheduler.get_jobs())

    def next_fire_times(self, now: datetime) -> dict[str, datetime]:
        """When each cron job fires next, at or after ``now`` (the schedule as configured)."""
        found = {}
        for job in self.jobs():
            if job.id in JOB_NAMES:
                nxt = job.trigger.get_next_fire_time(None, now)
                if nxt is not None:
                    found[job.id] = nxt
        return found

    async def start(self, *, paused: bool = False) -> None:
        """Start firing; ask for the leadership now and catch up if it is ours.

        ``paused``: triggers do not fire (tests drive the clock themselves).
        """
        self.scheduler.start(paused=paused)
        await self.tick()

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Let runs in progress finish (up to ``grace_seconds``), then give the leadership up."""
        if self.scheduler.running:
            self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace_seconds)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.leading:
            self.leading = False
            await asyncio.to_thread(self.leader.resign)

    async def idle(self) -> None:
        """Wait for the runs in progress (a catch-up) to finish."""
        while self._running:
            await asyncio.wait(set(self._running))

    async def tick(self) -> None:
        """The leader tick (every third of the lease): keep, lose or take the leadership."""
        was = self.leading
        self.leading = await asyncio.to_thread(self.leader.try_lead, self.clock())
        if self.leading and not was:
            log.info("this process runs the schedule now (%s)", self.deps.owner)
            # in its own task: the lease must keep being renewed while the catch-up runs
            self._spawn(self.catch_up())
        elif was and not self.leading:
            log.warning("another process runs the schedule now; this one stands by")

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def catch_up(self, names: Iterable[str] = CATCH_UP) -> list[JobResult]:
        """Run every enabled job in ``names`` as if it had just fired (grace decides)."""
        results = []
        for name in names:
            if self.leading and self.deps.schedule.enabled(name):
                result = await self._run(name)
                if result is not None:
                    results.append(result)
        return results

    async def _retry(self) -> None:
        await self.catch_up(SLOT_JOBS)

    async def _fire(self, name: str) -> JobResult | None:
        if not self.leading:
            return None
        task = asyncio.current_task()
        if task is not None:
            # stop() waits for it instead of letting APScheduler cancel it mid-send
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await self._run(name)

    async def _run(self, name: str) -> JobResult | None:
        try:
            return await run_job(name, self.deps, now=self.clock(), scheduled=True)
        except Exception:
            log.exception("job %s failed", name)
            return None


def build_scheduler(deps: JobDeps, *, now: Clock | None = None) -> JobScheduler:
    """The schedule of ``deps.schedule``; ``now`` overrides ``deps.clock`` (tests)."""
    leader = make_leader(deps.engine, deps.owner, deps.schedule.leader_lease)
    return JobScheduler(deps, now or deps.clock, leader)
