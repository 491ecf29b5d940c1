"""One pass over one entity: read chunk by chunk, map, upsert with the cursor, close.

Three shapes (``entities.Mode``):

- snapshot: small tables read in full; rows the portal no longer lists are deleted at the end.
- modified: ``>=<date field>`` since the cursor minus the overlap (first pass: everything,
  or the history window), keyset by id inside; ``last_id`` moves with every chunk.
- calls: no modification date (``callpass``).

A pass is recorded (``pass_started_at``) before it reads; a rerun after a crash resumes it
with the same filter from ``last_id``. Memory holds two chunks of raw rows per listing: the
one being written and the next, fetched meanwhile. Each table's passes run at once with the
others' (``engine``); the cursor moves only with its committed chunk.
"""

from __future__ import annotations

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


def _map(entity: Entity, chunk: Sequence[Mapping[str, Any]], ctx: MapContext) -> list[Row]:
    rows: list[Row] = []
    for raw in chunk:
        row = entity.mapper(raw, ctx)
        if row is not None:
            rows.append(row)
    return rows


async def read(  # noqa: PLR0913 - one listing and what to do along it
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
    await read(run, entity, flt, cursor.last_id, expected=expected, exact=exact)
    first = await run.db(
        state.finish_pass, run.engine, entity.name, entity.model, read_everything=read_everything
    )
    return first


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
