"""Deletions: find the local rows the portal no longer has, in every incremental sync (§6).

The portal's lists never show deleted records. Comparing counts is the cheap part: for an
id range the portal counts its rows (one command, ``start=0``, ids only) and the store
counts its own; equal counts mean nothing there was deleted, because every portal row of
the range is held (the incremental pass just read what changed; rows of a history-limited
table are compared from the oldest modification time held). Where the counts differ the
range is cut into up to 50 parts by the local ids and those are counted in one batch,
down to parts of at most 2,500 ids, which are listed as ids only (keyset, 50 pages
chained in a batch) and the local ids missing from them deleted.

Tables up to ``reconcile_whole_rows`` rows are checked whole in every sync; bigger ones in
rolling slices: the ids are laid on a ring that turns once per ``reconcile_every``, and
each sync checks the arc the ring turned since the last check, so every row is checked
within that period however often the sync runs. Calls have no id filter that the portal
honours across a long range; the calls pass checks the windows it reads itself, and here
the older ones go round the same ring by start time, in windows of at most 14 days.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
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
LIST_IDS = 2_500  # ids one request lists (50 chained pages of 50)
SPLIT = 50  # parts a range is cut into when its counts differ: one batch of counts


def _table(model: type[SQLModel]) -> Any:
    return model.__table__  # type: ignore[attr-defined]


def _conditions(model: type[SQLModel], lo: int, hi: int, since: datetime | None) -> list[Any]:
    column = _table(model).c["id"]
    out = [column >= lo, column <= hi]
    if since is not None:
        out.append(_table(model).c["modified_at"] >= since)
    return out


def local_summary(
    engine: Engine, model: type[SQLModel], history: bool
) -> tuple[int, datetime | None]:
    """Rows held, and the oldest modification time among them (history-limited tables)."""
    table = _table(model)
    with session_scope(engine) as session:
        rows = int(session.execute(select(func.count()).select_from(table)).scalar_one())
        oldest = None
        if history:
            oldest = session.execute(select(func.min(table.c["modified_at"]))).scalar_one()
    return rows, oldest if isinstance(oldest, datetime) else None


def local_count(
    engine: Engine, model: type[SQLModel], lo: int, hi: int, since: datetime | None
) -> int:
    query = select(func.count()).select_from(_table(model))
    query = query.where(*_conditions(model, lo, hi, since))
    with session_scope(engine) as session:
        return int(session.execute(query).scalar_one())


def id_at(engine: Engine, model: type[SQLModel], rank: int) -> int | None:
    """The id at ``rank`` (0-based) in ascending order, None past the end."""
    column = _table(model).c["id"]
    with session_scope(engine) as session:
        value = session.execute(select(column).order_by(column).offset(rank).limit(1)).scalar()
    return None if value is None else int(value)


def split_points(
    engine: Engine, model: type[SQLModel], lo: int, hi: int, since: datetime | None, *, parts: int
) -> list[tuple[int, int]]:
    """[lo, hi] cut into up to ``parts`` ranges holding about as many local rows each."""
    column = _table(model).c["id"]
    query = select(column).where(*_conditions(model, lo, hi, since)).order_by(column)
    with session_scope(engine) as session:
        ids = [int(i) for i in session.execute(query).scalars()]
    if not ids:
        return [(lo, hi)]
    step = max(1, -(-len(ids) // parts))
    starts = [lo] + [ids[i] for i in range(step, len(ids), step)]
    ends = [s - 1 for s in starts[1:]] + [hi]
    return list(zip(starts, ends, strict=True))


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
    table = _table(model)
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


def _ids(entity: Entity, chunk: Sequence[dict[str, Any]]) -> set[int]:
    ids: set[int] = set()
    for row in chunk:
        try:
            row_id = parse_int(row.get(entity.spec.id_key))
        except (ValueError, OverflowError):
            row_id = None
        if row_id is not None:
            ids.add(row_id)
    return ids


async def _list_range(
    run: Run,
    entity: Entity,
    filter: dict[str, Any] | None,
    lo: int,
    hi: int,
    *,
    window: tuple[datetime, datetime] | None = None,
    expected: int | None = None,
) -> int:
    """List the portal's ids in [lo, hi] and delete the local ones it lacks."""
    deleted, previous = 0, lo - 1
    async for chunk in run.client.iter_pages(
        entity.spec,
        filter=filter,
        select=entity.id_select,
        after_id=lo - 1,
        expected=expected,
    ):
        ids = {i for i in _ids(entity, chunk) if i <= hi}
        if not ids:
            break
        high = max(ids)
        deleted += await run.db(
            delete_absent, run.engine, entity.model, previous + 1, high, ids, window=window
        )
        previous = high
    deleted += await run.db(
        delete_absent, run.engine, entity.model, previous + 1, hi, set(), window=window
    )
    return deleted


def _history_filter(run: Run, entity: Entity, since: datetime | None) -> dict[str, Any]:
    return {} if since is None else {f">={entity.modified_field}": run.clock.iso(since)}


