"""Each client's contacts by kind and month (``ClientContact``), kept by every write.

What a communication is (DESIGN.md) is partly a setting (which types and providers are
meetings), so the store keeps, per client, kind and calendar month (UTC), the first and the
latest start of its completed activities, for every kind the definition can tell apart:
(type, provider, call failed). ``call_failed`` is true for a call activity (type 2) whose
telephony records exist and none connected, as ``kpi.activities.call_not_failed`` reads
them. A report reads the kinds it counts (``kpi.last_contact``).

The rows are derived data, refreshed in the transaction of the write that changes them:

- activities written or deleted: ``before_write`` reads what the rows were; afterwards a
  client's month is rebuilt when one of them held the first or the latest start of its
  kind there, and the rows the activities are in now widen to take them (``INSERT ... ON
  CONFLICT`` keeping the earlier first and the later latest);
- activities whose client changed because a deal or a contact was written or deleted
  (``store.clients`` hands over the client they had): the same;
- calls written or deleted: the call activities with those call ids whose call test
  changed (failed or not) move from one kind to the other, the same way.

A rebuild reads the client's activities of that month again, so a deleted activity moves
the latest back. SQL in ``store.contacts_sql``.
On PostgreSQL one transaction at a time changes these rows (a transaction-level advisory
lock taken before its first write of a table they derive from): two syncs' chunks, one
bringing an activity and one its call, cannot interleave their reads and writes of the
same client's rows, nor deadlock on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text, true
from sqlmodel import Session, SQLModel

from store.clients import Moved, in_ids
from store.contacts_sql import (
    ACTIVITIES,
    ACTIVITY_CALL,
    CALLS,
    SUMMARY,
    ClientMonth,
    bound,
    call_failed,
    clients_match,
    contributions,
    counted,
    listed,
    month_number,
    month_of,
    prepared,
    rebuild,
    rebuild_all,
    widen_ids,
)
from store.models import Activity, Call, Contact, Deal

# pg_advisory_xact_lock key of the summary's writers (store.locks uses session-level keys
# hashed from names; this constant is outside what a 64-bit hash of a name is likely to hit
# only by chance, and a collision would only make two writers wait for each other).
_PG_LOCK_KEY = 0x636C69656E745F63  # "client_c"
_DERIVED_FROM = (Activity, Call, Deal, Contact)

# One activity's contribution: (client type, client id, type, provider, call failed, start).
Contribution = tuple[int, int, int, str, bool, datetime]


@dataclass
class Before:
    """What a write of activities or calls is about to change, read before it."""

    model: type[SQLModel] | None = None
    # by activity id: the activities written (a write of activities)
    activities: dict[int, Contribution] = field(default_factory=dict)
    # a write of calls: their call ids (before and after) and their activities' call test
    call_ids: set[str] = field(default_factory=set)
    failed: dict[int, bool] = field(default_factory=dict)


def _failed(session: Session, call_ids: Iterable[str]) -> dict[int, bool]:
    """The call test of the counted call activities with these call ids, by activity id."""
    dialect = session.get_bind().dialect.name

    def build() -> Any:
        test = and_(
            ACTIVITIES.c.type_id == ACTIVITY_CALL,
            listed(dialect, ACTIVITIES.c.call_id, texts=True),
        )
        return select(ACTIVITIES.c.id, call_failed()).where(counted(test))

    stmt = prepared(dialect, "failed", build)
    rows = session.execute(stmt, {"ids": bound(dialect, call_ids)})
    return {int(activity_id): bool(failed) for activity_id, failed in rows}


def _current_query(where: ColumnElement[bool], *, client: bool = True) -> Any:
    if not client:
        where = and_(where, ACTIVITIES.c.completed == true(), ACTIVITIES.c.start_at.is_not(None))
    return select(
        ACTIVITIES.c.id,
        ACTIVITIES.c.client_type,
        ACTIVITIES.c.client_id,
        ACTIVITIES.c.type_id,
        func.coalesce(ACTIVITIES.c.provider_id, ""),
        call_failed(),
        ACTIVITIES.c.start_at,
    ).where(counted(where) if client else where)


def _current(
    session: Session, ids: Iterable[int], *, client: bool = True
) -> dict[int, Contribution]:
    """The contributions of the activities with these ids; with ``client`` False also of
    those with no client (their client fields None), for a caller who knows the one they
    had."""
    dialect = session.get_bind().dialect.name

    def build() -> Any:
        return _current_query(listed(dialect, ACTIVITIES.c.id), client=client)

    stmt = prepared(dialect, f"current_{client}", build)
    found: dict[int, Contribution] = {}
    for activity_id, client_type, client_id, type_id, provider, failed, start in session.execute(
        stmt, {"ids": bound(dialect, ids)}
    ):
        found[int(activity_id)] = (client_type, client_id, type_id, provider, bool(failed), start)
    return found


def _holding(session: Session, olds: Sequence[Contribution]) -> set[ClientMonth]:
    """The client months of ``olds`` whose row of that kind starts or ends at that very
    time: losing the activity may narrow it, so they are rebuilt."""
    keyed: dict[tuple[Any, ...], Contribution] = {}
    for old in olds:
        keyed.setdefault((old[0], old[1], month_of(old[5]), *old[2:]), old)
    if not keyed:
        return set()
    clients = {(key[0], key[1]) for key in keyed}
    months = {key[2] for key in keyed}
    query = select(
        SUMMARY.c.client_type,
        SUMMARY.c.client_id,
        SUMMARY.c.month,
        SUMMARY.c.type_id,
        SUMMARY.c.provider_id,
        SUMMARY.c.call_failed,
        SUMMARY.c.first_at,
        SUMMARY.c.last_at,
    ).where(clients_match(session, SUMMARY, clients), SUMMARY.c.month.in_(sorted(months)))
    edges: set[tuple[Any, ...]] = set()
    for *kind, first, last in session.execute(query):
        kind[5] = bool(kind[5])
        edges.add((*kind, first))
        edges.add((*kind, last))
    return {(key[0], key[1], key[2]) for key in keyed if key in edges}


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def before_write(session: Session, model: type[SQLModel], rows: Iterable[Any]) -> Before:
    """Read what ``rows`` (mappings to be written, or ids to be deleted) of ``model`` will
    change, before the write."""
    if model not in _DERIVED_FROM:
        return Before()
    _lock(session)
    rows = list(rows)
    ids = sorted({int(r["id"] if isinstance(r, Mapping) else r) for r in rows})
    if model is Activity and ids:
        return Before(Activity, activities=_current(session, ids))
    if model is Call and ids:
        query = select(CALLS.c.call_id).where(in_ids(session, CALLS.c.id, ids))
        call_ids = {str(c) for c in session.execute(query).scalars()}
        call_ids.update(str(r.get("call_id") or "") for r in rows if isinstance(r, Mapping))
        call_ids.discard("")
        if not call_ids:
            return Before(Call)
        return Before(Call, call_ids=call_ids, failed=_failed(session, call_ids))
    return Before(model)


def after_write(
    session: Session, before: Before, written: Sequence[Any], moved: Sequence[Moved] = ()
) -> None:
    """Bring the rows up to date after ``written`` rows of ``before.model`` were inserted,
    changed or deleted, and ``moved`` activities changed client (``store.clients``)."""
    if before.model is None:
        return
    done = sorted({int(i) for i in written})
    if before.model is Activity and done:
        olds = [before.activities[i] for i in done if i in before.activities]
        _refresh(session, olds, done)
    elif before.model is Call and done and before.call_ids:
        # Only an activity whose call test changed (failed or not) changes kind.
        now = _failed(session, before.call_ids)
        changed = sorted(i for i, failed in now.items() if before.failed.get(i) != failed)
        if changed:
            current = _current(session, changed)
            # what they were: the same activity, the other side of the call test
            olds = [
                (*c[:4], before.failed[i], c[5]) for i, c in current.items() if i in before.failed
            ]
            _refresh(session, olds, changed)
    if moved:
        _moved(session, moved)


def _moved(session: Session, moved: Sequence[Moved]) -> None:
    """Activities changed client: the rows of the client they had may narrow."""
    ids = [m[0] for m in moved]
    now = _current(session, ids, client=False)
    olds = [
        (m[1], m[2], *now[m[0]][2:])
        for m in moved
        if m[0] in now and m[1] is not None and m[2] is not None
    ]
    _refresh(session, olds, ids)


def _refresh(session: Session, olds: Sequence[Contribution], ids: Sequence[int]) -> None:
    """The months ``olds`` may narrow are rebuilt; the activities ``ids`` widen theirs."""
    rebuild(session, _holding(session, olds))
    widen_ids(session, ids)


__all__ = [
    "Before",
    "after_write",
    "before_write",
    "call_failed",
    "contributions",
    "month_number",
    "month_of",
    "rebuild_all",
]
