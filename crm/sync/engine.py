"""One sync run: every entity in order, incremental where it can be, resumable everywhere.

``run_sync`` learns the portal's clock once (``server.time``), then reads every entity at
once: dictionaries, departments and users in full (small; deletions found by absence),
companies, contacts, deals, leads, activities and tasks by modification date, and calls by
windows of start time. Their requests share batches (``crm.batching``), so a quiet
incremental sync costs ``server.time`` and one batch. Rows naming users wait until the users
are read. Incremental entities then get a deletion check (``reconcile``) in every sync. A
portal error in one entity is logged and reported, and the others go on; anything else (the
store, a progress callback) stops them all, and the next run resumes where the last
committed chunk left off.

Store work runs in one worker thread (``Run.db``), one short transaction per chunk, so a
sync inside the bot process never holds up its event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm.errors import BitrixError
from crm.sync import callpass, passes, reconcile
from crm.sync.context import (
    PortalClock,
    Progress,
    Run,
    SyncClient,
    SyncOptions,
    UsersUnavailable,
)
from crm.sync.entities import ORDER, USERS, Entity, Mode
from crm.sync.fields import MapContext
from store.models import User

__all__ = ["EntityCounts", "SyncOptions", "SyncReport", "run_sync"]

log = logging.getLogger("crm.sync")


@dataclass(frozen=True)
class EntityCounts:
    fetched: int = 0  # rows received from the portal
    written: int = 0  # rows inserted or changed in the store (unchanged rows are not)
    deleted: int = 0  # local rows removed because the portal no longer has them
    skipped: int = 0  # rows too broken to keep (logged)


@dataclass(frozen=True)
class SyncReport:
    entities: Mapping[str, EntityCounts]  # in sync order
    requests: int  # HTTP requests made to the portal
    duration_seconds: float
    full: bool = False
    errors: Mapping[str, str] = field(default_factory=dict)  # entity -> portal error

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> int:
        return sum(counts.written for counts in self.entities.values())

    @property
    def deleted(self) -> int:
        return sum(counts.deleted for counts in self.entities.values())

    @property
    def fetched(self) -> int:
        return sum(counts.fetched for counts in self.entities.values())

    @property
    def skipped(self) -> int:
        return sum(counts.skipped for counts in self.entities.values())


def _user_ids(engine: Engine) -> frozenset[int]:
    with Session(engine) as session:
        return frozenset(session.execute(select(User.id)).scalars())  # type: ignore[call-overload]


async def _sync_entity(run: Run, entity: Entity) -> None:
    if entity.mode is Mode.SNAPSHOT:
        await passes.snapshot(run, entity)
        return
    if entity.mode is Mode.CALLS:
        first = await callpass.calls(run, entity)
    else:
        first = await passes.modified(run, entity)
    # The first read of an empty store has nothing to reconcile; it starts the clock.
    if not first and (run.full or run.options.reconcile):
        await reconcile.reconcile(run, entity)


async def _guarded(run: Run, entity: Entity, errors: dict[str, str]) -> None:
    try:
        await _sync_entity(run, entity)
    except BitrixError as exc:
        log.error("sync %s failed: %s", entity.name, exc)
        errors[entity.name] = str(exc)
    except UsersUnavailable:
        log.warning("sync %s: left for the next run, the users could not be read", entity.name)
    finally:
        if entity is USERS:
            # References to users are checked against the list just read, never a stale one.
            if entity.name in errors:
                run.users_failed = True
            else:
                known = await run.db(_user_ids, run.engine)
                run.ctx = MapContext(portal_tz=run.clock.tz, known_users=known)
            run.users_ready.set()


async def _all(run: Run, errors: dict[str, str]) -> None:
    """Every entity at once: their requests share batches and the pacing, their writes the
    store thread. A portal error stays with its entity; anything else stops them all."""
    tasks = [asyncio.create_task(_guarded(run, entity, errors)) for entity in ORDER]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_sync(
    client: SyncClient,
    engine: Engine,
    options: SyncOptions | None = None,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Bring the store up to the portal; see the module docstring."""
    options = options or SyncOptions()
    started = time.monotonic()
    requests_before = client.requests
    clock = PortalClock.learn(await client.server_time())
    run = Run(client, engine, options, full, clock, progress, ctx=MapContext(portal_tz=clock.tz))
    errors: dict[str, str] = {}
    for entity in ORDER:
        run.counter(entity.name)
    try:
        await _all(run, errors)
    finally:
        run.executor.shutdown(wait=True)
    errors = {e.name: errors[e.name] for e in ORDER if e.name in errors}
    report = SyncReport(
        entities={
            name: EntityCounts(c.fetched, c.written, c.deleted, c.skipped)
            for name, c in run.counts.items()
        },
        requests=client.requests - requests_before,
        duration_seconds=time.monotonic() - started,
        full=full,
        errors=errors,
    )
    log.info(
        "sync done in %.1f s, %d requests: %d fetched, %d written, %d deleted, %d skipped",
        report.duration_seconds,
        report.requests,
        report.fetched,
        report.written,
        report.deleted,
        report.skipped,
    )
    return report