async def _check_range(  # noqa: PLR0917 - a range and what the store holds in it
    run: Run, entity: Entity, lo: int, hi: int, since: datetime | None, held: int
) -> int:
    """Counts first; list ids only where they differ. Returns the rows deleted."""
    base = _history_filter(run, entity, since)
    flt = {**base, ">=ID": lo, "<=ID": hi}
    portal = await run.client.count(entity.spec, filter=flt)
    if portal == held:
        return 0
    log.debug("sync %s: ids %d..%d: portal %d, store %d", entity.name, lo, hi, portal, held)
    if held <= LIST_IDS:
        return await _list_range(run, entity, {**base, "<=ID": hi}, lo, hi, expected=portal)
    parts = await run.db(split_points, run.engine, entity.model, lo, hi, since, parts=SPLIT)
    counts = [await run.db(local_count, run.engine, entity.model, a, b, since) for a, b in parts]
    found = await asyncio.gather(
        *(
            _check_range(run, entity, a, b, since, n)
            for (a, b), n in zip(parts, counts, strict=True)
        )
    )
    return sum(found)


def _arc(run: Run, last: datetime | None, now: datetime) -> tuple[float, float] | None:
    """The part of the ring (fractions 0..1) turned since ``last``; None: all of it."""
    period = run.options.reconcile_every.total_seconds()
    if run.full or last is None or period <= 0 or (now - last).total_seconds() >= period:
        return None
    start = (last.timestamp() % period) / period
    end = (now.timestamp() % period) / period
    return start, end


def _pieces(arc: tuple[float, float] | None, margin: float) -> list[tuple[float, float]]:
    if arc is None:
        return [(0.0, 1.0)]
    start, end = arc
    start -= margin  # row counts move between syncs; overlap a little rather than miss
    if start <= end:
        return [(max(0.0, start), end)]
    return [(max(0.0, start), 1.0), (0.0, end)] if start < 1.0 else [(0.0, end)]


async def _by_ids(run: Run, entity: Entity, last: datetime | None, now: datetime) -> int:
    held, since = await run.db(local_summary, run.engine, entity.model, entity.history)
    if held == 0:
        return 0
    arc = None if held <= run.options.reconcile_whole_rows else _arc(run, last, now)
    deleted = 0
    for low, high in _pieces(arc, margin=0.01):
        first = 0 if low <= 0 else int(low * held)
        last_rank = held - 1 if high >= 1 else int(high * held)
        lo = 1 if first == 0 else await run.db(id_at, run.engine, entity.model, first)
        hi = _MAX_ID if high >= 1 else await run.db(id_at, run.engine, entity.model, last_rank)
        if lo is None or hi is None or hi < lo:
            continue
        count = await run.db(local_count, run.engine, entity.model, lo, hi, since)
        deleted += await _check_range(run, entity, lo, hi, since, count)
    return deleted


def _oldest_call(engine: Engine) -> datetime | None:
    with session_scope(engine) as session:
        value = session.execute(select(func.min(Call.start_at))).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


def _window_ids(engine: Engine, window: tuple[datetime, datetime]) -> tuple[int, int, int]:
    """Calls held in the window: how many, the lowest id and the highest."""
    table = _table(Call)
    started = table.c["start_at"]
    query = select(func.count(), func.min(table.c["id"]), func.max(table.c["id"])).where(
        started >= window[0], started < window[1]
    )
    with session_scope(engine) as session:
        held, low, high = session.execute(query).one()
    return int(held), int(low or 0), int(high or 0)


async def _check_window(run: Run, entity: Entity, window: tuple[datetime, datetime]) -> int:
    held, first, last = await run.db(_window_ids, run.engine, window)
    if held == 0:
        return 0  # nothing held there, nothing to delete
    low, high = window
    # The ids held bound the count: the portal then counts that id range, not every call.
    flt = {
        ">=CALL_START_DATE": run.clock.iso(low),
        "<CALL_START_DATE": run.clock.iso(high),
        ">=ID": first,
        "<=ID": last,
    }
    portal = await run.client.count(entity.spec, filter=flt)
    if portal == held:
        return 0
    log.debug("sync calls: %s..%s: portal %d, store %d", low, high, portal, held)
    listing = {k: v for k, v in flt.items() if k != ">=ID"}
    return await _list_range(run, entity, listing, first, last, window=window, expected=portal)


async def _calls(run: Run, entity: Entity, last: datetime | None, now: datetime) -> int:
    oldest = await run.db(_oldest_call, run.engine)
    # The calls pass has just checked what it re-read; older calls go round the ring.
    end = now - run.options.calls_reread
    if oldest is None or oldest >= end:
        return 0
    begin = oldest.astimezone(run.clock.tz).replace(microsecond=0)
    span = end - begin
    windows: list[tuple[datetime, datetime]] = []
    for low, high in _pieces(_arc(run, last, now), margin=0.01):
        cut_low = begin + span * low
        cut_high = end if high >= 1 else begin + span * high + timedelta(seconds=1)
        cut_low = cut_low.replace(microsecond=0)
        while cut_low < cut_high:
            windows.append((cut_low, min(cut_low + run.options.window, cut_high)))
            cut_low = windows[-1][1]
    found = await asyncio.gather(*(_check_window(run, entity, w) for w in windows))
    return sum(found)


async def reconcile(run: Run, entity: Entity) -> None:
    """One deletion check of ``entity`` (whole or a slice); marks it done as of its start."""
    started = run.clock.now()
    cursor = await run.db(state.read, run.engine, entity.name)
    counter = run.counter(entity.name)
    if entity.mode is Mode.CALLS:
        counter.deleted += await _calls(run, entity, cursor.reconciled_at, started)
    else:
        counter.deleted += await _by_ids(run, entity, cursor.reconciled_at, started)
    await run.db(state.mark_reconciled, run.engine, entity.name, started)
