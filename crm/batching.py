"""Many small batches become one request: commands submitted together share a ``batch``.

The sync reads several tables at once; a quiet incremental sync asks each of them for one
short page, and a reconciliation asks for a count per id range. Sent alone, each would be a
request against the portal's 2 requests a second; ``BatchPool`` gathers what is submitted
within ``linger`` seconds of each other (or until 50 commands wait) into one ``batch`` and
hands each submitter its own part of the reply. Submitters name their commands with a prefix
of their own (``BatchPool.prefix``), so keys never collide and ``$result[...]`` references
inside one submission keep working in the merged batch (the portal runs commands in order).

A batch that would go out part-empty waits, while the client's pacing is busy anyway (it would
wait for the bucket just the same), for other submissions to share it, up to ``hold`` seconds:
the tails of several listings then travel together instead of one request each.

A merged batch is sent with ``halt=0``: one listing's failed page must not stop the others'.
A chain's pages after a failed one then read garbage, which ``methods.read_chain`` ignores.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crm.query import MAX_BATCH, BatchResult

__all__ = ["BatchPool", "Commands"]

Commands = Mapping[str, tuple[str, Mapping[str, Any]]]
Send = Callable[[Commands, bool], Awaitable[BatchResult]]


@dataclass
class _Waiting:
    commands: Commands
    halt: bool
    done: asyncio.Future[BatchResult]


def _part(result: BatchResult, keys: set[str]) -> BatchResult:
    return BatchResult(
        results={k: v for k, v in result.results.items() if k in keys},
        errors={k: v for k, v in result.errors.items() if k in keys},
        totals={k: v for k, v in result.totals.items() if k in keys},
        nexts={k: v for k, v in result.nexts.items() if k in keys},
        times={k: v for k, v in result.times.items() if k in keys},
    )


class BatchPool:
    """Merge concurrent submissions of batch commands into as few requests as fit."""

    def __init__(
        self,
        send: Send,
        *,
        linger: float = 0.03,
        max_wait: float = 0.2,
        busy: Callable[[], bool] | None = None,
        hold: float = 3.0,
    ) -> None:
        self._send = send
        self.linger = linger
        self.max_wait = max_wait
        # Whether a request sent now would wait for the pacing; None: never.
        self._busy = busy
        self.hold = hold
        self._queue: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None
        self._names = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    def prefix(self) -> str:
        """A key prefix no other submitter of this pool uses: ``q12_``."""
        return f"q{next(self._names)}_"

    async def submit(self, commands: Commands, *, halt: bool = False) -> BatchResult:
        """Run ``commands`` (at most 50) in a batch shared with whatever else is waiting."""
        if len(commands) > MAX_BATCH:
            msg = f"a batch takes at most {MAX_BATCH} commands, not {len(commands)}"
            raise ValueError(msg)
        waiting = _Waiting(commands, halt, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._waiting() >= MAX_BATCH:
            self._dispatch(everything=False)
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._linger())
        return await waiting.done

    async def _linger(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        seen = -1
        # Wait while submissions keep arriving, but never past max_wait.
        while self._queue and len(self._queue) != seen and loop.time() - started < self.max_wait:
            seen = len(self._queue)
            await asyncio.sleep(self.linger)
        # A part-empty batch would only queue behind the pacing: let it gather company there.
        while self._queue and loop.time() - started < self.hold:
            if self._busy is None or not self._busy():
                break
            await asyncio.sleep(self.linger)
        self._dispatch(everything=True)

    def _waiting(self) -> int:
        return sum(len(w.commands) for w in self._queue)

    def _dispatch(self, *, everything: bool) -> None:
        """Send what is queued in batches of at most 50 commands, each as its own task; a
        remainder too small to fill a batch waits for the linger unless ``everything``."""
        while self._queue and (everything or self._waiting() >= MAX_BATCH):
            taken: list[_Waiting] = []
            size = 0
            while self._queue and size + len(self._queue[0].commands) <= MAX_BATCH:
                item = self._queue.pop(0)
                taken.append(item)
                size += len(item.commands)
            task = asyncio.create_task(self._run(taken))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, taken: list[_Waiting]) -> None:
        merged: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for item in taken:
            merged.update(item.commands)
        halt = len(taken) == 1 and taken[0].halt
        try:
            result = await self._send(merged, halt)
        except asyncio.CancelledError:
            for item in taken:
                item.done.cancel()
            raise
        except Exception as exc:  # every submitter hears of the failure  # noqa: BLE001
            for item in taken:
                if not item.done.done():
                    item.done.set_exception(exc)
            return
        for item in taken:
            if not item.done.done():
                item.done.set_result(_part(result, set(item.commands)))
