"""One pass over one entity: read chunk by chunk, map, upsert with the cursor, close.

Three shapes (``entities.Mode``):

- snapshot: small tables read in full; rows the portal no longer lists are deleted at the end.
- modified: ``>=<date field>`` since the cursor minus the overlap (first pass: everything,
  or the history window), keyset by id inside; ``last_id`` moves with every chunk.
- calls: no modification date; windows of ``CALL_START_DATE`` of at most 14 days, keyset by
  id inside each; a later pass starts ``calls_reread`` before where the last one ended, to
  pick up fields the portal fills in after the call. A window read whole also drops the
  calls held there that it lacked (deleted on the portal).

A pass is recorded (``pass_started_at``) before it reads; a rerun after a crash resumes it
with the same filter from ``last_id``. Memory holds two chunks of raw rows per listing: the
one being written and the next, fetched meanwhile. Each table's passes run at once with the
others' (``engine``); the cursor moves only with its committed chunk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import SQLModel

from crm.sync import mapping, state
from crm.sync.context import Run, UsersUnavailable
from crm.sync.entities import STATUSES, USERS, Entity
from crm.sync.fields import MapContext, parse_int
from crm.sync.mapping import Row
from store.models import UserDepartment

log = logging.getLogger("crm.sync")


def _max_id(entity: Entity, chunk: Sequence[Mapping[str, Any]], floor: int) -> int:
    high = floor
    for raw in chunk:
        try:
            row_id = parse_int(raw.get(entity.spec.id_key))
        except (ValueError, OverflowError):
            continue
        if row_id is not None and row_id > high:
            high = row_id
    return high


def _window(run: Run, window: tuple[datetime, datetime]) -> dict[str, Any]:
    low, high = window
    return {">=CALL_START_DATE": run.clock.iso(low), "<CALL_START_DATE": run.clock.iso(high)}


def _map(entity: Entity, chunk: Sequence[Mapping[str, Any]], ctx: MapContext) -> list[Row]:
    rows: list[Row] = []
    for raw in chunk:
        row = entity.mapper(raw, ctx)
        if row is not None:
            rows.append(row)
    return rows


async def _read(  # noqa: PLR0913 - one listing and what to do along it
    run: Run,
    entity: Entity,
    filter: dict[str, Any] | None,
    after_id: int,
    *,
    expected: int | None = None,
    exact: bool = False,
    seen: set[int] | None = None,
    gone_since: datetime | None = None,
) -> int:
    """Read one keyset listing from ``after_id``, committing rows and cursor per chunk.

    Chunks are written in the order they come, each with the cursor after it, so the cursor
    never passes a row not yet committed; the client fetches the next chunk meanwhile.
    ``seen`` collects the ids read (for the deletion check of a calls window). With
    ``gone_since`` the listing has no filter, so each chunk holds every portal row of its id
    range: calls held there (started since then) that it lacks are deleted with it. Returns
    the last id read.
    """
    counter = run.counter(entity.name)
    async for chunk in run.client.iter_pages(
        entity.spec,
        filter=filter,
        select=entity.select,
        after_id=after_id,
        expected=expected,
        exact=exact,
    ):
        await run.users_ready.wait()  # references to users are checked against the new list
        if run.users_failed:
            # Mapped now, their user references could not be checked, and no later
            # incremental run would read them again. Nothing is written; the pass resumes.
            raise UsersUnavailable
        rows = _map(entity, chunk, run.ctx)
        mapped = len(rows)
        if gone_since is not None:  # a call started before the history (ids overlap there)
            rows = [row for row in rows if row["start_at"] >= gone_since]
        before, after_id = after_id, _max_id(entity, chunk, after_id)
        if seen is not None:
            seen.update(row["id"] for row in rows)
        written = await run.db(
            state.save_chunk, run.engine, entity.name, entity.model, rows, after_id
        )
        if gone_since is not None:
            ids = {row["id"] for row in rows}
            counter.deleted += await run.db(
                state.drop_calls, run.engine, (before, after_id), ids, gone_since
            )
        counter.fetched += len(chunk)
        counter.skipped += len(chunk) - mapped
        counter.written += written
        run.report_progress(entity.name, counter.fetched)
    return after_id


async def modified(run: Run, entity: Entity) -> bool:
    """An incremental pass; True when it read everything it could (first or full pass)."""
    cursor = await run.db(state.read, run.engine, entity.name)
    # A pass left unfinished is resumed unless --full asks to redo one that was incremental.
    resume = cursor.in_pass and not (run.full and cursor.modified_since is not None)
    if not resume:
        cursor = await run.db(
            state.start_pass,
            run.engine,
            entity.name,
            started_at=run.clock.now(),
            forget_since=run.full,
        )
    assert cursor.pass_started_at is not None  # set by start_pass or by the pass resumed
    flt: dict[str, Any] | None = None
    if cursor.modified_since is not None:
        since = cursor.modified_since - run.options.overlap
        flt = {f">={entity.modified_field}": run.clock.iso(since)}
    elif entity.history:
        since = cursor.pass_started_at - run.options.history
        flt = {f">={entity.modified_field}": run.clock.iso(since)}
    read_everything = cursor.modified_since is None
    if resume:
        log.info("sync %s: resuming after id %d", entity.name, cursor.last_id)
    exact = cursor.modified_since is None
    if not exact:
        # Rows we hold that the filter matches come again: a fair guess of the reply's size.
        expected = await run.db(state.count_since, run.engine, entity.model, since, cursor.last_id)
    else:  # a first read: the portal counts (in one batch with the other tables' counts)
        # The listing then trusts that count (no second one): a row added after it was
        # modified after the pass started, and the next pass reads it.
        bounded = {**(flt or {}), entity.spec.id_filter: cursor.last_id}
        expected = await run.client.count(entity.spec, filter=bounded)
    await _read(run, entity, flt, cursor.last_id, expected=expected, exact=exact)
    first = await run.db(
        state.finish_pass, run.engine, entity.name, entity.model, read_everything=read_everything
    )
    return first


async def calls(run: Run, entity: Entity) -> bool:
    """A calls pass over windows of start time; True when it was the first complete read."""
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
        await _read(run, entity, _window(run, (low, high)), after_id, expected=size, seen=seen)
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

    A range of start times longer than 30 days gives only its newest days (reference §5.4),
    so time filters would need windows, and each window would end in a part-read batch; by
    id, the calls come 2,500 to a request to the end. A call held from the history start on
    that a chunk's id range lacks was deleted on the portal (a ``--full`` over a store).
    A resumed pass goes on after its ``last_id``.
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
    last = await _read(run, entity, None, after_id, gone_since=since)
    run.counter(entity.name).deleted += await run.db(
        state.drop_calls, run.engine, (last, None), set(), since
    )


async def snapshot(run: Run, entity: Entity) -> None:
    """A small table read in full; what the portal no longer lists is deleted."""
    started = run.clock.now()
    counter = run.counter(entity.name)
    seen: set[tuple[Any, ...]] = set()
    seen_links: set[tuple[Any, ...]] = set()
    expected = await run.db(state.count_since, run.engine, entity.model, None, 0)
    async for chunk in run.client.iter_pages(entity.spec, select=entity.select, expected=expected):
        wanted = _wanted(entity, chunk)
        extra: tuple[type[SQLModel], list[Row]] | None = None
        if entity is USERS:
            rows, links = _users(wanted, run.ctx)
            seen_links.update((link["user_id"], link["department_id"]) for link in links)
            extra = (UserDepartment, links)
        else:
            rows = _map(entity, wanted, run.ctx)
        seen.update(_key(entity, row) for row in rows)
        written = await run.db(
            state.save_chunk, run.engine, entity.name, entity.model, rows, None, links=extra
        )
        counter.fetched += len(wanted)
        counter.skipped += len(wanted) - len(rows)
        counter.written += written
        run.report_progress(entity.name, counter.fetched)
    counter.deleted += await run.db(
        state.finish_snapshot,
        run.engine,
        entity.name,
        entity.model,
        seen,
        started,
        links=(UserDepartment, seen_links) if entity is USERS else None,
    )


def _wanted(entity: Entity, chunk: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    # crm.status.list holds every dictionary of the portal; only ours are kept or counted.
    if entity is STATUSES:
        return [raw for raw in chunk if mapping.dictionary_kind(raw.get("ENTITY_ID"))]
    return chunk


def _users(chunk: Sequence[Mapping[str, Any]], ctx: MapContext) -> tuple[list[Row], list[Row]]:
    rows: list[Row] = []
    links: list[Row] = []
    for raw in chunk:
        found = mapping.user(raw, ctx)
        if found is not None:
            rows.append(found[0])
            links.extend(found[1])
    return rows, links


def _key(entity: Entity, row: Row) -> tuple[Any, ...]:
    table: Any = entity.model.__table__  # type: ignore[attr-defined]
    return tuple(row[column.name] for column in table.primary_key.columns)
