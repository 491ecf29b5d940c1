"""The emulated portal over HTTP (aiohttp): ``/rest/USER/CODE/METHOD`` like an inbound webhook.

A request passes, in order: the portal-moved redirect (302 to ``Settings.moved_to``), the
leaky bucket per client IP (503 QUERY_LIMIT_EXCEEDED), the webhook's user and code (401
INVALID_CREDENTIALS), injected faults (``FaultPlan``), then the ``Dispatcher``: method lookup
(404), scope (401 insufficient_scope), the operating meter (429), the handler. Every reply
carries the ``time`` block. Parameters come from the query string, a form body (PHP bracket
names) or a JSON body, merged as PHP's ``$_REQUEST`` would.

``running_emulator`` runs it on 127.0.0.1 for tests; ``serve`` blocks for the CLI. Besides
``/rest/`` the server answers ``/_emulator/stats`` (GET, and POST ``/reset``), ``/_emulator/chat``
(what the chat side received; POST ``/_emulator/chat/message`` simulates a user writing to a
bot), ``/_emulator/faults`` (POST to add one, DELETE to clear), ``/_emulator/files/ID``, and the
record, call and event hooks of ``srv_records`` (all listed in ``srv_tools``).

With ``Settings.events_to`` and ``events_token`` (or ``Emulator.send_events_to`` at run time)
every change to the portal's records is POSTed there as the portal's outbound webhook would
(``srv_events``).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiohttp import web
from yarl import URL

from emulator.chat import BotEvent, ChatState
from emulator.portal import Portal
from emulator.srv_chat import disk_record
from emulator.srv_core import ApiError, LeakyBucket, OperatingMeter, Settings, time_block
from emulator.srv_dispatch import Dispatcher, Outcome, canonical
from emulator.srv_events import EventSender
from emulator.srv_faults import REQUEST_LEVEL, FaultKind, FaultPlan
from emulator.srv_http import MAX_BODY, DroppedReply, json_response, rate_limited, read_params
from emulator.srv_methods import methods_for
from emulator.srv_push import Pusher
from emulator.srv_records import record_routes
from emulator.srv_tools import tool_routes


class EmulatorServer:
    """The state behind one app: settings, limits, faults, the dispatcher and the pusher."""

    def __init__(self, portal: Portal, settings: Settings, faults: FaultPlan) -> None:
        self.portal = portal
        self.settings = settings
        self.faults = faults
        self.dispatcher = Dispatcher(portal, settings, methods_for(settings), faults)
        self.bucket = LeakyBucket(settings.rate, settings.burst)
        self.pusher = Pusher(portal.chat)
        self.events = EventSender(portal, settings)

    async def rest(self, request: web.Request) -> web.StreamResponse:
        started, clock = self.portal.now(), time.perf_counter()
        stats = self.portal.stats
        stats.requests += 1
        response = await self._rest(request, started, clock)
        if isinstance(response, DroppedReply):
            stats.per_status[0] += 1  # 0: no status, the connection was cut
            return response
        stats.per_status[response.status] += 1
        if response.status == 503:
            stats.http_503 += 1
        return response

    async def _rest(
        self, request: web.Request, started: datetime, clock: float
    ) -> web.StreamResponse:
        if self.settings.moved_to and not self._is_new_address(request):
            return web.Response(status=302, headers={"Location": self._moved(request)})
        try:
            method, params, fault = await self._admit(request)
        except ApiError as exc:
            return self._error(exc, started, clock)
        if fault is FaultKind.DROP:
            return self._drop(request)
        return self._reply(self.dispatcher.call(method, params, fault=fault))

    async def _admit(self, request: web.Request) -> tuple[str, dict[str, Any], FaultKind | None]:
        """Rate limit, credentials, parameters and request-level faults, in that order."""
        settings = self.settings
        key = request.remote or "?"
        if settings.rate_limit and not self.bucket.admit(key, time.monotonic()):
            raise rate_limited()
        user, code = request.match_info["user"], request.match_info["code"]
        if user != str(settings.webhook_user) or code != settings.webhook_code:
            # The code is a secret: the reply never repeats it.
            raise ApiError(401, "INVALID_CREDENTIALS", "Invalid request credentials")
        method = canonical(request.match_info["method"])
        params = await read_params(request)
        fault = self.faults.take(method)
        if fault is None and method == "batch":
            fault = self._batch_fault(params)
        if fault is FaultKind.RATE_LIMIT:
            raise rate_limited()
        return method, params, fault

    def _batch_fault(self, params: dict[str, Any]) -> FaultKind | None:
        """A transport-level fault aimed at a method fails the batch that carries it."""
        commands = params.get("cmd")
        if isinstance(commands, dict):
            calls = list(commands.values())
        elif isinstance(commands, list):
            calls = commands
        else:
            return None
        for call in calls:
            if isinstance(call, str):
                name = canonical(call.split("?", 1)[0])
                fault = self.faults.take(name, REQUEST_LEVEL, any_method=False)
                if fault is not None:
                    return fault
        return None

    def _drop(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()
        return DroppedReply(status=500)

    def _is_new_address(self, request: web.Request) -> bool:
        target = self._target()
        return request.host == target.raw_authority

    def _target(self) -> URL:
        moved = str(self.settings.moved_to)
        return URL(moved if "://" in moved else f"http://{moved}")

    def _moved(self, request: web.Request) -> str:
        target = self._target()
        return str(target.with_path(request.rel_url.raw_path, encoded=True)) + (
            f"?{request.rel_url.raw_query_string}" if request.rel_url.raw_query_string else ""
        )

    def _error(self, error: ApiError, started: datetime, clock: float) -> web.Response:
        block = time_block(self.portal, started, time.perf_counter() - clock)
        return json_response(error.status, {**error.body(), "time": block})

    def _reply(self, outcome: Outcome) -> web.Response:
        if outcome.error is not None or outcome.result is None:
            error = outcome.error or ApiError(500, "INTERNAL_SERVER_ERROR", "No result")
            return json_response(error.status, {**error.body(), "time": outcome.time})
        body: dict[str, Any] = {"result": outcome.result.result}
        if outcome.result.next is not None:
            body["next"] = outcome.result.next
        if outcome.result.total is not None:
            body["total"] = outcome.result.total
        body["time"] = outcome.time
        return json_response(200, body)

    async def malformed(self, request: web.Request) -> web.Response:
        """``/rest/`` with the user id or code missing: the portal says the method is unknown."""
        self.portal.stats.requests += 1
        self.portal.stats.per_status[404] += 1
        started, clock = self.portal.now(), time.perf_counter()
        error = ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        return self._error(error, started, clock)

    async def upload(self, request: web.Request) -> web.Response:
        """The ``uploadUrl`` of ``disk.folder.uploadfile``: a multipart field ``file``."""
        started, clock = self.portal.now(), time.perf_counter()
        token = request.rel_url.query.get("token", "")
        kind, _, folder = token.partition("|")
        form = await request.post()
        field = form.get("file")
        if kind != "disk" or not folder.isdigit() or not isinstance(field, web.FileField):
            error = ApiError(400, "ERROR_ARGUMENT", "Expected a 'file' field and a disk token")
            return self._error(error, started, clock)
        chat = self.portal.chat
        stored = chat.store_file(field.filename, field.file.read(), int(folder))
        block = time_block(self.portal, started, time.perf_counter() - clock)
        return json_response(200, {"result": disk_record(chat, stored), "time": block})


STATE = web.AppKey("emulator", EmulatorServer)


def build_app(portal: Portal, settings: Settings, faults: FaultPlan) -> web.Application:
    """The aiohttp app serving ``portal``. What ``Settings`` mean here:

    - ``webhook_user`` / ``webhook_code``: the only ``/rest/USER/CODE/`` accepted (else 401);
    - ``scopes``: the webhook's scopes (None: all); other methods get 401 insufficient_scope;
    - ``rate`` / ``burst`` / ``rate_limit``: the leaky bucket per client IP (503 when full);
    - ``moved_to``: the portal's new address; requests to any other address get a 302 there;
    - ``operating_limit`` and ``operating_*``: seconds of synthetic execution time a method may
      use in ten minutes (per call, per row returned, per row counted), then 429;
    - ``calls_recent_days``: voximplant.statistic.get gives only the newest days of a longer
      ``CALL_START_DATE`` range;
    - ``imbot_v2``: whether ``imbot.v2.*`` and ``im.v2.File.upload`` exist on this portal;
    - ``events_to`` / ``events_token`` / ``events_delay``: the outbound webhook (``srv_events``);
    - ``member_id``: the portal's id in events' ``auth[member_id]``.
    """
    app = web.Application(client_max_size=MAX_BODY)
    server = EmulatorServer(portal, settings, faults)
    app[STATE] = server
    app.router.add_route("POST", "/rest/upload.json", server.upload)
    app.router.add_route("*", "/rest/{user}/{code}/{method}", server.rest)
    app.router.add_route("*", "/rest/{tail:.*}", server.malformed)
    app.router.add_routes(tool_routes(portal, faults))
    app.router.add_routes(record_routes(portal, server.events))

    async def reset_limits(request: web.Request) -> web.Response:
        """A fresh portal's limits (empty bucket, no operating time), between benchmark runs."""
        server.bucket = LeakyBucket(settings.rate, settings.burst)
        server.dispatcher.meter = OperatingMeter(settings.operating_limit)
        return web.json_response({"ok": True})

    app.router.add_post("/_emulator/limits/reset", reset_limits)

    async def start_pusher(app: web.Application) -> None:
        await server.pusher.start()
        await server.events.start()

    async def stop_pusher(app: web.Application) -> None:
        await server.events.close()
        await server.pusher.close()

    app.on_startup.append(start_pusher)
    app.on_cleanup.append(stop_pusher)
    return app


