"""Report figures and chart rendering on the `large` portal, SQLite and PostgreSQL.

Run by `make bench`. The large portal (over a million records) is synced once per store
from an in-process emulator without a rate limit, then each report's figures for a month
for the whole company are computed several times (median and p95), and each chart is
rendered several times (median). Targets (issue 3): figures p95 under 200 ms on SQLite,
chart median under 300 ms. The figures are printed; the targets are asserted. Beside the
figures (kpi) the whole report is timed too: figures, captions and drill-down lists, what
a chat command waits for before its chart.

Each report's line also prints the time of a fixed pure-Python loop measured just before
it: on a shared host the CPU's speed can change twofold from minute to minute, and the
loop says which state a figure was taken in.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Config
from app.settings import kpi_settings
from charts.render import render_report
from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import running_emulator
from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KpiSettings
from locales import words
from reports.build import REPORT_NAMES, assemble, build_report
from reports.registry import SPECS
from store.db import make_engine, refresh_statistics
from store.migrate import migrate

# Of 7 rounds the p95 is the slowest one; of 20 it is the second slowest.
ROUNDS = 20
# Figures p95 targets on SQLite, ms: 200 for a report of one period. Streaks look back over
# the history window one working day at a time by their definition (DESIGN.md item 18):
# about 280 day-queries, 1.1 s on the medium portal.
FIGURES_TARGET_MS = {"streaks": 5000.0}
# Issue 12, on both stores: coverage reads the clients' contacts the sync keeps
# (store.contacts) and ABC its won deals from one index; figures p95 at most these, ms.
STORE_TARGET_MS = {
    ("sqlite", "coverage"): 100.0,
    ("sqlite", "abc"): 100.0,
    ("postgresql", "coverage"): 150.0,
    ("postgresql", "abc"): 150.0,
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def cpu_reference_ms() -> float:
    """A fixed pure-Python loop, best of 3: 17 ms at full speed on the host of issue 3's note."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


@pytest.fixture(scope="module")
def portal() -> Portal:
    today = datetime.now().astimezone().date()
    return Portal(generate(1, "large", today))


async def _fill(portal: Portal, engine: Engine) -> None:
    async with (
        running_emulator(portal, rate_limit=False) as emulator,
        httpx.AsyncClient(timeout=120) as http,
    ):
        pacer = LeakyBucket(rate=10_000, burst=10_000)
        client = BitrixClient(http, emulator.webhook_url, pacer=pacer)
        report = await run_sync(client, engine)
    assert report.ok, report.errors
    refresh_statistics(engine)


def _settings(portal: Portal) -> KpiSettings:
    data = portal.data
    return kpi_settings(
        Config.model_validate(
            {
                "portal": {"timezone": data.timezone},
                "scope": {"sales_departments": [data.sales_department_id]},
                "coverage": {
                    "key_client_field": data.key_client_field,
                    "key_client_value": data.key_client_value,
                },
                "plans": {
                    "department": {str(data.sales_department_id): {"month": {"calls": 900}}}
                },
            }
        )
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, portal: Portal, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'large.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    migrate(engine)
    started = time.monotonic()
    asyncio.run(_fill(portal, engine))
    print(f"\n{request.param}: large synced in {time.monotonic() - started:.0f} s")
    yield request.param, engine
    engine.dispose()


def test_report_figures_and_charts(store: tuple[str, Engine], portal: Portal) -> None:
    name, engine = store
    settings = _settings(portal)
    now = datetime.fromisoformat(portal.data.as_of)
    lines, slow = [], []
    # A bot process holds no emulator: keep its million records (and the indexes the sync
    # made it build) out of the collector's rounds, so that they do not bill the reports.
    gc.collect()
    gc.freeze()
    with Session(engine) as session:
        scope = company_scope(session, settings)
        month = parse_period("month", now=now, tz=settings.tz)
        for report_name in REPORT_NAMES:
            figures_ms, report_ms, render_ms = [], [], []
            spec = SPECS[report_name]
            # One unmeasured round: a bot that has answered once has the pages in cache.
            build_report(session, settings, report_name, month, scope, now=now, render=False)
            reference = cpu_reference_ms()
            for _ in range(ROUNDS):
                started = time.perf_counter()
                figures = spec.figures(session, scope, month, settings, now)
                computed = time.perf_counter()
                report = assemble(report_name, figures, settings, now=now, render=False)
                figures_ms.append((computed - started) * 1000)
                report_ms.append((time.perf_counter() - started) * 1000)
            for _ in range(5):
                started = time.perf_counter()
                png = render_report(report.figures, words=words("ru"))
                render_ms.append((time.perf_counter() - started) * 1000)
            assert png.startswith(b"\x89PNG")
            chart = statistics.median(render_ms)
            lines.append(
                f"{name:<10} {report_name:<11} figures {statistics.median(figures_ms):6.1f}"
                f" / {p95(figures_ms):6.1f} ms | with captions and lists"
                f" {statistics.median(report_ms):6.1f} / {p95(report_ms):6.1f} ms"
                f" | chart {chart:6.1f} ms | cpu loop {reference:5.1f} ms"
            )
            if name == "sqlite" and p95(figures_ms) >= FIGURES_TARGET_MS.get(report_name, 200):
                slow.append(f"{report_name} figures")
            if p95(figures_ms) > STORE_TARGET_MS.get((name, report_name), float("inf")):
                slow.append(f"{report_name} figures on {name} (issue 12)")
            if chart >= 300:
                slow.append(f"{report_name} chart")
    # Everything is printed before anything is asserted: one slow report hides no figures.
    print("\n(median / p95 of the figures, then of the whole report; chart median)")
    print("\n".join(lines))
    assert not slow, (
        f"over target (figures p95 200 ms on SQLite, chart median 300 ms, {STORE_TARGET_MS}):"
        f" {slow}"
    )
