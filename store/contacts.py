"""Each client's contacts by kind and month (``ClientContact``), kept by every write.

What a communication is (DESIGN.md) is partly a setting (which types and providers are
meetings), so the store keeps, per client, kind and calendar month (UTC), the first and the
latest start of its completed activities, for every kind the definition can tell apart:
(type, provider, call failed). ``call_failed`` is true for a call activity (type 2) whose
telephony records exist and none connected, as ``kpi.activities.call_not_failed`` reads
them. A report reads the kinds it counts (``kpi.last_contact``).

The rows are derived data, refreshed in the transaction of the write that changes them:

- activities written or deleted: ``before_write`` reads what the rows were; afterwards a
  client is rebuilt when one of them held the first or the latest start of its kind and
  month, and the rows the activities are in now widen to take them (``INSERT ... ON
  CONFLICT`` keeping the earlier first and the later latest);
- activities whose client changed because a deal or a contact was written or deleted
  (``store.clients`` hands over the client they had): the same;
- calls written or deleted: the call activities with those call ids may change kind;
  their client is rebuilt when they held a first or a latest start.

A rebuild reads the client's activities again, so a deleted activity moves the latest back.
On PostgreSQL one transaction at a time changes these rows (a transaction-level advisory
lock taken before its first write of a table they derive from): two syncs' chunks, one
bringing an activity and one its call, cannot interleave their reads and writes of the
same client's rows, nor deadlock on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    extract,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, SQLModel

from store.clients import CLIENT_COMPANY, CLIENT_CONTACT, Moved, in_ids
from store.models import Activity, Call, ClientContact, Contact, Deal

ACTIVITY_CALL = 2
CONNECTED = "200"
# pg_advisory_xact_lock key of the summary's writers (store.locks uses session-level keys
# hashed from names; this constant is outside what a 64-bit hash of a name is likely to hit
# only by chance, and a collision would only make two writers wait for each other).
_PG_LOCK_KEY = 0x636C69656E745F63  # "client_c"

_ACT: Table = Activity.__table__  # type: ignore[attr-defined]
_CALLS: Table = Call.__table__  # type: ignore[attr-defined]
_CC: Table = ClientContact.__table__  # type: ignore[attr-defined]
_KEY = ("client_type", "client_id", "month", "type_id", "provider_id", "call_failed")
_DERIVED_FROM = (Activity, Call, Deal, Contact)

# One activity's contribution: (client type, client id, type, provider, call failed, start).
Contribution = tuple[int, int, int, str, bool, datetime]
# The rows of one client in one month: (client type, client id, month).
ClientMonth = tuple[int, int, int]


def month_of(moment: datetime) -> int:
    """The month number of ``ClientContact.month`` of an aware datetime."""
    utc = moment.astimezone(UTC)
    return utc.year * 12 + utc.month - 1


def month_number(dialect: str, column: Any) -> ColumnElement[int]:
    """``month_of`` in SQL, of a ``UTCDateTime`` column."""
    if dialect == "sqlite":  # kept as UTC text
        year = cast(func.strftime("%Y", column), Integer)
        month = cast(func.strftime("%m", column), Integer)
    else:
        utc = func.timezone("UTC", column)
        year = cast(extract("year", utc), Integer)
        month = cast(extract("month", utc), Integer)
    return year * 12 + month - 1


@dataclass
class Before:
    """What a write of activities or calls is about to change, read before it."""

    model: type[SQLModel] | None = None
    # by activity id: the activities written (activities) or whose calls are (calls)
    activities: dict[int, Contribution] = field(default_factory=dict)
    call_ids: set[str] = field(default_factory=set)  # the calls' call ids, before and after


def call_failed(activities: Any = _ACT) -> ColumnElement[bool]:
    """A call activity whose telephony records exist and none of them connected."""
    best = (
        select(func.max(case((_CALLS.c.failed_code == CONNECTED, 1), else_=0)))
        .where(_CALLS.c.call_id == activities.c.call_id, _CALLS.c.call_id != "")
        .scalar_subquery()
    )
    return and_(activities.c.type_id == ACTIVITY_CALL, func.coalesce(best, 1) == 0)


def _counted(where: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(
        where,
        _ACT.c.completed == true(),
        _ACT.c.client_type.is_not(None),
        _ACT.c.client_id.is_not(None),
        _ACT.c.start_at.is_not(None),
    )


def contributions(dialect: str, where: ColumnElement[bool]) -> Any:
    """The rows the activities matching ``where`` make, grouped (a select)."""
    each = (
        select(
            _ACT.c.client_type,
            _ACT.c.client_id,
            month_number(dialect, _ACT.c.start_at).label("month"),
            _ACT.c.type_id,
            func.coalesce(_ACT.c.provider_id, "").label("provider_id"),
            call_failed().label("call_failed"),
            _ACT.c.start_at,
        )
        .where(_counted(where))
        .subquery("each_activity")
    )
    # Grouping a subquery's columns: PostgreSQL would not match two copies of the call test.
    return (
        select(
            *(each.c[name] for name in _KEY),
            func.min(each.c.start_at).label("first_at"),
            func.max(each.c.start_at).label("last_at"),
        )
        .where(true())  # SQLite reads INSERT ... SELECT ... ON CONFLICT only after a WHERE
        .group_by(*(each.c[name] for name in _KEY))
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _widen(session: Session, where: ColumnElement[bool]) -> None:
    """Add the activities matching ``where``: a row's first only moves earlier here, its
    latest only later."""
    dialect = _dialect(session)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_CC).from_select([*_KEY, "first_at", "last_at"], contributions(dialect, where))
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={
            "first_at": case((new.first_at < _CC.c.first_at, new.first_at), else_=_CC.c.first_at),
            "last_at": case((new.last_at > _CC.c.last_at, new.last_at), else_=_CC.c.last_at),
        },
        where=or_(new.first_at < _CC.c.first_at, new.last_at > _CC.c.last_at),
    )
    session.execute(stmt)


def _clients_match(session: Session, table: Any, clients: Iterable[tuple[int, int]]) -> Any:
    by_type: dict[int, list[int]] = {}
    for client_type, client_id in clients:
        by_type.setdefault(client_type, []).append(client_id)
    return or_(
        *(
            and_(table.c.client_type == kind, in_ids(session, table.c.client_id, sorted(ids)))
            for kind, ids in sorted(by_type.items())
        )
    )


def rebuild(session: Session, months: Iterable[ClientMonth]) -> None:
    """Recompute these clients' rows of these months from their activities."""
    groups: dict[tuple[int, int], list[int]] = {}  # (client type, month) -> client ids
    for client_type, client_id, month in set(months):
        groups.setdefault((client_type, month), []).append(client_id)
    for (client_type, month), ids in sorted(groups.items()):
        ids.sort()
        rows = and_(
            _CC.c.client_type == client_type,
            _CC.c.month == month,
            in_ids(session, _CC.c.client_id, ids),
        )
        session.execute(delete(_CC).where(rows))
        low, high = _month_start(month), _month_start(month + 1)
        activities = and_(
            _ACT.c.client_type == client_type,
            in_ids(session, _ACT.c.client_id, ids),
            _ACT.c.start_at >= low,
            _ACT.c.start_at < high,
        )
        _widen(session, activities)


