"""A synced store behind the pages: the emulator's portal, the real sync, our own listener.

The pages are served on a 127.0.0.1 aiohttp app of their own (``page_routes`` only), the
way the one listener of ``crm-pulse run`` mounts them.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.cmd_demo import demo_config
from app.cmd_emulator import make_portal
from app.cmd_sync import open_store, sync_once
from app.config import Config
from app.settings import kpi_settings
from app.web_pages import pages_settings
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from store.web_models import LinkKind, LinkScope, create_link
from web.pages import page_routes

CLI = str(Path(sys.executable).with_name("crm-pulse"))
LONG_NAMES = (
    ("Александра-Виктория", "Константинопольская-Преображенская"),
    ("Всеволод", "Староверцев-Длинноименный"),
    ("Евпраксия", "Иоанновна-Закревская-Оболенская"),
)


@dataclass
class World:
    portal: Portal
    emulator: Emulator
    config: Config
    config_path: Path
    engine: Engine
    base: str  # http://127.0.0.1:PORT of the pages
    runner: web.AppRunner

    def link(self, kind: LinkKind, scope: LinkScope, *, days: int | None = None) -> str:
        now = datetime.now(UTC)
        expires = None if days is None else now + timedelta(days=days)
        with Session(self.engine) as session:
            token = create_link(
                session, kind, scope, now=now, expires_at=expires, created_by="test"
            )
        return f"{self.base}/tv/{token}" if kind == "tv" else f"{self.base}/d/{token}/"

    async def sync(self) -> None:
        report = await sync_once(self.config, self.engine)
        assert report.ok, report.errors

    async def cli_json(self, *args: str) -> dict[str, Any]:
        """``crm-pulse report ... --json`` as a user runs it, on the same store."""
        process = await asyncio.create_subprocess_exec(
            CLI,
            "report",
            *args,
            "--json",
            "--config",
            str(self.config_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return json.loads(out)  # type: ignore[no-any-return]


def config_toml(config: Config, webhook_url: str, store: str, sales: int) -> str:
    plans = config.plans.get("department", {})
    lines = [
        "[portal]",
        f'webhook_url = "{webhook_url}"',
        f'timezone = "{config.portal.timezone}"',
        "[storage]",
        f'url = "{store}"',
        "[scope]",
        f"sales_departments = [{sales}]",
        "[coverage]",
        f'key_client_field = "{config.coverage.key_client_field}"',
        f'key_client_value = "{config.coverage.key_client_value}"',
    ]
    for dept, lengths in plans.items():
        for length, targets in lengths.items():
            lines.append(f"[plans.department.{dept}.{length}]")
            lines.extend(f"{k} = {v}" for k, v in targets.items())
    return "\n".join(lines) + "\n"


def sales_tree(portal: Portal) -> set[int]:
    tree = {portal.data.sales_department_id}
    for _ in range(5):
        rows = portal.rows("departments")
        tree |= {int(d["ID"]) for d in rows if int(d.get("PARENT") or 0) in tree}
    return tree


def rename_long(portal: Portal, count: int = len(LONG_NAMES)) -> list[int]:
    """Give the first sales employees very long Russian names (the wall must not clip)."""
    tree = sales_tree(portal)
    changed: list[int] = []
    for row in portal.rows("users"):
        if len(changed) == count:
            break
        if row["ACTIVE"] and set(row["UF_DEPARTMENT"]) & tree:
            first, last = LONG_NAMES[len(changed)]
            portal.update("users", int(row["ID"]), NAME=first, LAST_NAME=last)
            changed.append(int(row["ID"]))
    return changed


def add_people(portal: Portal, count: int) -> None:
    sales = portal.data.sales_department_id
    for n in range(count):
        first, last = LONG_NAMES[n % len(LONG_NAMES)]
        portal.add(
            "users",
            {
                "ACTIVE": True,
                "NAME": f"{first}",
                "LAST_NAME": f"{last} {n + 1}",
                "UF_DEPARTMENT": [sales],
                "EMAIL": f"extra{n}@example.ru",
                "USER_TYPE": "employee",
            },
        )


@asynccontextmanager
async def synced_world(
    tmp_path: Path, *, seed: int = 3, today: date | None = None, shape: Any = None
) -> AsyncIterator[World]:
    """Generate, serve and sync a small portal; serve the pages; yield the whole world."""
    today = today or datetime.now(UTC).date() - timedelta(days=1)
    portal = make_portal(seed, "small", today=today)
    if shape is not None:
        shape(portal)
    async with running_emulator(portal, rate_limit=False) as emulator:
        store = f"sqlite:///{tmp_path / 'store.db'}"
        config = demo_config(portal.data, emulator.webhook_url, tmp_path / "store.db")
        config_path = tmp_path / "config.toml"
        config_path.write_text(
            config_toml(config, emulator.webhook_url, store, portal.data.sales_department_id)
        )
        engine = open_store(config)
        report = await sync_once(config, engine)
        assert report.ok, report.errors
        app = web.Application()
        settings = pages_settings(config)
        app.router.add_routes(page_routes(settings, engine))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        built = World(
            portal, emulator, config, config_path, engine, f"http://127.0.0.1:{port}", runner
        )
        try:
            yield built
        finally:
            await built.runner.cleanup()  # a test may have restarted the listener
            engine.dispose()


def settings_of(world: World) -> Any:
    return kpi_settings(world.config)
