"""The store side of a sync: cursors in ``SyncState`` and chunk writes, each one transaction.

Everything here is synchronous and short; the passes call it through ``Run.db`` (a worker
thread). A chunk's rows and the cursor that says they are done commit together, so a run
killed at any point resumes exactly after the last committed chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from crm.sync.mapping import Row
from store.db import session_scope
from store.models import Call, SyncState
from store.upsert import delete_ids, upsert


@dataclass(frozen=True)
class Cursor:
    """A copy of one ``SyncState`` row, safe to use outside its session."""

    modified_since: datetime | None = None
    last_id: int = 0
    pass_started_at: datetime | None = None
    window_start: datetime | None = None
    full_done_at: datetime | None = None
    reconciled_at: datetime | None = None

    @property
    def in_pass(self) -> bool:
        return self.pass_started_at is not None


def _state(session: Session, entity: str) -> SyncState:
    state = session.get(SyncState, entity)
    if state is None:
        state = SyncState(entity=entity)
        session.add(state)
    return state


def _cursor(state: SyncState) -> Cursor:
    return Cursor(
        modified_since=state.modified_since,
        last_id=state.last_id or 0,
        pass_started_at=state.pass_started_at,
        window_start=state.window_start,
        full_done_at=state.full_done_at,
        reconciled_at=state.reconciled_at,
    )


def read(engine: Engine, entity: str) -> Cursor:
    with Session(engine) as session:
        state = session.get(SyncState, entity)
        return Cursor() if state is None else _cursor(state)


def start_pass(
    engine: Engine,
    entity: str,
    *,
    started_at: datetime,
    forget_since: bool,
    window_start: datetime | None = None,
) -> Cursor:
    """Record a new pass before reading, so a resumed run reads with the same filter."""
    with session_scope(engine) as session:
        state = _state(session, entity)
        state.pass_started_at = started_at
        state.last_id = 0
        if forget_since:
            state.modified_since = None
        if window_start is not None:
            state.window_start = window_start
        session.flush()
        return _cursor(state)


def _dedupe(model: type[SQLModel], rows: Iterable[Row]) -> list[Row]:
    # One INSERT ... ON CONFLICT may not touch a key twice (PostgreSQL refuses); last wins.
    table: Any = model.__table__  # type: ignore[attr-defined]
    keys = [column.name for column in table.primary_key.columns]
    unique: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        unique[tuple(row[key] for key in keys)] = row
    return list(unique.values())


def save_chunk(
    engine: Engine,
    entity: str,
    model: type[SQLModel],
    rows: Iterable[Row],
    last_id: int | None,
    *,
    links: tuple[type[SQLModel], Iterable[Row]] | None = None,
) -> int:
    """Upsert one chunk and move the entity's ``last_id`` with it; rows written (not links)."""
    with session_scope(engine) as session:
        written = upsert(session, model, _dedupe(model, rows))
        if links is not None:
            upsert(session, links[0], _dedupe(links[0], links[1]))
        if last_id is not None:
            _state(session, entity).last_id = last_id
    return written


def next_window(engine: Engine, entity: str, window_start: datetime) -> None:
    with session_scope(engine) as session:
        state = _state(session, entity)
        state.window_start = window_start
        state.last_id = 0


def finish_pass(
    engine: Engine, entity: str, model: type[SQLModel], *, read_everything: bool
) -> bool:
    """Close the pass: its start becomes the cursor. True when it was the entity's first.

    A first complete read of an empty store needs no reconciliation: it is marked reconciled
    as of the pass start, so deletions after that moment are found by the next one.
    """
    with session_scope(engine) as session:
        state = _state(session, entity)
        started = state.pass_started_at
        first = state.full_done_at is None and state.reconciled_at is None
        state.modified_since = started
        state.last_success_at = started
        if read_everything:
            state.full_done_at = started
            if first:
                state.reconciled_at = started
        state.pass_started_at = None
        state.last_id = 0
        state.rows_total = _count(session, model)
    return first and read_everything


