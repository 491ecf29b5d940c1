"""``GET /healthz``: 200 with the last sync's time and age; 503 when it is too old or missing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.common import data_as_of


def _as_of(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return data_as_of(session)


def health_handler(engine: Engine, fresh: timedelta) -> Handler:
    """Healthy while the store is no older than twice the freshness the posts need."""
    limit = fresh * 2

    async def healthz(request: web.Request) -> web.Response:
        try:
            as_of = await asyncio.to_thread(_as_of, engine)
        except Exception:
            return web.json_response({"status": "store unreachable"}, status=503)
        if as_of is None:
            return web.json_response(
                {"status": "never synced", "last_sync": None, "age_seconds": None}, status=503
            )
        age = (datetime.now(UTC) - as_of).total_seconds()
        ok = age <= limit.total_seconds()
        body = {
            "status": "ok" if ok else "stale",
            "last_sync": as_of.isoformat(timespec="seconds"),
            "age_seconds": round(age),
            "limit_seconds": round(limit.total_seconds()),
        }
        return web.json_response(body, status=200 if ok else 503)

    return healthz
