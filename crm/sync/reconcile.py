"""Deletions: list only ids on the portal and drop local rows it no longer has (§6).

The portal's lists never show deleted records. Ids come in ascending chunks; for each chunk
[lo, hi] the local ids in (previous hi, hi] that the chunk lacks are gone from the portal,
and after the last chunk every local id above it is. So memory holds one chunk of ids, and
the cost is about one request per 2,500 ids. Calls are checked only inside the windows of
start time the sync has read, and only against local calls that started there.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from crm.sync import state
from crm.sync.context import Run
from crm.sync.entities import Entity, Mode
from crm.sync.fields import parse_int
from store.db import session_scope
from store.models import Call
from store.upsert import delete_ids

log = logging.getLogger("crm.sync")

_MAX_ID = 2**63 - 1


def is_due(run: Run, cursor: state.Cursor, now: datetime) -> bool:
    if run.full:
        return True
    return (
        cursor.reconciled_at is None or now - cursor.reconciled_at >= run.options.reconcile_every
    )


def delete_absent(
    engine: Engine,
    model: type[SQLModel],
    lo: int,
    hi: int,
    present: set[int],
    *,
    window: tuple[datetime, datetime] | None = None,
) -> int:
    """Delete local rows with lo <= id <= hi (and, for calls, inside the window) not present."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    column = table.c["id"]
    query = select(column).where(column >= lo, column <= hi)
    if window is not None:
        started = table.c["start_at"]
        query = query.where(started >= window[0], started < window[1])
    with session_scope(engine) as session:
        gone = sorted(set(session.execute(query).scalars()) - present)
        delete_ids(session, model, gone)
    if gone:
        log.info("sync %s: %d rows deleted on the portal removed", table.name, len(gone))
    return len(gone)


async def _reconcile_range(
    run: Run,
    entity: Entity,
    filter: dict[str, Any] | None,
    window: tuple[datetime, datetime] | None,
) -> int:
    deleted = 0
    previous = 0
    listed = 0
    label = f"{entity.name} (deletions)"
    async for chunk in run.client.iter_pages(entity.spec, filter=filter, select=entity.id_select):
        ids: set[int] = set()
        for row in chunk:
            try:
                row_id = parse_int(row.get(entity.spec.id_key))
            except (ValueError, OverflowError):
                row_id = None
            if row_id is not None:
                ids.add(row_id)
        if not ids:
            continue
        high = max(ids)
        deleted += await run.db(
            delete_absent, run.engine, entity.model, previous + 1, high, ids, window=window
        )
        previous = high
        listed += len(chunk)
        run.report_progress(label, listed)
    deleted += await run.db(
        delete_absent, run.engine, entity.model, previous + 1, _MAX_ID, set(), window=window
    )
    return deleted


def _oldest_call(engine: Engine) -> datetime | None:
    with session_scope(engine) as session:
        value = session.execute(select(func.min(Call.start_at))).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


async def reconcile(run: Run, entity: Entity) -> None:
    """One id reconciliation of ``entity``; marks it reconciled as of its start."""
    started = run.clock.now()
    counter = run.counter(entity.name)
    if entity.mode is not Mode.CALLS:
        counter.deleted += await _reconcile_range(run, entity, None, None)
    else:
        cursor = await run.db(state.read, run.engine, entity.name)
        oldest = await run.db(_oldest_call, run.engine)
        end = cursor.window_start
        if oldest is not None and end is not None:
            low = oldest.astimezone(run.clock.tz).replace(microsecond=0)
            while low < end:
                high = min(low + run.options.window, end)
                flt = {
                    ">=CALL_START_DATE": run.clock.iso(low),
                    "<CALL_START_DATE": run.clock.iso(high),
                }
                counter.deleted += await _reconcile_range(run, entity, flt, (low, high))
                low = high
    await run.db(state.mark_reconciled, run.engine, entity.name, started)
