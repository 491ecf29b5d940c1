"""Seeing the store change, whoever changed it (a sync, an event, another process).

One watcher per listener polls a fingerprint of the store every ``poll_seconds`` while at
least one page listens: a handful of index-only aggregates (the sync cursors, the newest
ids and modification stamps, the deal count for deletions), a few milliseconds even on a
large store. A new fingerprint bumps ``version``; every listener waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from store.models import Activity, Call, Deal, Lead, SyncState, Task, User

log = logging.getLogger(__name__)


def fingerprint(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as session:
        sync = session.execute(
            select(
                func.max(col(SyncState.last_success_at)),
                func.sum(col(SyncState.rows_total)),
                func.count(),
            )
        ).one()
        marks = [
            session.execute(select(func.max(col(table.id)))).scalar()
            for table in (Call, Deal, Activity, Lead, Task, User)
        ]
        stamps = [
            session.execute(select(func.max(col(table.modified_at)))).scalar()
            for table in (Deal, Activity, Lead, Task)
        ]
        deals = session.execute(select(func.count()).select_from(Deal)).scalar()
        return (*sync, *marks, *stamps, deals)


class StoreWatch:
    def __init__(self, engine: Engine, poll_seconds: float) -> None:
        self._engine = engine
        self._poll = poll_seconds
        self._changed = asyncio.Event()
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None
        self._last: tuple[Any, ...] | None = None
        self._primed = asyncio.Event()
        self.version = 0

    @property
    def running(self) -> bool:
        """True while the watch polls: only then does an unchanged version mean unchanged."""
        return self._task is not None and self._last is not None

    async def primed(self) -> None:
        """Wait for the first fingerprint, so a change after this moment is seen."""
        await self._primed.wait()

    async def _run(self) -> None:
        while self._listeners > 0:
            try:
                current = await asyncio.to_thread(fingerprint, self._engine)
            except Exception:  # the store is down for a moment: keep the pages, try again
                log.warning("TV: could not read the store's fingerprint", exc_info=True)
            else:
                if current != self._last:
                    if self._last is not None:
                        self.version += 1
                        self._changed.set()
                        self._changed = asyncio.Event()
                    self._last = current
                self._primed.set()
            await asyncio.sleep(self._poll)
        self._task = None
        self._last = None
        self.version += 1  # nobody watched for a while: whatever was cached may be old
        self._primed = asyncio.Event()

    @contextlib.contextmanager
    def listening(self) -> Any:
        self._listeners += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="web pages: store watch")
        try:
            yield self
        finally:
            self._listeners -= 1

    async def wait(self, version: int, seconds: float) -> int:
        """The version after ``version`` once the store changes, or the same after ``seconds``."""
        if self.version != version:
            return self.version
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)
        return self.version
