"""The clients' contacts summary (``store.contacts``) stays equal to a recomputation from the
activities and calls, whatever path wrote them: a full sync, an incremental sync with
changes, a reconciliation that finds deletions, and push events applied by ``apply_changes``,
on SQLite and PostgreSQL.

A recomputation is ``store.contacts.contributions`` over every activity, the statement the
writer runs over the rows it wrote; the migration's own fill is checked against it too.
"""

# The tests take the fixtures imported from the sync's and the apply path's tests by name.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, true
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from crm.events import Change
from crm.sync import SyncOptions
from crm.sync.apply import apply_changes
from store.contacts import contributions
from store.models import Activity, Call, ClientContact
from tests.integration.test_apply_changes import (
    World,
    world,  # noqa: F401  (a fixture)
)
from tests.integration.test_sync import (
    Env,
    _new_row,
    env,  # noqa: F401  (a fixture)
    sync,
)

Summary = set[tuple[Any, ...]]
RECONCILE = SyncOptions(history_days=1000, reconcile_every=timedelta(0))
# The fake portal is enough: the writer is the same whichever client read the rows.
FAKE = pytest.mark.parametrize("env", ["fake"], indirect=True)


def _row(values: Any) -> tuple[Any, ...]:
    client_type, client_id, month, type_id, provider, failed, first, last = values
    return (client_type, client_id, month, type_id, provider, bool(failed), first, last)


def kept(engine: Engine) -> Summary:
    table: Any = ClientContact.__table__  # type: ignore[attr-defined]
    with Session(engine) as session:
        return {_row(r) for r in session.execute(select(table))}


def recomputed(engine: Engine) -> Summary:
    with Session(engine) as session:
        query = contributions(engine.dialect.name, true())
        return {_row(r) for r in session.execute(query)}


def assert_exact(engine: Engine) -> Summary:
    have, want = kept(engine), recomputed(engine)
    assert want, "the portal has communications: the summary cannot be empty"
    assert have == want, (sorted(have - want)[:3], sorted(want - have)[:3])
    return have


def latest_by_client(summary: Summary) -> dict[tuple[int, int], datetime]:
    latest: dict[tuple[int, int], datetime] = {}
    for client_type, client_id, *_, last in summary:
        key = (client_type, client_id)
        latest[key] = max(last, latest.get(key, last))
    return latest


def _latest_activity(engine: Engine, *, oldest: bool = False) -> Activity:
    """The latest (or the oldest) completed activity with a client."""
    start = col(Activity.start_at)
    with Session(engine) as session:
        query = (
            select(Activity)
            .where(col(Activity.completed).is_(True), col(Activity.client_id).is_not(None))
            .order_by(start if oldest else start.desc())
        )
        found: Activity | None = session.execute(query).scalars().first()
    assert found is not None
    return found


@FAKE
async def test_full_and_incremental_syncs_keep_the_summary_exact(
    env: Env, store_engine: Engine
) -> None:
    portal, tables = env.portal, env.data.tables
    assert (await sync(env, store_engine)).ok
    before = latest_by_client(assert_exact(store_engine))

    # A new e-mail to a company, now: its latest moves forward.
    company = int(tables["companies"][0]["ID"])
    new = _new_row(
        env.data,
        "activities",
        OWNER_TYPE_ID="4",
        OWNER_ID=str(company),
        TYPE_ID="4",
        PROVIDER_ID="CRM_EMAIL",
        ORIGIN_ID="",
        COMPLETED="Y",
        START_TIME=portal.iso(portal.now() - timedelta(minutes=5)),
    )
    portal.add("activities", new)
    # Another client's latest activity is reopened: its latest moves back.
    reopened = _latest_activity(store_engine)
    assert (reopened.client_type, reopened.client_id) != (4, company)
    portal.update("activities", reopened.id, COMPLETED="N")
    # A contact joins a company: its activities move to the company.
    contacts = [c for c in tables["contacts"] if not c.get("COMPANY_ID")]
    portal.update("contacts", int(contacts[0]["ID"]), COMPANY_ID=str(company))

    assert (await sync(env, store_engine)).ok
    after = latest_by_client(assert_exact(store_engine))
    assert (4, company) not in before or after[(4, company)] > before[(4, company)]
    assert after[(4, company)] == datetime.fromisoformat(new["START_TIME"])
    moved = (reopened.client_type, reopened.client_id)
    assert moved not in after or after[moved] <= before[moved]


