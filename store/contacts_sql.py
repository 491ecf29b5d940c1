"""SQL of the clients' contacts summary (``ClientContact``), for ``store.contacts``.

A summary row is (client, month, kind) with the first and the latest start of the client's
completed activities of that kind started in that month (UTC). ``contributions`` is the
one definition of a row, used to add activities (``widen``), to recompute a client's month
(``rebuild``) or everything (``rebuild_all``), and by the tests as the recomputation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
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
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from store.clients import in_ids
from store.models import Activity, Call, ClientContact

ACTIVITY_CALL = 2
CONNECTED = "200"

ACTIVITIES: Table = Activity.__table__  # type: ignore[attr-defined]
CALLS: Table = Call.__table__  # type: ignore[attr-defined]
SUMMARY: Table = ClientContact.__table__  # type: ignore[attr-defined]
_KEY = ("client_type", "client_id", "month", "type_id", "provider_id", "call_failed")

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


def call_failed(activities: Any = ACTIVITIES) -> ColumnElement[bool]:
    """A call activity whose telephony records exist and none of them connected."""
    best = (
        select(func.max(case((CALLS.c.failed_code == CONNECTED, 1), else_=0)))
        .where(CALLS.c.call_id == activities.c.call_id, CALLS.c.call_id != "")
        .scalar_subquery()
    )
    return and_(activities.c.type_id == ACTIVITY_CALL, func.coalesce(best, 1) == 0)


def counted(where: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(
        where,
        ACTIVITIES.c.completed == true(),
        ACTIVITIES.c.client_type.is_not(None),
        ACTIVITIES.c.client_id.is_not(None),
        ACTIVITIES.c.start_at.is_not(None),
    )


def contributions(dialect: str, where: ColumnElement[bool]) -> Any:
    """The rows the activities matching ``where`` make, grouped (a select)."""
    each = (
        select(
            ACTIVITIES.c.client_type,
            ACTIVITIES.c.client_id,
            month_number(dialect, ACTIVITIES.c.start_at).label("month"),
            ACTIVITIES.c.type_id,
            func.coalesce(ACTIVITIES.c.provider_id, "").label("provider_id"),
            call_failed().label("call_failed"),
            ACTIVITIES.c.start_at,
        )
        .where(counted(where))
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


def _widen_statement(dialect: str, where: ColumnElement[bool]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(SUMMARY).from_select(
        [*_KEY, "first_at", "last_at"], contributions(dialect, where)
    )
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={
            "first_at": case(
                (new.first_at < SUMMARY.c.first_at, new.first_at), else_=SUMMARY.c.first_at
            ),
            "last_at": case(
                (new.last_at > SUMMARY.c.last_at, new.last_at), else_=SUMMARY.c.last_at
            ),
        },
        where=or_(new.first_at < SUMMARY.c.first_at, new.last_at > SUMMARY.c.last_at),
    )


def widen(session: Session, where: ColumnElement[bool]) -> None:
    """Add the activities matching ``where``: a row's first only moves earlier here, its
    latest only later."""
    session.execute(_widen_statement(_dialect(session), where))


def widen_ids(session: Session, ids: Sequence[int]) -> None:
    """``widen`` the activities with these ids (every chunk the sync writes: prepared once)."""
    dialect = _dialect(session)
    stmt = prepared(
        dialect, "widen_ids", lambda: _widen_statement(dialect, listed(dialect, ACTIVITIES.c.id))
    )
    session.execute(stmt, {"ids": bound(dialect, ids)})


# Statements built once per dialect: the writer runs them for every chunk of every sync,
# and building the SQLAlchemy expression costs more than running it on a small chunk.
_PREPARED: dict[tuple[str, str], Any] = {}


def prepared(dialect: str, name: str, build: Callable[[], Any]) -> Any:
    key = (dialect, name)
    if key not in _PREPARED:
        _PREPARED[key] = build()
    return _PREPARED[key]


def listed(dialect: str, column: Any, *, texts: bool = False) -> ColumnElement[bool]:
    """``column IN :ids``, the list bound by ``bound`` (JSON on SQLite, an array on
    PostgreSQL, as ``store.clients.in_ids``)."""
    if dialect == "sqlite":
        each = func.json_each(bindparam("ids", type_=String())).table_valued("value")
        inside: ColumnElement[bool] = column.in_(select(each.c.value))
        return inside
    kind = ARRAY(String()) if texts else ARRAY(BigInteger())
    anyof: ColumnElement[bool] = column == any_(bindparam("ids", type_=kind))
    return anyof


def bound(dialect: str, values: Iterable[Any]) -> Any:
    """The ``:ids`` value of a ``listed`` test."""
    wanted = sorted(values)
    return json.dumps(wanted) if dialect == "sqlite" else wanted


def clients_match(session: Session, table: Any, clients: Iterable[tuple[int, int]]) -> Any:
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
            SUMMARY.c.client_type == client_type,
            SUMMARY.c.month == month,
            in_ids(session, SUMMARY.c.client_id, ids),
        )
        session.execute(delete(SUMMARY).where(rows))
        low, high = _month_start(month), _month_start(month + 1)
        activities = and_(
            ACTIVITIES.c.client_type == client_type,
            in_ids(session, ACTIVITIES.c.client_id, ids),
            ACTIVITIES.c.start_at >= low,
            ACTIVITIES.c.start_at < high,
        )
        widen(session, activities)


def _month_start(month: int) -> datetime:
    year, index = divmod(month, 12)
    return datetime(year, index + 1, 1, tzinfo=UTC)


def rebuild_all(session: Session) -> None:
    """Recompute every row (a store migrated with activities, or a check)."""
    session.execute(delete(SUMMARY))
    widen(session, true())
