"""From an incoming /rating to the outgoing sendPhoto, on the `large` portal (issue 4).

Run by `make bench`. The large portal is synced into SQLite once, then a head of sales's
/rating goes through the real dispatcher with the real report builder (figures in SQL,
chart in a worker thread) into a recording Bot session; the time until sendPhoto leaves
is measured over 20 updates. Target: p95 under 1 s.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.settings import Person, Role
from emulator.generator import generate
from emulator.portal import Portal
from reports.build import build_report, report_xlsx
from store.db import make_engine
from store.migrate import migrate
from tests.bench.test_reports_bench import _fill, _settings, p95
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import bot_settings, make_world

ROUNDS = 20
HEAD_TELEGRAM = 900001


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portal, Engine]]:
    portal = Portal(generate(1, "large", datetime.now().astimezone().date()))
    path: Path = tmp_path_factory.mktemp("latency") / "large.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    asyncio.run(_fill(portal, engine))
    yield portal, engine
    engine.dispose()


async def test_rating_answer_latency(large: tuple[Portal, Engine]) -> None:
    portal, engine = large
    now = datetime.fromisoformat(portal.data.as_of)
    head = int(portal.data.tables["departments"][1]["UF_HEAD"])  # the sales department's head
    world = make_world(
        engine,
        builder=build_report,
        xlsx=report_xlsx,
        settings=bot_settings(people=(Person(head, HEAD_TELEGRAM, Role.HEAD),)),
        kpi=_settings(portal),
        clock=lambda: now,
    )
    sender = tg.user(HEAD_TELEGRAM, "Head")
    await world.send(tg.message("/rating", sender=sender))  # warm-up: caches and fonts
    seconds = []
    for _ in range(ROUNDS):
        before = len(world.fake.requests("sendPhoto"))
        started = time.perf_counter()
        await world.send(tg.message("/rating", sender=sender))
        seconds.append(time.perf_counter() - started)
        assert len(world.fake.requests("sendPhoto")) == before + 1
    assert world.fake.errors == []
    print(
        f"\n/rating -> sendPhoto on large: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {p95(seconds) * 1000:.0f} ms over {ROUNDS} updates"
    )
    assert p95(seconds) < 1.0