@FAKE
async def test_deletions_move_the_latest_back(env: Env, store_engine: Engine) -> None:
    portal = env.portal
    assert (await sync(env, store_engine)).ok
    before = latest_by_client(assert_exact(store_engine))
    gone = _latest_activity(store_engine)
    assert gone.client_type is not None
    assert gone.client_id is not None
    client = (gone.client_type, gone.client_id)
    assert before[client] == gone.start_at
    portal.delete("activities", gone.id)

    report = await sync(env, store_engine, RECONCILE)
    assert report.ok
    assert report.entities["activities"].deleted >= 1
    after = latest_by_client(assert_exact(store_engine))
    assert client not in after or after[client] < gone.start_at


@FAKE
async def test_a_call_that_turns_out_failed_moves_its_activity(
    env: Env, store_engine: Engine
) -> None:
    """The call record arrives or changes after its activity: the activity changes kind."""
    portal, tables = env.portal, env.data.tables
    assert (await sync(env, store_engine)).ok
    with Session(store_engine) as session:
        connected = {
            c.call_id: c.id
            for c in session.execute(select(Call).where(col(Call.failed_code) == "200")).scalars()
        }
        recent = portal.now() - timedelta(days=1)
        activity = next(
            a
            for a in session.execute(
                select(Activity)
                .where(col(Activity.type_id) == 2, col(Activity.completed).is_(True))
                .where(col(Activity.client_id).is_not(None))
                .order_by(col(Activity.start_at).desc())
            ).scalars()
            if a.call_id in connected and a.start_at is not None and a.start_at >= recent
        )
    call_row = next(r for r in tables["calls"] if r["CALL_ID"] == activity.call_id)
    portal.update("calls", int(call_row["ID"]), CALL_FAILED_CODE="304")

    assert (await sync(env, store_engine)).ok
    summary = assert_exact(store_engine)
    client = (activity.client_type, activity.client_id)
    failed = {
        (r[0], r[1], r[7]) for r in summary if r[3] == 2 and r[5] and r[7] == activity.start_at
    }
    assert (*client, activity.start_at) in failed


async def test_push_events_keep_the_summary_exact(world: World) -> None:
    portal, engine = world.portal, world.engine
    assert_exact(engine)
    latest = _latest_activity(engine)
    # The oldest activity of another client moves to now: that client's latest with it.
    moved = _latest_activity(engine, oldest=True).id
    assert moved != latest.id
    portal.update("activities", moved, START_TIME=portal.iso(portal.now()))
    portal.delete("activities", latest.id)
    report = await apply_changes(
        world.client,
        engine,
        [Change("activities", str(moved)), Change("activities", str(latest.id), deleted=True)],
    )
    assert not report.failed
    assert report.deleted == 1
    after = latest_by_client(assert_exact(engine))
    with Session(engine) as session:
        stored = session.get(Activity, moved)
        assert stored is not None
        assert stored.client_type is not None
        assert stored.client_id is not None
        assert after[(stored.client_type, stored.client_id)] == stored.start_at


def _fill_sql(engine: Engine) -> str:
    from importlib import import_module  # noqa: PLC0415  (a migration module, by its file name)

    migration = import_module("store.migrations.versions.0010_client_contacts")
    fill: str = migration._FILL
    months: Mapping[str, str] = migration._MONTH
    return fill.format(month=months[engine.dialect.name])


@FAKE
async def test_the_migration_fills_what_the_writer_keeps(env: Env, store_engine: Engine) -> None:
    assert (await sync(env, store_engine)).ok
    want = assert_exact(store_engine)
    with Session(store_engine) as session:
        session.execute(text("DELETE FROM client_contacts"))
        session.execute(text(_fill_sql(store_engine)))
        session.commit()
    assert kept(store_engine) == want