@dataclass
class Emulator:
    """A running emulator: where to reach it, and the objects behind it."""

    webhook_url: str  # http://127.0.0.1:PORT/rest/USER/CODE/
    base_url: str  # http://127.0.0.1:PORT
    portal: Portal
    settings: Settings
    faults: FaultPlan
    chat: ChatState
    pusher: Pusher
    events: EventSender

    async def user_message(
        self,
        text: str,
        *,
        user_id: int,
        dialog_id: str | None = None,
        bot: int | str | None = None,
    ) -> list[BotEvent]:
        """A user writes to a bot; returns once the events are queued and pushed."""
        events = self.chat.user_message(text, user_id=user_id, dialog_id=dialog_id, bot=bot)
        await self.pusher.drain()
        return events

    async def delivered(self) -> None:
        """Wait until every pending push to a bot handler has been answered (or failed)."""
        await self.pusher.drain()

    def send_events_to(
        self, url: str | None, token: str | None, delay: tuple[float, float] | None = None
    ) -> None:
        """Switch the outbound webhook on (``url``, ``token``) or off (None) for later changes."""
        self.events.target(url, token, delay)

    async def events_delivered(self) -> None:
        """Wait until every event scheduled so far has been POSTed and answered (or failed)."""
        await self.events.drain()