def mark_reconciled(engine: Engine, entity: str, at: datetime) -> None:
    with session_scope(engine) as session:
        _state(session, entity).reconciled_at = at


def _count(session: Session, model: type[SQLModel]) -> int:
    table: Any = model.__table__  # type: ignore[attr-defined]
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _keys(session: Session, model: type[SQLModel]) -> tuple[list[Any], set[tuple[Any, ...]]]:
    table: Any = model.__table__  # type: ignore[attr-defined]
    columns = list(table.primary_key.columns)
    return columns, {tuple(row) for row in session.execute(select(*columns))}


def finish_snapshot(
    engine: Engine,
    entity: str,
    model: type[SQLModel],
    seen: set[tuple[Any, ...]],
    at: datetime,
    *,
    links: tuple[type[SQLModel], set[tuple[Any, ...]]] | None = None,
) -> int:
    """After a complete read of a small table: delete what the portal no longer lists."""
    with session_scope(engine) as session:
        deleted = _delete_unseen(session, model, seen)
        if links is not None:
            _delete_unseen(session, links[0], links[1])
        state = _state(session, entity)
        state.modified_since = at
        state.last_success_at = at
        state.full_done_at = at
        state.reconciled_at = at
        state.rows_total = _count(session, model)
    return deleted


def _delete_unseen(session: Session, model: type[SQLModel], seen: set[tuple[Any, ...]]) -> int:
    columns, present = _keys(session, model)
    table: Any = model.__table__  # type: ignore[attr-defined]
    removed = 0
    # Small tables (users, departments, dictionaries): one statement per stale key is fine.
    for key in sorted(present - seen, key=repr):
        match = and_(*(column == value for column, value in zip(columns, key, strict=True)))
        session.execute(delete(table).where(match))
        removed += 1
    return removed


def count_since(
    engine: Engine, model: type[SQLModel], since: datetime | None, after_id: int
) -> int:
    """Rows held with ``modified_at >= since`` (every row for None) and id > ``after_id``."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    query = select(func.count()).select_from(table)
    if after_id > 0:
        query = query.where(table.c["id"] > after_id)
    if since is not None:
        query = query.where(table.c["modified_at"] >= since)
    with Session(engine) as session:
        return int(session.execute(query).scalar_one())


def count_windows(engine: Engine, windows: Sequence[tuple[datetime, datetime]]) -> list[int]:
    """Calls held in each window of start time."""
    table: Any = Call.__table__  # type: ignore[attr-defined]
    column = table.c["start_at"]
    with Session(engine) as session:
        return [
            int(
                session.execute(
                    select(func.count()).select_from(table).where(column >= low, column < high)
                ).scalar_one()
            )
            for low, high in windows
        ]


def close_window(
    engine: Engine,
    model: type[SQLModel],
    window: tuple[datetime, datetime],
    after_id: int,
    seen: set[int],
) -> int:
    """After a window was read from ``after_id``: drop the calls held there it lacked."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    started = table.c["start_at"]
    query = select(table.c["id"]).where(
        table.c["id"] > after_id, started >= window[0], started < window[1]
    )
    with session_scope(engine) as session:
        gone = sorted(set(session.execute(query).scalars()) - seen)
        delete_ids(session, model, gone)
    return len(gone)


def drop_calls(
    engine: Engine, span: tuple[int, int | None], present: set[int], since: datetime
) -> int:
    """Delete the calls held with ``span[0] < id <= span[1]`` (no upper bound for None),
    started at ``since`` or later, that are not ``present``: an id-ordered read of the
    portal's calls showed that range whole, and they were not in it."""
    table: Any = Call.__table__  # type: ignore[attr-defined]
    column = table.c["id"]
    query = select(column).where(column > span[0], table.c["start_at"] >= since)
    if span[1] is not None:
        query = query.where(column <= span[1])
    with session_scope(engine) as session:
        gone = sorted(set(session.execute(query).scalars()) - present)
        delete_ids(session, Call, gone)
    return len(gone)
