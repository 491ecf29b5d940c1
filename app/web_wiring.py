"""The one web listener of ``crm-pulse run`` assembled from the config (web/ builds, app wires).

Where it listens (``[web]``, or the deprecated ``telegram.listen_host``/``listen_port`` when
``[web]`` is silent), whether it is needed at all, and what happens once portal events have
been applied: metrics, then the live missed-call alert.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.config import Config
from crm.events import Change
from crm.intake import EventIntake
from crm.sync.apply import ApplyReport
from jobs.deps import SyncFn
from store.jobs_models import JobDelivery
from web.health import health_handler
from web.metrics import Metrics
from web.server import EventsRoute, build_app

log = logging.getLogger("app.web")


def listener_address(config: Config) -> tuple[str, int]:
    web_set = config.web.model_fields_set
    tg = config.telegram
    host = config.web.host
    port = config.web.port
    if tg.listen_host is not None or tg.listen_port is not None:
        log.warning(
            "telegram.listen_host and listen_port are deprecated: "
            "set [web] host and port instead (one listener serves everything)"
        )
        if "host" not in web_set and tg.listen_host is not None:
            host = tg.listen_host
        if "port" not in web_set and tg.listen_port is not None:
            port = tg.listen_port
    return host, port


def build_listener(
    config: Config,
    engine: Engine,
    metrics: Metrics,
    intake: EventIntake | None,
    routes: Iterable[web.RouteDef] = (),
    *,
    notice: Callable[[], None] | None = None,
) -> web.Application:
    events = None
    if intake is not None:

        def submit(change: Change, received: float) -> None:
            intake.submit(change, received=received)

        events = EventsRoute(
            path=config.events.path,
            token=config.events.application_token.get_secret_value(),
            submit=submit,
            notice=notice,
        )
    health = health_handler(engine, timedelta(minutes=config.schedule.fresh_minutes))
    return build_app(health=health, metrics=metrics, events=events, routes=routes)


def offline_notice_url(config: Config) -> str | None:
    """Where the portal may tell us the offline queue has rows: only with a public listener."""
    if config.events.enabled and config.web.public_url:
        return f"{config.web.public_url}{config.events.path}"
    return None


def process_metrics(engine: Engine, requests: Callable[[], float]) -> Metrics:
    metrics = Metrics()
    metrics.read_requests(requests)
    metrics.read_posts(posts_by_job(engine))
    return metrics


def posts_by_job(engine: Engine) -> Callable[[], dict[str, int]]:
    def count() -> dict[str, int]:
        with Session(engine) as session:
            rows = session.execute(
                select(col(JobDelivery.job), func.count())
                .where(col(JobDelivery.state) == "sent")
                .group_by(col(JobDelivery.job))
            )
            return {job: int(n) for job, n in rows}

    return count


def counted_sync(sync: SyncFn, metrics: Metrics) -> SyncFn:
    """The scheduled sync, counted by outcome, its rows and its failures."""

    async def run(full: bool) -> Any:
        try:
            report = await sync(full)
        except Exception:
            metrics.syncs.labels("error").inc()
            metrics.errors.labels("sync").inc()
            raise
        ok = bool(getattr(report, "ok", True))
        metrics.syncs.labels("ok" if ok else "partial").inc()
        metrics.rows.inc(getattr(report, "written", 0))
        if not ok:
            metrics.errors.labels("sync").inc()
        return report

    return run


def after_events(
    metrics: Metrics, tell_missed: Callable[[], Awaitable[list[float]]] | None
) -> Callable[[ApplyReport, float], Awaitable[None]]:
    """What follows an applied round of events: the latency, then alerts for new calls."""

    async def applied(report: ApplyReport, seconds: float) -> None:
        metrics.event_latency.observe(seconds)
        metrics.rows.inc(report.written)
        if report.failed:
            metrics.errors.labels("events").inc(len(report.failed))
        log.log(
            logging.INFO if report.calls else logging.DEBUG,
            "events applied in %.2f s: %d written, %d deleted, %d calls (%d requests)",
            seconds,
            report.written,
            report.deleted,
            len(report.calls),
            report.requests,
        )
        if report.calls and tell_missed is not None:
            for latency in await tell_missed():
                metrics.alert_latency.observe(latency)

    return applied