@asynccontextmanager
async def running_emulator(
    portal: Portal,
    *,
    settings: Settings | None = None,
    rate_limit: bool | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | None = None,
    **overrides: Any,
) -> AsyncIterator[Emulator]:
    """Serve ``portal`` on ``host:port`` (0: a free port) until the block exits.

    ``rate_limit`` None keeps what ``settings`` say (on by default); ``overrides`` replace
    ``Settings`` fields (``burst=5``, ``scopes=frozenset({"crm"})``, ``moved_to=...``,
    ``events_to=URL, events_token=T, events_delay=(0.05, 0.2)``).
    """
    chosen = settings or Settings()
    if rate_limit is not None:
        overrides["rate_limit"] = rate_limit
    chosen = replace(chosen, **overrides) if overrides else chosen
    plan = faults or FaultPlan()
    app = build_app(portal, chosen, plan)
    runner = web.AppRunner(app, access_log=None)  # access lines would show the webhook code
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = _bound_port(runner, port)
        base = f"http://{host}:{bound}"
        chat = portal.chat
        chat.now, chat.base_url = portal.local_now, base
        chat.user_lookup = lambda user_id: portal.get("users", user_id)
        webhook = f"{base}/rest/{chosen.webhook_user}/{chosen.webhook_code}/"
        server = app[STATE]
        server.events.base_url = base
        yield Emulator(webhook, base, portal, chosen, plan, chat, server.pusher, server.events)
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner, asked: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return asked


def serve(
    portal: Portal,
    host: str = "127.0.0.1",
    port: int = 8080,
    settings: Settings | None = None,
    *,
    on_ready: Callable[[Emulator], None] | None = None,
) -> None:
    """Serve until interrupted; ``on_ready`` gets the running emulator (its webhook URL)."""

    # The portal's rows live as long as the process: keep the cyclic collector from walking a
    # million dicts on every full collection (seconds-long pauses on the large scale).
    gc.collect()
    gc.freeze()

    async def forever() -> None:
        async with running_emulator(portal, settings=settings, host=host, port=port) as emulator:
            if on_ready is not None:
                on_ready(emulator)
            await asyncio.Event().wait()

    asyncio.run(forever())
