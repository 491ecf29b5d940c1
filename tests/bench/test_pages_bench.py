"""The office TV and the dashboard on the `large` portal (SQLite). Run by `make bench`.

Prints and checks: the TV's first render (a listener with nothing cached) under 1 s; the
weight of the TV and dashboard pages with our CSS, JS and fonts (charts aside) under
300 KB; the store fingerprint's cost; and the update latency from a store write (a won
deal committed, as a sync or an event writes it) to the changed board on the event
stream, p95 under 5 s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Config
from app.web_pages import page_routes
from emulator.generator import generate
from emulator.portal import Portal
from store.db import make_engine
from store.migrate import migrate
from store.models import Deal
from store.web_models import LinkScope, create_link
from tests.bench.test_reports_bench import _fill, p95
from tests.web.test_pages_http import weight
from web.pages.live import fingerprint

ROUNDS = 10


def config_of(portal: Portal) -> Config:
    data = portal.data
    return Config.model_validate(
        {
            "portal": {"timezone": data.timezone},
            "scope": {"sales_departments": [data.sales_department_id]},
            "plans": {"department": {str(data.sales_department_id): {"month": {"calls": 900}}}},
        }
    )


async def serve(config: Config, engine: Engine, now: datetime) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_routes(page_routes(config, engine, clock=lambda: now))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def win(engine: Engine, employee: int, day: datetime) -> None:
    with Session(engine) as session:
        top = session.execute(select(func.max(Deal.id))).scalar() or 0
        for n in range(1, 31):
            session.add(
                Deal(
                    id=top + n,
                    title="bench",
                    stage_id="WON",
                    stage_semantics="S",
                    amount=Decimal("1000.00"),
                    responsible_id=employee,
                    close_date=day.date(),
                    closed=True,
                    created_at=day,
                    modified_at=datetime.now(UTC),
                )
            )
        session.commit()


async def measure(config: Config, engine: Engine, now: datetime) -> dict[str, Any]:
    with Session(engine) as session:
        tv = create_link(
            session, "tv", LinkScope("company"), now=now, expires_at=None, created_by="bench"
        )
        dash = create_link(
            session,
            "dashboard",
            LinkScope("company"),
            now=now,
            expires_at=now + timedelta(days=30),
            created_by="bench",
        )
    first = []
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(5):
            runner, base = await serve(config, engine, now)  # nothing cached
            started = time.perf_counter()
            page = await client.get(f"{base}/tv/{tv}")
            first.append(time.perf_counter() - started)
            assert page.status_code == 200
            await runner.cleanup()
        runner, base = await serve(config, engine, now)
        weights = {"tv": (await weight(client, f"{base}/tv/{tv}"))[0]}
        for report in ("rating", "kpi", "coverage", "abc"):
            weights[report] = (await weight(client, f"{base}/d/{dash}/?report={report}"))[0]
        prints = []
        for _ in range(5):
            started = time.perf_counter()
            await asyncio.to_thread(fingerprint, engine)
            prints.append(time.perf_counter() - started)
        latencies = []
        async with client.stream("GET", f"{base}/tv/{tv}/events") as stream:
            lines = stream.aiter_lines()

            async def next_state() -> dict[str, Any]:
                async for line in lines:
                    if line.startswith("data: "):
                        return json.loads(line[6:])  # type: ignore[no-any-return]
                raise AssertionError("the stream ended")

            state = await next_state()
            for _ in range(ROUNDS):
                last_id = int(
                    state["parts"]["board"].rsplit('data-employee-id="', 1)[1].split('"')[0]
                )
                await asyncio.to_thread(win, engine, last_id, now)
                written = time.perf_counter()
                while True:
                    state = await asyncio.wait_for(next_state(), 30)
                    head = state["parts"]["board"].split('data-employee-id="', 1)[1].split('"')[0]
                    if int(head) == last_id:
                        break
                latencies.append(time.perf_counter() - written)
        await runner.cleanup()
    return {"first": first, "weights": weights, "fingerprint": prints, "latency": latencies}


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Portal, Engine]:
    today = datetime.now().astimezone().date()
    portal = Portal(generate(1, "large", today))
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('pages')) / 'large.db'}")
    migrate(engine)
    started = time.monotonic()
    asyncio.run(_fill(portal, engine))
    print(f"\nlarge synced in {time.monotonic() - started:.0f} s")
    return portal, engine


def test_tv_and_dashboard_on_large(large: tuple[Portal, Engine]) -> None:
    portal, engine = large
    now = datetime.fromisoformat(portal.data.as_of)
    found = asyncio.run(measure(config_of(portal), engine, now))
    first, latency = found["first"], found["latency"]
    print(
        f"\nTV first render: median {statistics.median(first) * 1000:.0f} ms, "
        f"max {max(first) * 1000:.0f} ms"
    )
    print(
        "page weight with CSS, JS, fonts (KB): "
        + ", ".join(f"{k} {v / 1024:.0f}" for k, v in found["weights"].items())
    )
    print(f"store fingerprint: median {statistics.median(found['fingerprint']) * 1000:.1f} ms")
    print(
        f"update latency store write -> event: median {statistics.median(latency):.2f} s, "
        f"p95 {p95(latency):.2f} s"
    )
    assert statistics.median(first) <= 1.0
    assert all(v <= 300 * 1024 for v in found["weights"].values())
    assert p95(latency) <= 5.0
