"""The pages' routes for the one listener: TV, dashboard, their live updates and files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy.engine import Engine

from kpi.settings import KpiSettings
from web.pages.context import PagesContext
from web.pages.dashboard import dashboard_routes
from web.pages.live import StoreWatch
from web.pages.render import STATIC_PREFIX, static_file
from web.pages.tv import tv_routes


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PagesSettings:
    kpi: KpiSettings
    fresh: timedelta  # schedule.fresh_minutes
    poll_seconds: float = 1.0  # how often the store's fingerprint is read while a TV listens
    clock: Callable[[], datetime] = field(default=utc_now)


def page_routes(settings: PagesSettings, engine: Engine) -> list[web.RouteDef]:
    ctx = PagesContext(
        engine=engine,
        settings=settings.kpi,
        fresh=settings.fresh,
        clock=settings.clock,
        watch=StoreWatch(engine, settings.poll_seconds),
    )
    return [
        *tv_routes(ctx),
        *dashboard_routes(ctx),
        web.get(STATIC_PREFIX + "{name:.+}", static_file),
    ]
