"""The TV and dashboard pages wired from the config (web/ builds them, app passes values).

``page_routes`` is what ``crm-pulse run`` (and ``demo --serve``) add to the one listener;
``link_url`` is the address people open, from ``[web] public_url``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy.engine import Engine

from app.config import Config
from app.settings import kpi_settings
from web.pages import PagesSettings
from web.pages import page_routes as pages


def pages_settings(
    config: Config, *, clock: Callable[[], datetime] | None = None
) -> PagesSettings:
    fresh = timedelta(minutes=config.schedule.fresh_minutes)
    if clock is None:
        return PagesSettings(kpi=kpi_settings(config), fresh=fresh)
    return PagesSettings(kpi=kpi_settings(config), fresh=fresh, clock=clock)


def page_routes(
    config: Config, engine: Engine, *, clock: Callable[[], datetime] | None = None
) -> list[web.RouteDef]:
    return pages(pages_settings(config, clock=clock), engine)


def public_base(config: Config) -> str:
    """Where people reach the listener: ``[web] public_url``, else its own address."""
    if config.web.public_url:
        return config.web.public_url
    host = config.web.host if config.web.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{config.web.port}"


def link_url(base: str, kind: str, token: str) -> str:
    return f"{base}/tv/{token}" if kind == "tv" else f"{base}/d/{token}/"
