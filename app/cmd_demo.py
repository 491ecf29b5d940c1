"""``crm-pulse demo``: the whole product on the built-in emulator, with no configuration.

Generates a portal, serves it on 127.0.0.1 with the real rate limit, syncs it into a
temporary SQLite file through the real client, then writes every report and the morning
post to ``--out``. The clock stands at the moment the generated data ends, so the same
seed on the same day gives the same files.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.cmd_emulator import TIMEZONE, make_portal
from app.cmd_sync import open_store, print_report, sync_once
from app.config import Config, speak
from app.demo_live import live_missed_call
from app.logs import setup_logging
from app.outputs import write_post, write_report
from app.progress import Progress
from app.settings import kpi_settings
from emulator.data import PortalData
from emulator.server import running_emulator
from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KpiSettings
from reports.build import REPORT_NAMES, build_report
from reports.morning import morning_post

# Monthly targets for each employee of the demo's sales department, near what the generated
# team does, so the KPI chart shows some met, some on track and some behind.
DEMO_PLAN = {
    "calls": 30,
    "successful_calls": 20,
    "talk_minutes": 45,
    "meetings": 2,
    "emails": 6,
    "new_deals": 4,
    "revenue": 450_000,
}


def demo_config(data: PortalData, webhook_url: str, store: Path) -> Config:
    raw: dict[str, Any] = {
        "portal": {"webhook_url": SecretStr(webhook_url), "timezone": data.timezone},
        "storage": {"url": f"sqlite:///{store}"},
        "scope": {"sales_departments": [data.sales_department_id]},
        "coverage": {
            "key_client_field": data.key_client_field,
            "key_client_value": data.key_client_value,
        },
        "plans": {"department": {str(data.sales_department_id): {"month": DEMO_PLAN}}},
    }
    return Config.model_validate(raw)


def write_everything(engine: Engine, settings: KpiSettings, now: datetime, out: Path) -> int:
    written = 0
    with Session(engine) as session:
        scope = company_scope(session, settings)
        month = parse_period("month", now=now, tz=settings.tz)
        for name in REPORT_NAMES:
            started = time.monotonic()
            report = build_report(session, settings, name, month, scope, now=now)
            files = write_report(report, out)
            written += len(files)
            print(f"  {name:<11} {time.monotonic() - started:5.2f} s  {files[-1].parent}/{name}.*")
        post = morning_post(session, settings, scope, now=now)
        files = write_post(post, out)
        written += len(files)
        print(f"  {post.kind:<11} {len(post.reports)} images + caption")
    return written


def demo_day(today: date) -> date:
    """The third Thursday of this month, or of the last one if it is still ahead.

    Mid-month, so "this month" already holds figures worth a chart; a Thursday, so the
    morning post is the daily one. The same day all month: the demo's files are stable.
    """
    first = today.replace(day=1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 14)
    if thursday <= today:
        return thursday
    return demo_day(first - timedelta(days=1))


async def demo(
    seed: int, scale: str, out: Path, serve: int | None = None, language: str = "ru"
) -> int:
    day = demo_day(datetime.now(tz=ZoneInfo(TIMEZONE)).date())
    print(f"Generating a {scale} demo portal (seed {seed}) with data up to {day:%d.%m.%Y}...")
    portal = make_portal(seed, scale, today=day, language=language)
    now = datetime.fromisoformat(portal.data.as_of)
    portal.now = lambda: now  # the portal's clock stands where its data ends
    with tempfile.TemporaryDirectory(prefix="crm-pulse-demo-") as folder:
        async with running_emulator(portal) as emulator:
            config = demo_config(portal.data, emulator.webhook_url, Path(folder) / "demo.db")
            speak(config, language)
            engine = open_store(config)
            print(f"Syncing {portal.data.count():,} records from the emulator...")
            progress = Progress(sys.stdout)
            report = await sync_once(config, engine, progress=progress)
            progress.close()
            print_report(report, sys.stdout)
            print("A missed call comes in, live: event, read-back, alert...")
            for text in await live_missed_call(portal, emulator, config, engine, out):
                print("  " + text.replace("\n", "\n  "))
            portal.now = lambda: now
        settings = kpi_settings(config)
        print(f"Writing reports for {now:%d.%m.%Y %H:%M} ({settings.tz}) to {out}/ ...")
        written = await asyncio.to_thread(write_everything, engine, settings, now, out)
        print(f"Done: {written} files in {out}/. Open {out}/rating.png first.")
        if serve is not None:
            await serve_pages(config, engine, now, serve)
        engine.dispose()
    return 0 if report.ok else 1


async def serve_pages(config: Config, engine: Engine, now: datetime, port: int) -> None:
    """The office TV and the dashboard of the demo's store on 127.0.0.1, until Ctrl+C.

    The pages' clock stands where the demo's data ends, like the reports'.
    """
    from app.web_pages import link_url, page_routes
    from store.web_models import LinkScope, create_link
    from web.health import health_handler
    from web.metrics import Metrics
    from web.server import ListenError, bound_port, build_app, start

    app = build_app(
        health=health_handler(engine, timedelta(minutes=config.schedule.fresh_minutes)),
        metrics=Metrics(),
        routes=page_routes(config, engine, clock=lambda: now),
    )
    try:
        runner = await start(app, "127.0.0.1", port)
    except ListenError:
        runner = await start(app, "127.0.0.1", 0)  # the port is taken: any free one will do
    base = f"http://127.0.0.1:{bound_port(runner)}"
    with Session(engine) as session:
        links = [
            (
                kind,
                create_link(
                    session,
                    kind,
                    LinkScope("company"),
                    now=now,
                    expires_at=None,
                    created_by="demo",
                ),
            )
            for kind in ("tv", "dashboard")
        ]
    print("Serving the office TV and the dashboard (Ctrl+C stops):", flush=True)
    for kind, token in links:
        label = "TV" if kind == "tv" else "dashboard"
        print(f"  {label:<10} {link_url(base, kind, token)}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    if getattr(args, "verbose", False):
        setup_logging("INFO")
    serve = args.port if getattr(args, "serve", False) else None
    try:
        language = getattr(args, "lang", None) or "ru"
        return asyncio.run(demo(args.seed, args.scale, args.out, serve, language))
    except KeyboardInterrupt:  # Ctrl+C ends --serve: the normal way out
        return 0
