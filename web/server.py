"""The one listener of ``crm-pulse run`` (``[web] host``, ``port``).

``build_app`` makes the aiohttp application with what every deployment has (``/healthz``,
``/metrics``) and the portal's events when they are on; the chat front ends and the pages
add their own routes to it (app composes them: web/ imports neither bot/ nor jobs/).
``start`` binds it and says plainly when the address cannot be had.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

from crm.events import Change
from web.events import events_handler
from web.metrics import Metrics

# Set when the listener begins to stop: long-lived responses (the TV's event stream) end
# then, instead of holding the stop for aiohttp's shutdown timeout.
CLOSING = web.AppKey("closing", asyncio.Event)


class ListenError(Exception):
    """The listener could not bind; the message names the keys to change."""


@dataclass(frozen=True)
class EventsRoute:
    path: str
    token: str
    submit: Callable[[Change, float], None]
    # The portal's ONOFFLINEEVENT ("the offline queue has rows"): wake the drain (app mode).
    notice: Callable[[], None] | None = None


def build_app(
    *,
    health: Handler,
    metrics: Metrics,
    events: EventsRoute | None = None,
    routes: Iterable[web.RouteDef] = (),
) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[CLOSING] = asyncio.Event()

    async def closing(app: web.Application) -> None:
        app[CLOSING].set()

    app.on_shutdown.append(closing)
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics.handler)
    if events is not None:
        handler = events_handler(events.token, events.submit, metrics, notice=events.notice)
        app.router.add_post(events.path, handler)
    app.router.add_routes(list(routes))
    return app


async def start(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve ``app``; access lines are off (URLs can carry tokens)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
        msg = f"the web listener's address {host}:{port} {reason}: change [web] host or port"
        raise ListenError(msg) from None
    return runner


def bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
