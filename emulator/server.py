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

The portal is also a local server application's home: ``/oauth/authorize/`` and
``/oauth/token/`` (``srv_oauth``), REST at ``/rest/METHOD`` with ``auth=ACCESS_TOKEN`` (expired:
401 ``expired_token``; unknown: 401 ``invalid_token``; then everything as for the webhook),
and ``event.bind`` / ``event.get`` / ``event.unbind`` / ``event.offline.*`` over the offline
queue (``srv_event_methods``, ``srv_offline``).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from yarl import URL

from emulator.chat import BotEvent, ChatState
from emulator.portal import Portal
from emulator.srv_app import STATE, build_app
from emulator.srv_core import Settings
from emulator.srv_events import EventSender
from emulator.srv_faults import FaultPlan
from emulator.srv_oauth import OAuthState
from emulator.srv_offline import OfflineQueue
from emulator.srv_push import Pusher

__all__ = ["Emulator", "build_app", "running_emulator", "serve"]


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
    oauth: OAuthState
    offline: OfflineQueue

    @property
    def rest_url(self) -> str:
        """An application's REST root (``client_endpoint``): ``{rest_url}METHOD?auth=TOKEN``."""
        return f"{self.base_url}/rest/"

    @property
    def oauth_url(self) -> str:
        """The token endpoint (``[portal] oauth_url``)."""
        return f"{self.base_url}/oauth/token/"

    def authorize_url(self, state: str = "") -> str:
        """Where a user grants the application access (``/oauth/authorize/``)."""
        fields = {"client_id": self.settings.oauth_client_id}
        query = urlencode(fields | {"state": state} if state else fields)
        return f"{self.base_url}/oauth/authorize/?{query}"

    def issue_tokens(self) -> dict[str, Any]:
        """A fresh token pair, as the code exchange answers it (skips the browser step)."""
        code = self.oauth.authorize(self.settings.oauth_client_id)
        params = {
            "grant_type": "authorization_code",
            "client_id": self.settings.oauth_client_id,
            "client_secret": self.settings.oauth_client_secret,
            "code": code,
        }
        return self.oauth.token(params, URL(self.base_url))

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
        yield Emulator(
            webhook,
            base,
            portal,
            chosen,
            plan,
            chat,
            server.pusher,
            server.events,
            server.oauth,
            server.offline,
        )
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
