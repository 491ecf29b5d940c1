"""The emulated portal's aiohttp application: one ``EmulatorServer`` behind the routes.

``server`` runs it (``running_emulator``, ``serve``); the request path is described there.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from aiohttp import web
from yarl import URL

from emulator.portal import Portal
from emulator.srv_chat import disk_record
from emulator.srv_core import (
    WEBHOOK,
    ApiError,
    Caller,
    LeakyBucket,
    OperatingMeter,
    Settings,
    time_block,
)
from emulator.srv_dispatch import Dispatcher, Outcome, canonical
from emulator.srv_event_methods import event_methods
from emulator.srv_events import EventSender
from emulator.srv_faults import REQUEST_LEVEL, FaultKind, FaultPlan
from emulator.srv_http import MAX_BODY, DroppedReply, json_response, rate_limited, read_params
from emulator.srv_methods import methods_for
from emulator.srv_oauth import OAuthState, oauth_routes
from emulator.srv_offline import OfflineQueue
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
        self.oauth = OAuthState(settings)
        self.offline = OfflineQueue(portal, settings)
        # The application's online bindings and the queue's notice go out with the webhook's.
        self.events.app_targets = self.offline.online
        self.events.app_auth = self.oauth.event_auth
        self.offline.notify = self.events.notice
        self.dispatcher.methods.update(event_methods(self.offline))

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
            method, params, fault, caller = await self._admit(request)
        except ApiError as exc:
            return self._error(exc, started, clock)
        if fault is FaultKind.DROP:
            return self._drop(request)
        return self._reply(self.dispatcher.call(method, params, fault=fault, caller=caller))

    async def _admit(
        self, request: web.Request
    ) -> tuple[str, dict[str, Any], FaultKind | None, Caller]:
        """Rate limit, credentials, parameters and request-level faults, in that order.

        ``/rest/USER/CODE/METHOD`` is the webhook; ``/rest/METHOD`` an application whose
        access token comes as ``auth`` (query or body), with its ``auth_connector`` if any.
        """
        settings = self.settings
        key = request.remote or "?"
        if settings.rate_limit and not self.bucket.admit(key, time.monotonic()):
            raise rate_limited()
        caller = WEBHOOK
        if "user" in request.match_info:
            user, code = request.match_info["user"], request.match_info["code"]
            if user != str(settings.webhook_user) or code != settings.webhook_code:
                # The code is a secret: the reply never repeats it.
                raise ApiError(401, "INVALID_CREDENTIALS", "Invalid request credentials")
            params = await read_params(request)
        else:
            params = await read_params(request)
            token, connector = params.pop("auth", ""), params.pop("auth_connector", "")
            user_id = self.oauth.check(token if isinstance(token, str) else "")
            caller = Caller(app=True, user=user_id, connector=str(connector or ""))
        method = canonical(request.match_info["method"])
        fault = self.faults.take(method)
        if fault is None and method == "batch":
            fault = self._batch_fault(params)
        if fault is FaultKind.RATE_LIMIT:
            raise rate_limited()
        return method, params, fault, caller

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
    - ``member_id``: the portal's id in events' ``auth[member_id]`` and OAuth replies;
    - ``oauth_client_id`` / ``oauth_client_secret`` / ``oauth_redirect_uri`` /
      ``oauth_token_seconds`` / ``oauth_code_seconds`` / ``oauth_refresh_rotates``: the local
      application (``srv_oauth``); ``app_token``: its events' ``application_token``.
    """
    app = web.Application(client_max_size=MAX_BODY)
    server = EmulatorServer(portal, settings, faults)
    app[STATE] = server
    app.router.add_route("POST", "/rest/upload.json", server.upload)
    app.router.add_route("*", "/rest/{user}/{code}/{method}", server.rest)
    app.router.add_route("*", "/rest/{method}", server.rest)
    app.router.add_route("*", "/rest/{tail:.*}", server.malformed)
    app.router.add_routes(tool_routes(portal, faults))
    app.router.add_routes(record_routes(portal, server.events, server.offline))
    app.router.add_routes(oauth_routes(server.oauth))

    async def reset_limits(request: web.Request) -> web.Response:
        """A fresh portal's limits (empty bucket, no operating time), between benchmark runs."""
        server.bucket = LeakyBucket(settings.rate, settings.burst)
        server.dispatcher.meter = OperatingMeter(settings.operating_limit)
        return web.json_response({"ok": True})

    app.router.add_post("/_emulator/limits/reset", reset_limits)

    async def start_pusher(app: web.Application) -> None:
        await server.pusher.start()
        await server.events.start()
        portal.listeners.append(server.offline.listen)

    async def stop_pusher(app: web.Application) -> None:
        if server.offline.listen in portal.listeners:
            portal.listeners.remove(server.offline.listen)
        await server.events.close()
        await server.pusher.close()

    app.on_startup.append(start_pusher)
    app.on_cleanup.append(stop_pusher)
    return app
