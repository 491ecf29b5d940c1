"""Events in, changes applied: a small queue between the web listener and the apply path.

The listener must answer the portal at once (a slow handler gets its events throttled, and
there is no retry), so it only ``submit``s the change and returns. A worker waits a short
window after the first change of a round, so a burst of events for the same records
collapses into one read (``coalesce``), applies the round, and hands the report on. Memory
holds one entry per distinct record waiting, however many events name it. Reads that failed
go back into the queue with a growing pause, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy.engine import Engine

from crm.errors import BitrixError
from crm.events import Change
from crm.sync.apply import ApplyClient, ApplyReport, apply_changes

log = logging.getLogger("crm.events")

OnApplied = Callable[[ApplyReport, float], Awaitable[None]]


@dataclass(frozen=True)
class IntakeOptions:
    window_seconds: float = 0.3  # how long a round gathers after its first change
    max_round: int = 2500  # a round this big is applied without waiting out the window
    retries: int = 5  # rounds a failed record is tried again
    retry_seconds: float = 2.0  # the first pause before a retry (doubling)


class EventIntake:
    def __init__(
        self,
        client: ApplyClient,
        engine: Engine,
        *,
        tz: tzinfo,
        on_applied: OnApplied | None = None,
        options: IntakeOptions | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
        self._tz = tz
        self._on_applied = on_applied
        self._options = options or IntakeOptions()
        self._pending: dict[tuple[str, str], tuple[Change, float, int]] = {}
        self._wake = asyncio.Event()
        self.applied_rounds = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, change: Change, *, received: float | None = None, attempt: int = 0) -> None:
        """Queue a change; the earliest receipt time of a record is kept for the latency."""
        key = (change.entity, change.key)
        at = time.monotonic() if received is None else received
        earlier = self._pending.get(key)
        if earlier is not None:
            at = min(at, earlier[1])
        self._pending[key] = (change, at, attempt)
        self._wake.set()

    async def run(self) -> None:
        """Apply rounds until cancelled."""
        while True:
            await self._wake.wait()
            await self._gather()
            batch = self._pending
            self._pending = {}
            self._wake.clear()
            if batch:
                await self._apply(batch)

    async def _gather(self) -> None:
        deadline = time.monotonic() + self._options.window_seconds
        while len(self._pending) < self._options.max_round:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), left)
            except TimeoutError:
                return

    async def _apply(self, batch: dict[tuple[str, str], tuple[Change, float, int]]) -> None:
        changes = [change for change, _, _ in batch.values()]
        first = min(at for _, at, _ in batch.values())
        try:
            report = await apply_changes(self._client, self._engine, changes, tz=self._tz)
        except BitrixError as exc:
            log.warning("events: reading %d changed records failed: %s", len(changes), exc)
            report = ApplyReport(failed=tuple(changes))
        except Exception:
            log.exception("events: applying %d changes failed", len(changes))
            report = ApplyReport(failed=tuple(changes))
        self.applied_rounds += 1
        failed = {(c.entity, c.key) for c in report.failed}
        if failed:
            self._retry(batch, failed)
        if self._on_applied is not None and (report.written or report.deleted or report.calls):
            try:
                await self._on_applied(report, time.monotonic() - first)
            except Exception:
                log.exception("events: handling applied changes failed")

    def _retry(
        self, batch: dict[tuple[str, str], tuple[Change, float, int]], failed: set[tuple[str, str]]
    ) -> None:
        for key in failed:
            change, at, attempt = batch[key]
            if attempt >= self._options.retries:
                log.error("events: giving up on %s %s after %d tries", *key, attempt + 1)
                continue
            pause = self._options.retry_seconds * 2**attempt
            asyncio.get_running_loop().call_later(pause, self._resubmit, change, at, attempt + 1)

    def _resubmit(self, change: Change, received: float, attempt: int) -> None:
        self.submit(change, received=received, attempt=attempt)