def rebuild_clients(session: Session, clients: Iterable[tuple[int, int]]) -> None:
    """Recompute these clients' rows, every month."""
    wanted = sorted(set(clients))
    if not wanted:
        return
    session.execute(delete(_CC).where(_clients_match(session, _CC, wanted)))
    _widen(session, _clients_match(session, _ACT, wanted))


def _month_start(month: int) -> datetime:
    year, index = divmod(month, 12)
    return datetime(year, index + 1, 1, tzinfo=UTC)


def rebuild_all(session: Session) -> None:
    """Recompute every row (a store migrated with activities, or a check)."""
    session.execute(delete(_CC))
    _widen(session, true())


def _current(
    session: Session, where: ColumnElement[bool], *, client: bool = True
) -> dict[int, Contribution]:
    """The contributions of the activities matching ``where``; with ``client`` False also of
    those with no client (their client fields None), for a caller who knows the one they had."""
    if not client:
        where = and_(where, _ACT.c.completed == true(), _ACT.c.start_at.is_not(None))
    query = select(
        _ACT.c.id,
        _ACT.c.client_type,
        _ACT.c.client_id,
        _ACT.c.type_id,
        func.coalesce(_ACT.c.provider_id, ""),
        call_failed(),
        _ACT.c.start_at,
    ).where(_counted(where) if client else where)
    found: dict[int, Contribution] = {}
    for activity_id, client_type, client_id, type_id, provider, failed, start in session.execute(
        query
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
        _CC.c.client_type,
        _CC.c.client_id,
        _CC.c.month,
        _CC.c.type_id,
        _CC.c.provider_id,
        _CC.c.call_failed,
        _CC.c.first_at,
        _CC.c.last_at,
    ).where(_clients_match(session, _CC, clients), _CC.c.month.in_(sorted(months)))
    edges: set[tuple[Any, ...]] = set()
    for *kind, first, last in session.execute(query):
        kind[5] = bool(kind[5])
        edges.add((*kind, first))
        edges.add((*kind, last))
    return {(key[0], key[1], key[2]) for key in keyed if key in edges}


