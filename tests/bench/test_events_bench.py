"""Portal events on the `medium` portal: how fast a change reaches the store, and its cost.

Run by `make bench`. The emulator (real rate limit, 2/s burst 50) sends its outbound-webhook
events to our listener and intake, in-process, over 127.0.0.1:

1. 200 changes one after another (a company renamed, a deal's amount, an activity): for
   each, the time from the event's POST (the emulator's own delay excluded) to the change
   visible in the store. Goal (issue 11): p95 under 2 s.
2. A burst of 1,000 update events for 200 records: the requests it costs (goal: at most 6)
   and the intake's peak of waiting entries (one per record: memory stays flat).
3. 200 missed calls: from the call's event POST to its live alert handed to the chat
   sender (goal: p95 under 5 s).

The figures are printed, then the goals are asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Config
from app.runtime import job_deps
from app.settings import kpi_settings
from crm.client import BitrixClient
from crm.intake import EventIntake
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from crm.sync.apply import ApplyReport
from emulator.generator import generate
from emulator.live_calls import add_call
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from jobs.delivery import Recipient
from jobs.deps import JobDeps
from jobs.live_missed import tell_missed_calls
from kpi.scope import sales_employees
from kpi.settings import KpiSettings
from store.db import make_engine
from store.migrate import migrate
from store.models import Activity, Company, Deal
from web.health import health_handler
from web.metrics import Metrics
from web.server import EventsRoute, build_app

TOKEN = "bench-events-token"


def _value(engine: Engine, column: object, model: type, record: int) -> object:
    with Session(engine) as session:
        return session.execute(select(column).where(model.id == record)).scalar_one_or_none()  # type: ignore[attr-defined]


async def _until(check: Callable[[], bool], within: float) -> float:
    """The wall-clock time at which ``check`` first held."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "the change did not reach the store"
        await asyncio.sleep(0.02)
    return time.time()


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def test_events_reach_the_store_fast_and_cheaply(tmp_path: Path) -> None:
    data = generate(3, "medium", (datetime.now(UTC) - timedelta(days=1)).date())
    portal = Portal(data)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    metrics = Metrics()
    async with (
        running_emulator(portal, rate_limit=True) as emulator,
        httpx.AsyncClient(timeout=60) as http,
    ):
        client = BitrixClient(http, emulator.webhook_url, pacer=LeakyBucket(rate=2, burst=49))
        await run_sync(client, engine)
        sender = RecordingSender()
        deps = alert_deps(portal, emulator, engine, sender)
        await tell_missed_calls(deps)  # live alerts begin here

        async def applied(report: ApplyReport, seconds: float) -> None:
            if report.calls:
                await tell_missed_calls(deps)

        intake = EventIntake(client, engine, tz=portal.zone, on_applied=applied)
        worker = asyncio.create_task(intake.run())
        app = build_app(
            health=health_handler(engine, timedelta(minutes=30)),
            metrics=metrics,
            events=EventsRoute("/events", TOKEN, lambda c, at: intake.submit(c, received=at)),
        )
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        emulator.send_events_to(str(server.make_url("/events")), TOKEN, (0.0, 0.0))
        try:
            latencies = await _one_by_one(portal, engine, emulator)
            burst_requests, peak = await _burst(portal, client, intake, emulator, engine)
            alerts = await _alerts(portal, emulator, engine, sender)
        finally:
            worker.cancel()
            await server.close()
    engine.dispose()
    p50, p95 = statistics.median(latencies), _pct(latencies, 0.95)
    print(f"\nevent to store over {len(latencies)} events: p50 {p50:.3f} s, p95 {p95:.3f} s")
    print(f"burst of 1,000 events on 200 records: {burst_requests} requests, peak queue {peak}")
    a50, a95 = statistics.median(alerts), _pct(alerts, 0.95)
    print(f"event to alert over {len(alerts)} missed calls: p50 {a50:.3f} s, p95 {a95:.3f} s")
    assert a95 < 5.0
    assert p95 < 2.0
    assert burst_requests <= 6
    assert peak <= 200


