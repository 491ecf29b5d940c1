"""The apply path against the emulator: changed records read back by id, deletions dropped.

A portal is synced in full, then changed behind the store's back; ``apply_changes`` gets the
changes the portal's events would name and must leave the store as a fresh sync would, in a
handful of requests however many events there were.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm.client import BitrixClient
from crm.events import Change
from crm.intake import EventIntake, IntakeOptions
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from crm.sync.apply import ApplyReport, apply_changes
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from store.models import Activity, Call, Company, Deal, Task, User

TODAY = date(2026, 3, 18)


@dataclass
class World:
    portal: Portal
    emulator: Emulator
    client: BitrixClient
    engine: Engine


@pytest.fixture
async def world(store_engine: Engine) -> AsyncIterator[World]:
    data = generate(5, "small", TODAY)
    as_of = datetime.fromisoformat(data.as_of)
    started = time.monotonic()
    portal = Portal(data, now=lambda: as_of + timedelta(seconds=time.monotonic() - started))
    async with (
        running_emulator(portal, rate_limit=False) as emulator,
        httpx.AsyncClient(timeout=30) as http,
    ):
        client = BitrixClient(
            http, emulator.webhook_url, pacer=LeakyBucket(rate=1000, burst=1000), max_retries=0
        )
        await run_sync(client, store_engine)
        yield World(portal, emulator, client, store_engine)


def _get(engine: Engine, model: type, record_id: int) -> object | None:
    with Session(engine) as session:
        return session.get(model, record_id)


async def test_updates_read_back_and_deletions_dropped(world: World) -> None:
    portal, engine = world.portal, world.engine
    companies = [int(row["ID"]) for row in portal.rows("companies")[:3]]
    portal.update("companies", companies[0], TITLE="Renamed <script>")
    portal.delete("companies", companies[1])
    deal = int(portal.rows("deals")[-1]["ID"])
    portal.update("deals", deal, OPPORTUNITY="123456.78", OPPORTUNITY_ACCOUNT="123456.78")
    task = int(portal.rows("tasks")[-1]["id"])
    assert _get(engine, Task, task) is not None
    portal.delete("tasks", task)
    gone_on_portal = companies[2]
    portal.delete("companies", gone_on_portal)  # the event says update: the portal is the truth

    report = await apply_changes(
        world.client,
        engine,
        [
            Change("companies", str(companies[0])),
            Change("companies", str(companies[1]), deleted=True),
            Change("deals", str(deal)),
            Change("tasks", str(task), deleted=True),
            Change("companies", str(gone_on_portal)),
        ],
    )

    renamed = _get(engine, Company, companies[0])
    assert renamed is not None and renamed.title == "Renamed <script>"  # type: ignore[attr-defined]
    assert _get(engine, Company, companies[1]) is None
    assert _get(engine, Company, gone_on_portal) is None
    stored_deal = _get(engine, Deal, deal)
    assert stored_deal is not None and str(stored_deal.amount) == "123456.78"  # type: ignore[attr-defined]
    assert _get(engine, Task, task) is None
    assert report.deleted == 3 and report.written == 2
    assert report.requests == 1 and not report.failed


async def test_a_burst_of_events_costs_one_request(world: World) -> None:
    portal, engine = world.portal, world.engine
    activities = [int(row["ID"]) for row in portal.rows("activities")[:200]]
    for round_ in range(5):  # 1,000 update events for 200 records
        for activity in activities:
            portal.update("activities", activity, SUBJECT=f"round {round_}")
    changes = [Change("activities", str(a)) for _ in range(5) for a in activities]
    before = portal.stats.requests

    report = await apply_changes(world.client, engine, changes)

    assert portal.stats.requests - before == report.requests == 1
    with Session(engine) as session:
        subjects = set(
            session.execute(
                select(Activity.subject).where(Activity.id.in_(activities))  # type: ignore[attr-defined]
            ).scalars()
        )
    assert subjects == {"round 4"}


async def test_a_finished_call_and_a_new_user_arrive(world: World) -> None:
    portal, engine = world.portal, world.engine
    template = dict(portal.rows("calls")[-1])
    new_id = int(template["ID"]) + 1000
    portal.add(
        "calls",
        {
            **template,
            "ID": str(new_id),
            "CALL_ID": "externalCall.test.1",
            "CALL_FAILED_CODE": "304",
            "CALL_TYPE": "2",
            "CALL_DURATION": "0",
        },
    )
    user = dict(portal.rows("users")[-1])
    user_id = int(user["ID"]) + 100
    portal.add("users", {**user, "ID": str(user_id), "LAST_NAME": "Новикова"})

    report = await apply_changes(
        world.client,
        engine,
        [Change("calls", "externalCall.test.1"), Change("users", str(user_id))],
    )

    call = _get(engine, Call, new_id)
    assert call is not None and call.failed_code == "304"  # type: ignore[attr-defined]
    assert report.calls == (new_id,)
    stored = _get(engine, User, user_id)
    assert stored is not None and stored.last_name == "Новикова"  # type: ignore[attr-defined]


async def test_the_intake_coalesces_a_burst_into_one_round(world: World) -> None:
    portal, engine = world.portal, world.engine
    companies = [int(row["ID"]) for row in portal.rows("companies")[:200]]
    for company in companies:
        portal.update("companies", company, TITLE=f"Company {company}")
    applied: list[ApplyReport] = []
    done = asyncio.Event()

    async def on_applied(report: ApplyReport, seconds: float) -> None:
        applied.append(report)
        done.set()

    intake = EventIntake(
        world.client,
        engine,
        tz=UTC,
        on_applied=on_applied,
        options=IntakeOptions(window_seconds=0.2),
    )
    worker = asyncio.create_task(intake.run())
    before = portal.stats.requests
    for _ in range(5):
        for company in companies:
            intake.submit(Change("companies", str(company)))
    assert intake.pending == 200  # memory holds one entry per record, not per event
    await asyncio.wait_for(done.wait(), 10)
    worker.cancel()

    assert len(applied) == 1 and applied[0].written == 200
    # 200 ids: four list calls of 50 ids, all in one batch request
    assert portal.stats.requests - before == 1
