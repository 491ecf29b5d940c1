"""The offline event queue drained in app mode, against the emulator: binding once, an empty
drain costing one request, a deletion and a missed call reaching the store, a crash between
``event.offline.get`` and ``clear`` (nothing lost, nothing applied twice), rows that cannot be
applied handed back with ``event.offline.error``, the loop of ``crm-pulse run`` across a
restart and an expired token, and the portal's ``ONOFFLINEEVENT`` waking the drain at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.config import Config
from app.wiring import APP_CONNECTOR, bitrix_client
from crm.client import BitrixClient
from crm.errors import TransportError
from crm.events import Change, decode
from crm.offline import (
    FOLLOWED,
    NOTICE,
    OfflineDrain,
    OfflineOptions,
    bind_notice,
    bind_offline,
    drain_forever,
)
from crm.query import BatchResult
from crm.sync.apply import ApplyReport, apply_changes
from emulator.live_calls import add_call
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from store.models import Call, Company
from store.oauth_models import load_reservation
from tests.integration.test_app_mode import _config, _keep_tokens, _portal

OPTIONS = OfflineOptions(connector=APP_CONNECTOR, poll_seconds=0.2)


@dataclass
class World:
    portal: Portal
    emu: Emulator
    http: httpx.AsyncClient
    config: Config
    client: BitrixClient
    engine: Engine

    def fresh_client(self) -> BitrixClient:
        """A new process's client: it reads its tokens from the store."""
        return bitrix_client(self.config, self.http, self.engine)

    def companies(self, count: int) -> list[int]:
        return [int(row["ID"]) for row in self.portal.rows("companies")[:count]]


@pytest.fixture
async def world(store_engine: Engine, store_url: str) -> AsyncIterator[World]:
    portal = _portal()
    async with (
        running_emulator(portal, rate_limit=False) as emu,
        httpx.AsyncClient(timeout=30) as http,
    ):
        _keep_tokens(emu, store_engine)
        config = _config(emu, store_url)
        client = bitrix_client(config, http, store_engine)
        yield World(portal, emu, http, config, client, store_engine)


def _stored(engine: Engine, model: type, key: int) -> Any:
    with Session(engine) as session:
        return session.get(model, key)


def _call(engine: Engine, call_id: str) -> Call | None:
    with Session(engine) as session:
        return session.exec(select(Call).where(Call.call_id == call_id)).first()


async def _seed(world: World, companies: list[int]) -> None:
    report = await apply_changes(
        world.client, world.engine, [Change("companies", str(c)) for c in companies]
    )
    assert report.written == len(companies)


