"""Idempotent upserts: insert new rows, update changed ones, leave equal ones untouched.

``INSERT ... ON CONFLICT DO UPDATE ... WHERE <some column differs>`` on both SQLite and
PostgreSQL, so a second sync with no changes writes nothing and the count of rows written
is exact. Writes and deletes keep the store's derived data current in the same transaction:
the activities' clients (``store.clients``) and the clients' latest contacts
(``store.contacts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from store import contacts
from store.clients import refresh_after_write

# SQLite allows 32766 bound parameters per statement; stay well below it.
_MAX_PARAMS = 30_000


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def upsert(session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]) -> int:
    """Write ``rows`` (column name to value); return how many were inserted or changed.

    One statement per column set, executed with many parameter sets: SQLAlchemy compiles it
    once and batches it ("insertmanyvalues"), about 12x faster on SQLite and 4x on PostgreSQL
    than a fresh multi-row VALUES statement per chunk.
    """
    shapes: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(row), []).append(row)
    before = contacts.before_write(session, model, rows)
    written = [
        key
        for columns, part in shapes.items()
        for key in _upsert_shape(session, model, columns, part)
    ]
    moved = refresh_after_write(session, model, written)
    contacts.after_write(session, before, written, moved)
    return len(written)


def _upsert_shape(
    session: Session,
    model: type[SQLModel],
    columns: tuple[str, ...],
    rows: Sequence[Mapping[str, Any]],
) -> list[Any]:
    """The first primary-key column of the rows inserted or changed."""
    table = _table(model)
    keys = [column.name for column in table.primary_key.columns]
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_fn(table)
    updated = [name for name in columns if name not in keys]
    if updated:
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={name: excluded[name] for name in updated},
            # Equal rows are left alone, so a rerun writes nothing and the count is exact.
            where=or_(*(table.c[name].is_distinct_from(excluded[name]) for name in updated)),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    # RETURNING yields exactly the rows written; rowcount is unreliable for executemany.
    result = session.execute(stmt.returning(table.c[keys[0]]), [dict(row) for row in rows])
    return list(result.scalars())


def existing_ids(session: Session, model: type[SQLModel], lo: int, hi: int) -> set[int]:
    """Ids the store holds in [lo, hi], for reconciliation against the portal."""
    table = _table(model)
    column = table.c["id"]
    return set(session.execute(select(column).where(column >= lo, column <= hi)).scalars())


def delete_ids(session: Session, model: type[SQLModel], ids: Iterable[int]) -> int:
    table = _table(model)
    wanted = sorted(ids)
    before = contacts.before_write(session, model, wanted)
    removed = 0
    for start in range(0, len(wanted), 1000):
        part = wanted[start : start + 1000]
        result = session.execute(delete(table).where(table.c["id"].in_(part)))
        removed += max(getattr(result, "rowcount", 0) or 0, 0)
    moved = refresh_after_write(session, model, wanted)
    contacts.after_write(session, before, wanted, moved)
    return removed
