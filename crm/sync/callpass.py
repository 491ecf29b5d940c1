"""The calls pass: ``voximplant.statistic.get`` has no modification date.

- A first read (or ``--full``) takes every call from the first one started in the history
  on, by id alone: the reference's full-export recipe (``>ID``, ``start=-1``, no count). A
  range of start times longer than about 30 days gives only its newest days (peers.md: a
  portal-wide report app met it; the emulator does the same), so a read by time needs
  windows, and each window ends in a part-read batch; by id the calls come 2,500 to a
  request to the end. Calls held from the history start on that a chunk's id range lacks
  were deleted on the portal.
- A later pass re-reads windows of ``CALL_START_DATE`` of at most 14 days, keyset by id
  inside each, from ``calls_reread`` before where the last one ended, to pick up fields the
  portal fills in after the call. A window read whole also drops the calls held there that
  it lacked.

Either resumes after its ``last_id`` when a run was cut short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm.sync import passes, state
from crm.sync.context import Run
from crm.sync.entities import Entity


def _window(run: Run, window: tuple[datetime, datetime]) -> dict[str, Any]:
    low, high = window
    return {">=CALL_START_DATE": run.clock.iso(low), "<CALL_START_DATE": run.clock.iso(high)}


async def calls(run: Run, entity: Entity) -> bool:
    """One calls pass (see the module docstring); True when it was the first complete read."""
    cursor = await run.db(state.read, run.engine, entity.name)
    resume = cursor.in_pass and not (run.full and cursor.modified_since is not None)
    if not resume:
        now = run.clock.now()
        if run.full or cursor.window_start is None:
            start = now - run.options.history
        else:
            start = cursor.window_start - run.options.calls_reread
        cursor = await run.db(
            state.start_pass,
            run.engine,
            entity.name,
            started_at=now,
            forget_since=run.full,
            window_start=start,
        )
    assert cursor.pass_started_at is not None and cursor.window_start is not None
    end = cursor.pass_started_at
    low = cursor.window_start.astimezone(run.clock.tz)
    windows: list[tuple[datetime, datetime]] = []
    while low < end:
        windows.append((low, min(low + run.options.window, end)))
        low = windows[-1][1]
    if cursor.modified_since is None:
        await _calls_by_id(run, entity, windows, cursor.last_id)
        await run.db(state.next_window, run.engine, entity.name, end)
        return await run.db(
            state.finish_pass, run.engine, entity.name, entity.model, read_everything=True
        )
    # A re-read: the calls we hold there are a fair guess, and cost no request.
    sizes = await run.db(state.count_windows, run.engine, windows)
    after_id = cursor.last_id
    for (low, high), size in zip(windows, sizes, strict=True):
        seen: set[int] = set()
        await passes.read(
            run, entity, _window(run, (low, high)), after_id, expected=size, seen=seen
        )
        # The whole window was just read: a call we hold there and it lacks is deleted.
        gone = await run.db(
            state.close_window, run.engine, entity.model, (low, high), after_id, seen
        )
        run.counter(entity.name).deleted += gone
        await run.db(state.next_window, run.engine, entity.name, high)
        after_id = 0
    return await run.db(
        state.finish_pass, run.engine, entity.name, entity.model, read_everything=False
    )


async def _first_call_id(
    run: Run, entity: Entity, windows: Sequence[tuple[datetime, datetime]]
) -> int | None:
    """The lowest id of the calls started inside ``windows``; None: there are none.

    The portal numbers calls as it records them, at their end, so ids follow start times
    (to the seconds a long call overlaps a short one): the first window holding any call
    holds the lowest id, on the first page of an id-ordered listing. Windows are asked ten
    to a batch, never a count: a count scans every call against the method's budget.
    """
    for first in range(0, len(windows), 10):
        group = windows[first : first + 10]
        pages = [_first_page(run, entity, window) for window in group]
        for low in await asyncio.gather(*pages):
            if low is not None:
                return low
    return None


async def _first_page(run: Run, entity: Entity, window: tuple[datetime, datetime]) -> int | None:
    # One page and no more: "exactly none to come" stops the listing after its first batch.
    async for chunk in run.client.iter_pages(
        entity.spec,
        filter=_window(run, window),
        after_id=0,
        pages_per_request=1,
        expected=0,
        exact=True,
    ):
        ids = [entity.spec.id_of(raw) for raw in chunk]
        return min(ids) if ids else None
    return None


async def _calls_by_id(
    run: Run, entity: Entity, windows: Sequence[tuple[datetime, datetime]], after_id: int
) -> None:
    """A first read of the calls: every call from the first one started in the history on,
    by id alone (the reference's full-export recipe: ``>ID``, ``start=-1``, no count).

    The module docstring says why not by time. A call held from the history start on that a
    chunk's id range lacks was deleted on the portal (a ``--full`` over a store). A resumed
    pass goes on after its ``last_id``.
    """
    if not windows:
        return
    since = windows[0][0]
    if after_id == 0:
        first = await _first_call_id(run, entity, windows)
        if first is None:
            run.counter(entity.name).deleted += await run.db(
                state.drop_calls, run.engine, (0, None), set(), since
            )
            return
        after_id = first - 1
        # Calls held below the first id the portal has there are gone from it.
        run.counter(entity.name).deleted += await run.db(
            state.drop_calls, run.engine, (0, after_id), set(), since
        )
    last = await passes.read(run, entity, None, after_id, gone_since=since)
    run.counter(entity.name).deleted += await run.db(
        state.drop_calls, run.engine, (last, None), set(), since
    )
