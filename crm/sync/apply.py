"""Apply a set of changes: read each changed record back by id, or drop it (STYLE.md, crm/events).

The one apply path for push events, the offline queue and anything else that names records.
Changes are coalesced (the last word on a record wins), read back in as few requests as
the portal allows: a list call per table and 50 ids (``@ID``), a call per telephony record
or user (their methods take no id list), 50 calls per batch request, paced and retried by
the client like every other request. A record the portal no longer returns is deleted: an
update event can arrive after the record is gone. Rows are mapped and written exactly as
the sync writes them, so a record outside the sync window is handled as the sync would.

Sub-calls that failed are handed back (``ApplyReport.failed``) for the caller to try again;
nothing is half-written: each request's rows commit in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from crm.errors import BitrixError
from crm.events import Change
from crm.query import MAX_BATCH, BatchResult, cmd_key
from crm.sync import mapping
from crm.sync.entities import (
    ACTIVITIES,
    CALLS,
    COMPANIES,
    CONTACTS,
    DEALS,
    LEADS,
    TASKS,
    USERS,
    Entity,
)
from crm.sync.fields import MapContext
from crm.sync.mapping import Row
from store.db import session_scope
from store.models import Call, User, UserDepartment
from store.upsert import delete_ids, upsert

__all__ = ["ApplyClient", "ApplyReport", "apply_changes", "coalesce"]

ENTITIES: dict[str, Entity] = {
    e.name: e for e in (COMPANIES, CONTACTS, DEALS, LEADS, ACTIVITIES, TASKS, CALLS, USERS)
}
# Tables whose list method takes many ids in one filter (the rest: one record a call).
_ID_LISTS = {
    COMPANIES.name: "@ID",
    CONTACTS.name: "@ID",
    DEALS.name: "@ID",
    LEADS.name: "@ID",
    ACTIVITIES.name: "@ID",
    TASKS.name: "ID",
}
IDS_PER_CALL = 50  # a list call answers at most one page of 50 rows


class ApplyClient(Protocol):
    """The part of ``crm.client.BitrixClient`` the apply path uses."""

    @property
    def requests(self) -> int: ...

    async def batch(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], *, halt: bool = False
    ) -> BatchResult: ...


@dataclass(frozen=True)
class ApplyReport:
    written: int = 0  # rows inserted or changed
    deleted: int = 0  # rows removed (delete events, or gone from the portal)
    requests: int = 0
    calls: tuple[int, ...] = ()  # stored ids of the telephony records read back
    failed: tuple[Change, ...] = ()  # changes whose read failed: try them again later
    entities: frozenset[str] = field(default_factory=frozenset)


def coalesce(changes: Iterable[Change]) -> list[Change]:
    """One change per record, the last one winning, in the order records were first named."""
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        if change.entity in ENTITIES:
            latest[(change.entity, change.key)] = change
    return list(latest.values())


@dataclass
class _Read:
    """One sub-call of a batch: which entity, and the keys it asks for."""

    entity: Entity
    keys: list[str]


def _command(read: _Read) -> tuple[str, dict[str, Any]]:
    spec = read.entity.spec
    name = read.entity.name
    if name in _ID_LISTS:
        flt: dict[str, Any] = {_ID_LISTS[name]: [int(key) for key in read.keys]}
        return spec.method, spec.page_params(filter=flt, select=read.entity.select, start=-1)
    only = read.keys[0]
    flt = {"CALL_ID": only} if read.entity is CALLS else {"ID": int(only)}
    return spec.method, spec.page_params(filter=flt, select=read.entity.select, start=0)


def _reads(changes: Sequence[Change]) -> list[_Read]:
    wanted: dict[str, list[str]] = {}
    for change in changes:
        if not change.deleted and (change.entity == CALLS.name or change.key.isdigit()):
            wanted.setdefault(change.entity, []).append(change.key)
    reads: list[_Read] = []
    for name, keys in wanted.items():
        step = IDS_PER_CALL if name in _ID_LISTS else 1
        entity = ENTITIES[name]
        reads += [_Read(entity, keys[i : i + step]) for i in range(0, len(keys), step)]
    return reads


@dataclass
class _Outcome:
    rows: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    asked: dict[str, set[str]] = field(default_factory=dict)  # keys read successfully
    failed: list[Change] = field(default_factory=list)


async def _fetch(client: ApplyClient, reads: list[_Read]) -> _Outcome:
    outcome = _Outcome()
    for first in range(0, len(reads), MAX_BATCH):
        part = reads[first : first + MAX_BATCH]
        commands = {cmd_key(i): _command(read) for i, read in enumerate(part)}
        result = await client.batch(commands)
        for index, read in enumerate(part):
            key = cmd_key(index)
            name = read.entity.name
            if key in result.errors or key not in result.results:
                outcome.failed += [Change(name, k) for k in read.keys]
                continue
            rows = read.entity.spec.rows(result.results[key])
            outcome.rows.setdefault(name, []).extend(rows)
            outcome.asked.setdefault(name, set()).update(read.keys)
    return outcome


def _known_users(session: Session) -> set[int]:
    return set(session.execute(select(User.id)).scalars())  # type: ignore[call-overload]


def _row_key(entity: Entity, raw: Mapping[str, Any]) -> str:
    if entity is CALLS:
        return str(raw.get("CALL_ID") or "")
    try:
        return str(entity.spec.id_of(raw))
    except BitrixError:
        return ""


def _write_users(session: Session, raws: list[Mapping[str, Any]], ctx: MapContext) -> int:
    written = 0
    for raw in raws:
        found = mapping.user(raw, ctx)
        if found is None:
            continue
        row, links = found
        written += upsert(session, User, [row])
        table: Any = UserDepartment.__table__  # type: ignore[attr-defined]
        session.execute(delete(table).where(table.c["user_id"] == row["id"]))
        if links:
            upsert(session, UserDepartment, links)
    return written


def _gone_ids(entity: Entity, asked: set[str], seen: set[str]) -> list[int]:
    if entity is CALLS:  # a call the portal has not written yet is not a deletion
        return []
    return sorted(int(key) for key in asked - seen if key.isdigit())


def _write(engine: Engine, changes: list[Change], outcome: _Outcome, tz: tzinfo) -> ApplyReport:
    written = deleted = 0
    calls: list[int] = []
    with session_scope(engine) as session:
        users = _known_users(session)
        new_users = outcome.rows.get(USERS.name, [])
        users.update(int(u["ID"]) for u in new_users if str(u.get("ID", "")).isdigit())
        ctx = MapContext(portal_tz=tz, known_users=users)
        written += _write_users(session, new_users, ctx)
        for name, raws in outcome.rows.items():
            entity = ENTITIES[name]
            if entity is USERS:
                continue
            seen = {_row_key(entity, raw) for raw in raws}
            rows: list[Row] = [r for raw in raws if (r := entity.mapper(raw, ctx)) is not None]
            written += upsert(session, entity.model, _unique(entity.model, rows))
            if entity is CALLS:
                calls += [int(row["id"]) for row in rows]
            gone = _gone_ids(entity, outcome.asked.get(name, set()), seen)
            deleted += delete_ids(session, entity.model, gone)
        for change in changes:
            if change.deleted and change.key.isdigit() and change.entity != USERS.name:
                model: type[SQLModel] = ENTITIES[change.entity].model
                if model is not Call:
                    deleted += delete_ids(session, model, [int(change.key)])
    return ApplyReport(written=written, deleted=deleted, calls=tuple(calls))


def _unique(model: type[SQLModel], rows: list[Row]) -> list[Row]:
    # One INSERT ... ON CONFLICT may not touch a key twice (PostgreSQL refuses); last wins.
    table: Any = model.__table__  # type: ignore[attr-defined]
    keys = [column.name for column in table.primary_key.columns]
    return list({tuple(row[k] for k in keys): row for row in rows}.values())


async def apply_changes(
    client: ApplyClient, engine: Engine, changes: Iterable[Change], *, tz: tzinfo = UTC
) -> ApplyReport:
    """Read back or drop every changed record; see the module docstring."""
    merged = coalesce(changes)
    if not merged:
        return ApplyReport()
    before = client.requests
    outcome = await _fetch(client, _reads(merged))
    report = await asyncio.to_thread(_write, engine, merged, outcome, tz)
    return ApplyReport(
        written=report.written,
        deleted=report.deleted,
        requests=client.requests - before,
        calls=report.calls,
        failed=tuple(outcome.failed),
        entities=frozenset(change.entity for change in merged),
    )
