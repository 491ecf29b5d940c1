"""The web listener's own routes: portal events, /healthz and /metrics, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm.events import Change
from store.models import SyncState
from web.health import health_handler
from web.metrics import Metrics
from web.server import EventsRoute, build_app

TOKEN = "app-token-7f3a"


class Sink:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def submit(self, change: Change, received: float) -> None:
        self.changes.append(change)


@pytest.fixture
async def listener(sqlite_engine: Engine) -> AsyncIterator[tuple[TestClient, Sink, Metrics]]:
    sink = Sink()
    metrics = Metrics()
    metrics.read_requests(lambda: 17)
    app = build_app(
        health=health_handler(sqlite_engine, timedelta(minutes=30)),
        metrics=metrics,
        events=EventsRoute("/bitrix24/events", TOKEN, sink.submit),
    )
    async with TestClient(TestServer(app)) as client:
        yield client, sink, metrics


def event(name: str, record: str = "42", token: str | None = TOKEN) -> str:
    pairs = [("event", name), ("data[FIELDS][ID]", record), ("ts", "1766047124")]
    if token is not None:
        pairs.append(("auth[application_token]", token))
    return urlencode(pairs)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_an_event_with_the_token_is_queued(
    listener: tuple[TestClient, Sink, Metrics],
) -> None:
    client, sink, _ = listener
    response = await client.post(
        "/bitrix24/events", data=event("onCrmCompanyDelete"), headers=FORM
    )
    assert response.status == 200
    assert sink.changes == [Change("companies", "42", deleted=True)]


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
async def test_forged_events_change_nothing(
    listener: tuple[TestClient, Sink, Metrics], token: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    client, sink, _ = listener
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        "/bitrix24/events", data=event("ONCRMCOMPANYDELETE", token=token), headers=FORM
    )
    assert response.status == 401
    assert sink.changes == []
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    "body", [b"", b"event=", b"\xff\xfe", b"event=X&data[FIELDS[ID]=1", b"a" * 70_000]
)
async def test_malformed_bodies_are_400(
    listener: tuple[TestClient, Sink, Metrics], body: bytes
) -> None:
    client, sink, _ = listener
    response = await client.post("/bitrix24/events", data=body, headers=FORM)
    assert response.status == 400
    assert sink.changes == []


async def test_unknown_events_are_200_and_ignored(
    listener: tuple[TestClient, Sink, Metrics],
) -> None:
    client, sink, _ = listener
    response = await client.post("/bitrix24/events", data=event("ONAPPTEST"), headers=FORM)
    assert response.status == 200
    assert sink.changes == []


async def test_health_follows_the_last_sync(
    listener: tuple[TestClient, Sink, Metrics], sqlite_engine: Engine
) -> None:
    client, _, _ = listener
    never = await client.get("/healthz")
    assert never.status == 503 and (await never.json())["status"] == "never synced"

    def synced(ago: timedelta) -> None:
        with Session(sqlite_engine) as session:
            for entity in ("companies", "deals"):
                row = session.get(SyncState, entity) or SyncState(entity=entity)
                row.last_success_at = datetime.now(UTC) - ago
                session.add(row)
            session.commit()

    synced(timedelta(minutes=5))
    fresh = await client.get("/healthz")
    body = await fresh.json()
    assert fresh.status == 200 and body["status"] == "ok"
    assert 290 <= body["age_seconds"] <= 320
    synced(timedelta(minutes=61))  # twice fresh_minutes (30) is the limit
    stale = await client.get("/healthz")
    assert stale.status == 503 and (await stale.json())["status"] == "stale"


async def test_metrics_count_what_happened(listener: tuple[TestClient, Sink, Metrics]) -> None:
    client, _, metrics = listener
    await client.post("/bitrix24/events", data=event("ONCRMDEALUPDATE"), headers=FORM)
    await client.post("/bitrix24/events", data=event("ONCRMDEALUPDATE", token="no"), headers=FORM)
    metrics.alert_latency.observe(3.5)
    text = await (await client.get("/metrics")).text()
    assert 'crm_pulse_events_total{outcome="accepted"} 1.0' in text
    assert 'crm_pulse_events_total{outcome="unauthorized"} 1.0' in text
    assert "crm_pulse_portal_requests 17.0" in text
    assert "crm_pulse_alert_latency_seconds_count 1.0" in text


async def test_the_offline_notice_wakes_the_drain_only_with_the_token(
    sqlite_engine: Engine,
) -> None:
    woken: list[bool] = []
    sink = Sink()
    app = build_app(
        health=health_handler(sqlite_engine, timedelta(minutes=30)),
        metrics=Metrics(),
        events=EventsRoute("/e", TOKEN, sink.submit, notice=lambda: woken.append(True)),
    )
    async with TestClient(TestServer(app)) as client:
        forged = await client.post("/e", data=event("ONOFFLINEEVENT", token="x"), headers=FORM)
        real = await client.post("/e", data=event("ONOFFLINEEVENT"), headers=FORM)
    assert (forged.status, real.status) == (401, 200)
    assert woken == [True] and sink.changes == []
