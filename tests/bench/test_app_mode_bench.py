"""App mode on the `medium` portal: what the offline drain costs and how fast it brings changes.

Run by `make bench`. The emulator enforces the real rate limit (2/s, burst 50); crm-pulse signs
in as a local application whose access tokens last 20 s, so they expire again and again during
the run, and everything shares one client (one pacer), as in `crm-pulse run`:

1. A full sync in app mode (tokens expiring under it).
2. The idle drain at the default `offline_poll_seconds` (5): requests per poll and the share
   of the 2/s budget it uses (goal: one request per empty drain, at most 10 %).
3. 20 changes (deleted companies and missed calls), one every 0.7 s, while an incremental
   sync runs at the same time: the time from each change to the store (goal: p95 under
   10 s at a 5 s poll) and the portal's 503 answers (goal: none).

The figures are printed, then the goals are asserted.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crm.auth import AppAuth, EngineTokenStore, portal_key, tokens_from_reply
from crm.client import BitrixClient
from crm.offline import OfflineOptions, drain_forever
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from emulator.generator import generate
from emulator.live_calls import add_call
from emulator.portal import Portal
from emulator.server import running_emulator
from store.db import make_engine
from store.migrate import migrate
from store.models import Call, Company
from store.oauth_models import save_tokens

CONNECTOR = "crm_pulse"
POLL = 5.0


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _until(check: Callable[[], bool], within: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "the change did not reach the store"
        await asyncio.sleep(0.05)
    return time.monotonic()


def _company_gone(engine: Engine, company: int) -> bool:
    with Session(engine) as session:
        return session.get(Company, company) is None


def _call_stored(engine: Engine, call_id: str) -> bool:
    with Session(engine) as session:
        return session.exec(select(Call.id).where(Call.call_id == call_id)).first() is not None


async def _changes(portal: Portal, engine: Engine, companies: list[int], tag: str) -> list[float]:
    """Delete companies and add missed calls in turn, 0.7 s apart; each one's time to store."""
    made: list[tuple[float, Callable[[], bool]]] = []
    for index, company in enumerate(companies):
        if index % 2 == 0:
            portal.delete("companies", company)
            check = functools.partial(_company_gone, engine, company)
        else:
            call = add_call(portal, f"+7 900 70{index}-{tag}0-00", None, "missed")
            check = functools.partial(_call_stored, engine, str(call["CALL_ID"]))
        made.append((time.monotonic(), check))
        await asyncio.sleep(0.7)
    return [await _until(check, 120) - at for at, check in made]


async def test_the_offline_drain_is_cheap_and_quick(tmp_path: Path) -> None:
    data = generate(3, "medium", (datetime.now(UTC) - timedelta(days=1)).date())
    portal = Portal(data)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    async with (
        running_emulator(portal, rate_limit=True, oauth_token_seconds=20.0) as emu,
        httpx.AsyncClient(timeout=60) as http,
    ):
        save_tokens(
            engine,
            portal_key(emu.base_url),
            emu.settings.oauth_client_id,
            tokens_from_reply(emu.issue_tokens(), time.time()),
        )
        auth = AppAuth(
            http,
            url=emu.base_url,
            client_id=emu.settings.oauth_client_id,
            client_secret=emu.settings.oauth_client_secret,
            store=EngineTokenStore(engine, portal_key(emu.base_url), emu.settings.oauth_client_id),
            oauth_url=emu.oauth_url,
            connector=CONNECTOR,
        )
        client = BitrixClient(http, auth=auth, pacer=LeakyBucket(rate=2, burst=49))

        started = time.monotonic()
        full = await run_sync(client, engine)
        full_seconds = time.monotonic() - started
        assert full.errors == {}

        stop = asyncio.Event()
        options = OfflineOptions(poll_seconds=POLL, connector=CONNECTOR, tz=portal.zone)
        loop = asyncio.create_task(drain_forever(client, engine, options, stop))
        await _until(lambda: len(emu.offline.bindings) > 0, 30)
        await asyncio.sleep(1)  # the first drain after binding
        idle_from, idle_started = portal.stats.requests, time.monotonic()
        await asyncio.sleep(4 * POLL)
        idle_requests = portal.stats.requests - idle_from
        idle_seconds = time.monotonic() - idle_started
        polls = idle_seconds / POLL

        companies = [int(row["ID"]) for row in portal.rows("companies")[:20]]
        before_503 = portal.stats.http_503
        alone = await _changes(portal, engine, companies[:10], "1")
        sync = asyncio.create_task(run_sync(client, engine))
        await asyncio.sleep(0.5)  # the sync's requests are queued in the pacer first
        with_sync = await _changes(portal, engine, companies[10:], "2")
        incremental = await sync
        stop.set()
        await asyncio.wait_for(loop, 10)
        http_503 = portal.stats.http_503 - before_503
        refreshed = emu.oauth.counts()["refreshed"]

    print()
    print(f"app mode, medium portal: full sync {full.requests} requests, {full_seconds:.0f} s;")
    print(f"  access tokens refreshed {refreshed} times (20 s lifetime); sync errors: none")
    print(
        f"idle drain: {idle_requests} requests in {idle_seconds:.1f} s ({polls:.1f} polls of "
        f"{POLL:.0f} s): {idle_requests / polls:.2f} per poll, {idle_requests / idle_seconds:.2f}"
        f"/s = {idle_requests / idle_seconds / 2:.0%} of the 2/s budget"
    )
    for what, latencies in (("alone", alone), ("during an incremental sync", with_sync)):
        print(
            f"10 changes (deletions, missed calls) {what}: change to store "
            f"p50 {_pct(latencies, 0.5):.1f} s, p95 {_pct(latencies, 0.95):.1f} s, "
            f"max {max(latencies):.1f} s"
        )
    print(f"incremental sync meanwhile: {incremental.requests} requests; HTTP 503: {http_503}")
    assert round(idle_requests / polls) == 1
    assert idle_requests / idle_seconds <= 0.2 * 1.1
    assert _pct(alone, 0.95) < 10
    assert http_503 == 0
    assert incremental.errors == {}