async def _one_by_one(portal: Portal, engine: Engine, emulator: Emulator) -> list[float]:
    deliveries = emulator.events.deliveries
    drained = emulator.events_delivered
    companies = [int(r["ID"]) for r in portal.rows("companies")[:70]]
    deals = [int(r["ID"]) for r in portal.rows("deals")[-70:]]
    activities = [int(r["ID"]) for r in portal.rows("activities")[-60:]]
    latencies: list[float] = []
    for n, record in enumerate(companies):
        title = f"Bench {n}"
        portal.update("companies", record, TITLE=title)
        latencies.append(
            await _seen(
                deliveries,
                engine,
                drained=drained,
                column=Company.title,
                model=Company,
                record=record,
                value=title,
            )
        )
    for n, record in enumerate(deals):
        amount = f"{1000 + n}.00"
        portal.update("deals", record, OPPORTUNITY=amount, OPPORTUNITY_ACCOUNT=amount)
        latencies.append(
            await _seen(
                deliveries,
                engine,
                drained=drained,
                column=Deal.amount,
                model=Deal,
                record=record,
                value=amount,
                text=True,
            )
        )
    for n, record in enumerate(activities):
        subject = f"Bench {n}"
        portal.update("activities", record, SUBJECT=subject)
        latencies.append(
            await _seen(
                deliveries,
                engine,
                drained=drained,
                column=Activity.subject,
                model=Activity,
                record=record,
                value=subject,
            )
        )
    return latencies


async def _seen(
    deliveries: list,  # type: ignore[type-arg]
    engine: Engine,
    *,
    drained: Callable[[], Awaitable[None]],
    column: object,
    model: type,
    record: int,
    value: str,
    text: bool = False,
) -> float:
    count = len(deliveries)

    def stored() -> bool:
        found = _value(engine, column, model, record)
        return (str(found) if text else found) == value

    seen = await _until(stored, 30)
    await drained()  # the POST is recorded once answered
    return max(0.0, seen - deliveries[count].sent_at)


async def _burst(
    portal: Portal, client: BitrixClient, intake: EventIntake, emulator: object, engine: Engine
) -> tuple[int, int]:
    records = [int(r["ID"]) for r in portal.rows("companies")[100:300]]
    before = client.requests
    peak = 0

    def burst_applied() -> bool:
        with Session(engine) as session:
            titles = session.execute(
                select(Company.title).where(Company.id.in_(records))  # type: ignore[attr-defined]
            ).scalars()
            return set(titles) == {"Burst 4"}

    for n in range(5):
        for record in records:
            portal.update("companies", record, TITLE=f"Burst {n}")
    deadline = time.monotonic() + 60
    while not burst_applied():
        peak = max(peak, intake.pending)
        assert time.monotonic() < deadline, "the burst did not reach the store"
        await asyncio.sleep(0.01)
    await emulator.events_delivered()  # type: ignore[attr-defined]
    return client.requests - before, peak


class RecordingSender:
    """The jobs' sender, keeping each text and when it was handed over."""

    def __init__(self) -> None:
        self.texts: list[tuple[float, str]] = []

    async def send_post(self, recipient: Recipient, post: object) -> None:
        raise AssertionError("no posts here")

    async def send_text(self, recipient: Recipient, html: str, bb: str) -> None:
        self.texts.append((time.time(), html))


def alert_deps(portal: Portal, emulator: Emulator, engine: Engine, sender: object) -> JobDeps:
    """The jobs' deps of a team whose every employee is listed and reachable in Bitrix24."""
    users = [int(row["ID"]) for row in portal.rows("users")]
    config = Config.model_validate(
        {
            "portal": {"webhook_url": emulator.webhook_url, "timezone": portal.data.timezone},
            "scope": {"sales_departments": [portal.data.sales_department_id]},
            "people": [{"bitrix_id": user} for user in users],
            "bitrix_chat": {"enabled": True},
            "schedule": {"quiet_hours": ""},
            "calendar": {"weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        }
    )
    return job_deps(config, engine, sender)  # type: ignore[arg-type]


async def _alerts(
    portal: Portal, emulator: Emulator, engine: Engine, sender: RecordingSender
) -> list[float]:
    """200 missed calls, one after another: from the event's POST to the alert handed over."""
    with Session(engine) as session:
        team = [e.id for e in sales_employees(session, alert_kpi(portal))]
    latencies: list[float] = []
    deliveries = emulator.events.deliveries
    for n in range(200):
        tail = f"{n // 100:01d}{n % 100 // 10}-{n % 10}{n % 7}"
        add_call(portal, f"+7 901 555-{tail}", team[n % len(team)], "missed")
        told = await _until(lambda t=tail: any(t in text for _, text in sender.texts), 30)
        await emulator.events_delivered()
        sent = next(d.sent_at for d in reversed(deliveries) if d.event == "ONVOXIMPLANTCALLEND")
        latencies.append(max(0.0, told - sent))
    return latencies


def alert_kpi(portal: Portal) -> KpiSettings:
    config = Config.model_validate(
        {
            "portal": {"timezone": portal.data.timezone},
            "scope": {"sales_departments": [portal.data.sales_department_id]},
        }
    )
    return kpi_settings(config)