async def _until(check: Callable[[], bool], seconds: float = 10.0) -> float:
    """Wait for ``check`` with a deadline; returns how long it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError("not within the deadline")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


class Crash(Exception):
    """The process dies here."""


class Failing:
    """The client of a process that dies (or cannot reach the portal) at one method."""

    def __init__(self, client: BitrixClient, at: str, error: Exception, times: int = 1) -> None:
        self.client, self.at, self.error, self.left = client, at, error, times

    @property
    def requests(self) -> int:
        return self.client.requests

    def _maybe_fail(self, method: str) -> None:
        if method == self.at and self.left > 0:
            self.left -= 1
            raise self.error

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        self._maybe_fail(method)
        return await self.client.call(method, params)

    async def batch(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], *, halt: bool = False
    ) -> BatchResult:
        self._maybe_fail("batch")
        return await self.client.batch(commands, halt=halt)


async def test_binding_is_done_once_and_an_empty_drain_is_one_request(world: World) -> None:
    bound = await bind_offline(world.client, APP_CONNECTOR)
    assert set(bound) == set(FOLLOWED) - {"ONUSERUPDATE"}  # the emulator has no ONUSERUPDATE
    state = world.emu.offline.state()["bindings"]
    assert all(b["offline"] and b["connector"] == APP_CONNECTOR for b in state)
    before = world.portal.stats.requests
    binds = world.portal.stats.per_method["event.bind"]
    assert await bind_offline(world.fresh_client(), APP_CONNECTOR) == []  # a restart
    # event.get, and one batch that asks again only for the event the portal lacks
    assert world.portal.stats.requests - before == 2
    assert world.portal.stats.per_method["event.bind"] - binds == 1
    assert len(world.emu.offline.state()["bindings"]) == len(bound)

    drain = OfflineDrain(world.client, world.engine, OPTIONS)
    before = world.portal.stats.requests
    report = await drain.drain_once()
    assert report.events == 0 and report.requests == 1
    assert world.portal.stats.requests - before == 1


async def test_a_deletion_and_a_missed_call_reach_the_store(world: World) -> None:
    await bind_offline(world.client, APP_CONNECTOR)
    kept, gone = world.companies(2)
    await _seed(world, [kept, gone])
    world.portal.update("companies", kept, TITLE="Переименована")
    world.portal.delete("companies", gone)
    call = add_call(world.portal, "+7 900 555-01-02", None, "missed")
    applied: list[ApplyReport] = []

    async def on_applied(report: ApplyReport, seconds: float) -> None:
        applied.append(report)

    report = await OfflineDrain(world.client, world.engine, OPTIONS, on_applied).drain_once()

    assert _stored(world.engine, Company, gone) is None
    assert _stored(world.engine, Company, kept).title == "Переименована"
    stored_call = _call(world.engine, str(call["CALL_ID"]))
    assert stored_call is not None and stored_call.user_id is None and stored_call.duration == 0
    assert report.events == 3 and report.errors == 0 and report.kept == 0
    assert report.requests == 3  # get, one batch of read-backs, clear
    assert [a.calls for a in applied] == [(stored_call.id,)]
    assert world.emu.offline.rows == []  # cleared
    assert load_reservation(world.engine, APP_CONNECTOR) is None


async def test_a_crash_before_applying_loses_nothing(world: World) -> None:
    await bind_offline(world.client, APP_CONNECTOR)
    first, later = world.companies(2)
    await _seed(world, [first, later])
    world.portal.update("companies", first, TITLE="Изменена до сбоя")
    dying = Failing(world.client, "batch", Crash())  # dies reading the record back
    with pytest.raises(Crash):
        await OfflineDrain(dying, world.engine, OPTIONS).drain_once()
    reservation = load_reservation(world.engine, APP_CONNECTOR)
    assert reservation is not None and not reservation.applied
    assert [r.process_id for r in world.emu.offline.rows] == [reservation.process_id]
    assert _stored(world.engine, Company, first).title != "Изменена до сбоя"
    world.portal.delete("companies", later)  # while the process is down

    restarted = OfflineDrain(world.fresh_client(), world.engine, OPTIONS)
    resumed = await restarted.drain_once()  # the reservation left behind, first
    assert resumed.events == 1
    assert _stored(world.engine, Company, first).title == "Изменена до сбоя"
    following = await restarted.drain_once()
    assert following.events == 1 and _stored(world.engine, Company, later) is None
    assert world.emu.offline.rows == []
    assert (await restarted.drain_once()).requests == 1


async def test_a_crash_after_applying_applies_nothing_twice(world: World) -> None:
    await bind_offline(world.client, APP_CONNECTOR)
    call = add_call(world.portal, "+7 900 555-03-04", None, "missed")
    told: list[tuple[int, ...]] = []

    async def on_applied(report: ApplyReport, seconds: float) -> None:
        told.append(report.calls)

    dying = Failing(world.client, "event.offline.clear", Crash())
    with pytest.raises(Crash):
        await OfflineDrain(dying, world.engine, OPTIONS, on_applied).drain_once()
    assert _call(world.engine, str(call["CALL_ID"])) is not None
    reservation = load_reservation(world.engine, APP_CONNECTOR)
    assert reservation is not None and reservation.applied
    assert len(world.emu.offline.rows) == 1  # not cleared: the process died first

    client = world.fresh_client()
    report = await OfflineDrain(client, world.engine, OPTIONS, on_applied).drain_once()
    assert report.events == 1 and report.requests == 2  # get and clear, no read-back
    assert client.by_method["batch"] == 0
    assert len(told) == 1  # the call was announced once
    assert world.emu.offline.rows == []
    assert load_reservation(world.engine, APP_CONNECTOR) is None


async def test_rows_that_cannot_be_applied_are_handed_back(world: World) -> None:
    await bind_offline(world.client, APP_CONNECTOR)
    fine, flaky = world.companies(2)
    await _seed(world, [fine, flaky])
    world.emu.offline.call_event("ONCRMDEALUPDATE", {"FIELDS": {"ID": "x"}}, APP_CONNECTOR)
    world.portal.delete("companies", fine)
    world.portal.update("companies", flaky, TITLE="Прочитана со второго раза")
    options = OfflineOptions(connector=APP_CONNECTOR, max_attempts=2)
    down = TransportError("batch: ConnectError talking to the portal", method="batch")
    drain = OfflineDrain(Failing(world.client, "batch", down), world.engine, options)

    first = await drain.drain_once()  # the portal cannot be read this round
    assert (first.events, first.errors, first.kept) == (3, 1, 2)
    rows = world.emu.offline.state()["rows"]
    assert sorted((r["EVENT_NAME"], r["ERROR"], bool(r["PROCESS_ID"])) for r in rows) == [
        ("ONCRMCOMPANYDELETE", "0", True),  # still reserved: tried again next round
        ("ONCRMCOMPANYUPDATE", "0", True),
        ("ONCRMDEALUPDATE", "1", False),  # unreadable: handed back at once
    ]
    second = await drain.drain_once()
    assert (second.events, second.errors, second.kept) == (2, 0, 0)
    assert _stored(world.engine, Company, fine) is None
    assert _stored(world.engine, Company, flaky).title == "Прочитана со второго раза"

    world.portal.update("companies", flaky, TITLE="Не прочитана")
    drain = OfflineDrain(Failing(world.client, "batch", down, times=2), world.engine, options)
    assert (await drain.drain_once()).kept == 1
    assert (await drain.drain_once()).errors == 1  # failed max_attempts rounds: handed back
    rows = world.emu.offline.state()["rows"]
    assert sorted((r["EVENT_NAME"], r["ERROR"]) for r in rows) == [
        ("ONCRMCOMPANYUPDATE", "1"),
        ("ONCRMDEALUPDATE", "1"),
    ]
    assert load_reservation(world.engine, APP_CONNECTOR) is None
    assert (await drain.drain_once()).events == 0  # error rows stay out of the drain


async def test_the_run_loop_across_a_restart_and_an_expired_token(world: World) -> None:
    a, b, c = world.companies(3)
    await _seed(world, [a, b, c])
    applied: list[float] = []

    async def on_applied(report: ApplyReport, seconds: float) -> None:
        applied.append(seconds)

    options = OfflineOptions(connector=APP_CONNECTOR, poll_seconds=1.0)
    stop = asyncio.Event()
    loop = asyncio.create_task(
        drain_forever(world.client, world.engine, options, stop, on_applied)
    )
    await _until(lambda: len(world.emu.offline.bindings) == len(FOLLOWED) - 1)
    world.portal.delete("companies", a)
    call = add_call(world.portal, "+7 900 555-05-06", None, "missed")
    took = await _until(
        lambda: (
            _stored(world.engine, Company, a) is None
            and _call(world.engine, str(call["CALL_ID"])) is not None
        )
    )
    assert took < 10
    stop.set()
    await asyncio.wait_for(loop, 5)

    world.portal.delete("companies", b)  # while nothing drains
    world.emu.oauth.expire()  # and the stored access token ends
    client = world.fresh_client()
    stop = asyncio.Event()
    loop = asyncio.create_task(drain_forever(client, world.engine, options, stop, on_applied))
    await _until(lambda: _stored(world.engine, Company, b) is None)
    world.portal.delete("companies", c)
    await _until(lambda: _stored(world.engine, Company, c) is None)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert world.emu.oauth.counts()["refreshed"] >= 1
    assert world.emu.offline.rows == []
    assert len(applied) >= 3


async def test_the_portals_notice_drains_at_once_instead_of_at_the_next_poll(
    world: World,
) -> None:
    wake = asyncio.Event()
    notices: list[str] = []

    async def listener(request: web.Request) -> web.Response:
        event = decode(await request.read())
        notices.append(event.name)
        if event.name == NOTICE:
            wake.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/bitrix24/events", listener)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    url = f"http://127.0.0.1:{port}/bitrix24/events"
    world.emu.send_events_to(None, None, (0.05, 0.1))  # only the application's own bindings
    (company,) = world.companies(1)
    await _seed(world, [company])
    options = OfflineOptions(connector=APP_CONNECTOR, poll_seconds=60)  # never, in this test
    stop = asyncio.Event()
    loop = asyncio.create_task(
        drain_forever(world.client, world.engine, options, stop, wake=wake, notice_url=url)
    )
    try:
        await _until(lambda: any(not b.offline for b in world.emu.offline.bindings))
        assert await bind_notice(world.client, url) is False  # bound once
        # the first drain is done; the next poll is a minute away
        await _until(lambda: world.portal.stats.per_method["event.offline.get"] >= 1)
        world.portal.delete("companies", company)
        took = await _until(lambda: _stored(world.engine, Company, company) is None)
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
        await runner.cleanup()
    assert notices == [NOTICE]
    assert took < 5


async def test_a_dead_grant_pauses_the_loop_until_auth_is_run_again(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    (company,) = world.companies(1)
    await _seed(world, [company])
    await bind_offline(world.client, APP_CONNECTOR)
    world.emu.oauth.revoke()
    world.emu.oauth.expire()
    world.portal.delete("companies", company)
    options = OfflineOptions(connector=APP_CONNECTOR, poll_seconds=0.1)
    stop = asyncio.Event()
    loop = asyncio.create_task(drain_forever(world.client, world.engine, options, stop))
    try:
        await _until(lambda: "offline events paused" in caplog.text)
        polls = world.portal.stats.requests
        await asyncio.sleep(0.5)  # five polls while the grant is dead
        assert world.portal.stats.requests == polls  # nothing sent with a dead token
        assert _stored(world.engine, Company, company) is not None
        _keep_tokens(world.emu, world.engine)  # `crm-pulse auth` in another terminal
        await _until(lambda: _stored(world.engine, Company, company) is None)
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
    paused = [r for r in caplog.records if "offline events paused" in r.getMessage()]
    assert len(paused) == 1  # said once, not every poll
    assert "crm-pulse auth --config" in paused[0].getMessage()