def _in_texts(session: Session, column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """``column IN values`` with the values as one bound value (see ``store.clients.in_ids``)."""
    wanted = sorted(values)
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(json.dumps(wanted)).table_valued("value")
        found: ColumnElement[bool] = column.in_(select(each.c.value))
        return found
    listed: ColumnElement[bool] = column == any_(bindparam(None, wanted, type_=ARRAY(String())))
    return listed


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
        return Before(Activity, activities=_current(session, in_ids(session, _ACT.c.id, ids)))
    if model is Call and ids:
        query = select(_CALLS.c.call_id).where(in_ids(session, _CALLS.c.id, ids))
        call_ids = {str(c) for c in session.execute(query).scalars()}
        call_ids.update(str(r.get("call_id") or "") for r in rows if isinstance(r, Mapping))
        call_ids.discard("")
        if not call_ids:
            return Before(Call)
        return Before(Call, _current(session, _calling(session, call_ids)), call_ids)
    return Before(model)


def _calling(session: Session, call_ids: Iterable[str]) -> ColumnElement[bool]:
    return and_(_ACT.c.type_id == ACTIVITY_CALL, _in_texts(session, _ACT.c.call_id, call_ids))


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
        _refresh(session, olds, in_ids(session, _ACT.c.id, done))
    elif before.model is Call and done and before.call_ids:
        # Only an activity whose call test changed (failed or not) changes kind.
        now = _current(session, _calling(session, before.call_ids))
        changed = sorted(i for i, c in now.items() if before.activities.get(i) != c)
        olds = [before.activities[i] for i in changed if i in before.activities]
        if changed:
            _refresh(session, olds, in_ids(session, _ACT.c.id, changed))
    if moved:
        _moved(session, moved)


def _moved(session: Session, moved: Sequence[Moved]) -> None:
    """Activities changed client: the rows of the client they had may narrow."""
    ids = [m[0] for m in moved]
    now = _current(session, in_ids(session, _ACT.c.id, ids), client=False)
    olds = [
        (m[1], m[2], *now[m[0]][2:])
        for m in moved
        if m[0] in now and m[1] is not None and m[2] is not None
    ]
    _refresh(session, olds, in_ids(session, _ACT.c.id, ids))


def _refresh(session: Session, olds: Sequence[Contribution], where: ColumnElement[bool]) -> None:
    rebuild(session, _holding(session, olds))
    _widen(session, where)


__all__ = [
    "CLIENT_COMPANY",
    "CLIENT_CONTACT",
    "Before",
    "after_write",
    "before_write",
    "call_failed",
    "contributions",
    "month_number",
    "month_of",
    "rebuild",
    "rebuild_all",
    "rebuild_clients",
]
