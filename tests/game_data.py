"""An emulator portal synced into a SQLite store, once per test module, for the game tests.

The portal is generated (seed 1, small) with data up to Thursday 2026-11-19 and synced
through the real client, so the figures are computed over what a real sync writes.
Reference figures in the tests are read straight from the rows, not through kpi.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from app.cmd_demo import demo_config
from app.cmd_emulator import make_portal
from app.cmd_sync import open_store, sync_once
from app.settings import kpi_settings
from emulator.server import running_emulator
from kpi.settings import KpiSettings, PlanBook

DATA_DAY = date(2026, 11, 19)
# A weekday made a holiday inside the window: a day off in the middle of streaks.
HOLIDAY = date(2026, 11, 11)


def emulator_store(folder: Path) -> tuple[Engine, KpiSettings, datetime, int]:
    """(engine, settings, the data's end, the sales department) of a synced portal."""

    async def build() -> tuple[Engine, KpiSettings, datetime, int]:
        portal = make_portal(1, "small", today=DATA_DAY)
        now = datetime.fromisoformat(portal.data.as_of)
        portal.now = lambda: now
        async with running_emulator(portal) as emulator:
            config = demo_config(portal.data, emulator.webhook_url, folder / "game.db")
            engine = open_store(config)
            report = await sync_once(config, engine)
            assert report.ok
        return engine, kpi_settings(config), now, portal.data.sales_department_id

    return asyncio.run(build())


def with_plans(settings: KpiSettings, department: int, employee: int) -> KpiSettings:
    """Month plans: calls and successful calls for the department, revenue for one person,
    and a holiday inside the window."""
    plans = PlanBook(
        departments={
            department: {"month": {"calls": Decimal(25), "successful_calls": Decimal(18)}}
        },
        employees={employee: {"month": {"revenue": Decimal(300000), "calls": Decimal(40)}}},
    )
    calendar = replace(settings.calendar, holidays=settings.calendar.holidays | {HOLIDAY})
    return replace(settings, plans=plans, calendar=calendar)
