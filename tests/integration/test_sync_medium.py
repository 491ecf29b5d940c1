"""The incremental sync on a `medium` portal: its request budget and deletions without events.

Issue 11's budget: a quiet incremental sync (nothing changed) costs at most 4 requests, the
deletion check at most 5 more, and an incremental sync moves under half the bytes of a full
one. Requests are the emulator's own count. Then one record of each kind is deleted on the
portal and must leave the store after one incremental sync, with no event telling us.

One medium portal (about 130k records) is generated and fully synced once, in one test, on
SQLite: the numbers are the portal's and the client's, not the database's.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlmodel import Session

from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from crm.sync import SyncOptions, run_sync
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import running_emulator
from store.db import make_engine
from store.migrate import migrate
from store.models import Activity, Call, Company, Contact, Deal, Lead, Task

TODAY = date(2026, 3, 18)
# Activities held stay under 50,000 rows in 300 days, so every table is checked whole.
OPTIONS = SyncOptions(history_days=300)
QUIET = {"requests": 4, "reconcile": 5}


async def test_medium_quiet_sync_budget_and_deletions_in_one_sync(tmp_path: Path) -> None:
    data = generate(1, "medium", TODAY)
    as_of = datetime.fromisoformat(data.as_of)
    started = time.monotonic()
    portal = Portal(data, now=lambda: as_of + timedelta(seconds=time.monotonic() - started))
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    async with (
        running_emulator(portal, rate_limit=False) as emulator,
        httpx.AsyncClient(timeout=60) as http,
    ):
        client = BitrixClient(
            http, emulator.webhook_url, pacer=LeakyBucket(rate=1000, burst=1000), max_retries=0
        )

        async def measured(options: SyncOptions) -> tuple[int, int]:
            requests, received = portal.stats.requests, client.bytes_received
            report = await run_sync(client, engine, options)
            assert report.ok, report.errors
            return portal.stats.requests - requests, client.bytes_received - received

        _, full_bytes = await measured(OPTIONS)
        quiet = await measured(SyncOptions(history_days=300, reconcile=False))
        checked = await measured(OPTIONS)
        print(f"\nmedium: full sync {full_bytes:,} bytes; quiet incremental {quiet[0]} requests "
              f"{quiet[1]:,} bytes; with the deletion check {checked[0]} requests "
              f"{checked[1]:,} bytes")  # fmt: skip
        assert quiet[0] <= QUIET["requests"]
        assert checked[0] <= quiet[0] + QUIET["reconcile"]
        assert checked[1] < full_bytes / 2

        # One of each kind, recent enough to be held; the call within the re-read window.
        now = portal.now()
        with Session(engine) as session:
            gone = {
                model: session.execute(
                    select(model.id).order_by(model.id.desc()).offset(7).limit(1)  # type: ignore[attr-defined]
                ).scalar_one()
                for model in (Company, Contact, Deal, Lead, Activity, Task)
            }
            gone[Call] = session.execute(
                select(Call.id)
                .where(Call.start_at < now - timedelta(hours=3))  # type: ignore[operator]
                .order_by(Call.start_at.desc())  # type: ignore[union-attr]
                .limit(1)
            ).scalar_one()
        tables = {
            Company: "companies",
            Contact: "contacts",
            Deal: "deals",
            Lead: "leads",
            Activity: "activities",
            Task: "tasks",
            Call: "calls",
        }
        for model, record_id in gone.items():
            portal.delete(tables[model], record_id)
        report = await run_sync(client, engine, OPTIONS)
        assert report.ok, report.errors
        with Session(engine) as session:
            left = {tables[m]: i for m, i in gone.items() if session.get(m, i) is not None}
        assert left == {}
        assert report.deleted >= len(gone)
    engine.dispose()
