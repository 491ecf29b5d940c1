"""The Bitrix24 chat bot at run time: registration, hearing events, answering them.

Events reach us one of two ways:

- fetch (imbot.v2): ``run`` polls ``imbot.v2.Event.get`` and acknowledges each page by
  passing its ``nextOffset`` back, after answering it; no public URL is needed;
- push (legacy imbot): the portal POSTs each event to our endpoint. ``event_handler``
  gives the aiohttp handler ``app`` mounts at ``settings.event_path``. A push is accepted
  only with the configured ``auth[application_token]`` (compared in constant time);
  anything else gets 401 and a log line that names the sender, never the payload.

Answers are built in a worker thread (SQL, matplotlib) and posted by ``BitrixMessenger``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.bitrix import texts
from bot.bitrix.commands import BitrixDeps, Reply, answer
from bot.bitrix.events import ChatEvent, application_token, parse_form, read_event
from bot.bitrix.messenger import BitrixMessenger, BotIdentity, Sent
from bot.bitrix.registration import register_bot
from crm.errors import BitrixError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_PUSH_BYTES = 256 * 1024  # a bot event is a few kilobytes; refuse to buffer more


class BitrixBot:
    """One bot on one portal."""

    def __init__(self, deps: BitrixDeps, messenger: BitrixMessenger | None = None) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.messenger = messenger or BitrixMessenger(
            deps.client, personal_via=deps.settings.personal_via
        )
        self.offset: int | None = None
        self.answered = 0  # events answered (tests wait on it)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def identity(self) -> BotIdentity | None:
        return self.messenger.bot

    async def register(self) -> BotIdentity | None:
        """Register (or find) the bot and let the messenger post as it."""
        identity = await register_bot(self.deps.client, self.settings)
        self.messenger.bot = identity
        return identity

    # -- fetch mode ----------------------------------------------------------------------------

    async def poll_once(self) -> bool:
        """Fetch one page of events, answer them, acknowledge them; whether more wait."""
        bot = self.identity
        if bot is None or bot.api != 2:
            return False
        params: dict[str, Any] = {**bot.params(), "limit": self.settings.fetch_limit}
        if self.offset is not None:
            params["offset"] = self.offset
        page = await self.deps.client.call("imbot.v2.Event.get", params)
        page = page if isinstance(page, Mapping) else {}
        for item in page.get("events") or []:
            if isinstance(item, Mapping):
                await self.handle_raw(str(item.get("type") or ""), item.get("data"))
        next_offset = page.get("nextOffset")
        if isinstance(next_offset, int) and not isinstance(next_offset, bool):
            self.offset = next_offset
        return bool(page.get("hasMore"))

    async def run(self, stop: asyncio.Event) -> None:
        """Register, then hear events until ``stop`` is set (fetch mode polls; push mode
        only waits, the endpoint does the work)."""
        failures = 0
        while True:
            try:
                identity = await self.register()
                break
            except BitrixError as exc:
                # The portal may be briefly unreachable at start: posts still go out (as the
                # webhook's user) while the bot keeps trying to get in.
                failures += 1
                wait = self._backoff(failures)
                log.warning(
                    "Bitrix24: registering the bot failed (%s); again in %.0f s", exc, wait
                )
                if await _stopped(stop, wait):
                    return
        if identity is None or identity.api != 2:
            await stop.wait()
            await self.drain()
            return
        failures = 0
        while not stop.is_set():
            try:
                more = await self.poll_once()
            except BitrixError as exc:
                failures += 1
                wait = self._backoff(failures)
                log.warning(
                    "Bitrix24: fetching bot events failed (%s); again in %.0f s", exc, wait
                )
            else:
                failures = 0
                wait = self.settings.busy_poll_seconds if more else self.settings.poll_seconds
            await _stopped(stop, wait)
        await self.drain()

    def _backoff(self, failures: int) -> float:
        """Doubling waits after consecutive failures, capped at ten times the first."""
        first = self.settings.error_backoff_seconds
        return float(min(first * 2 ** (failures - 1), 10 * first))

    # -- push mode -----------------------------------------------------------------------------

    def event_handler(self) -> Handler:
        """The aiohttp handler for pushed events (mount it at ``settings.event_path``)."""
        expected = self.settings.application_token

        async def handle(request: web.Request) -> web.StreamResponse:
            if request.content_length is not None and request.content_length > MAX_PUSH_BYTES:
                return web.Response(status=413)
            try:
                form = await request.post()
            except ValueError:
                form = None
            payload = parse_form((k, v) for k, v in (form or {}).items() if isinstance(v, str))
            token = application_token(payload)
            if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
                # Who sent it, not what: a forged payload may carry anything.
                log.warning(
                    "Bitrix24: rejected an event push from %s: %s application_token",
                    request.remote,
                    "no" if not token else "wrong",
                )
                return web.Response(status=401, text="unauthorized")
            data = payload.get("data")
            event = read_event(
                str(payload.get("event") or ""), data if isinstance(data, Mapping) else {}
            )
            if event is not None:
                # The portal throttles slow handlers: answer in the background, reply now.
                self._spawn(self.respond(event))
            return web.Response(text="OK")

        return handle

    def web_app(self) -> web.Application:
        """A small aiohttp app with only the event endpoint (when nothing else serves it)."""
        app = web.Application(client_max_size=MAX_PUSH_BYTES)
        app.router.add_post(self.settings.event_path, self.event_handler())
        return app

    def _spawn(self, work: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for answers still being made (at shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- answering -----------------------------------------------------------------------------

    async def handle_raw(self, event_type: str, data: Any) -> Sent | None:
        event = read_event(event_type, data if isinstance(data, Mapping) else {})
        if event is None:
            return None
        return await self.respond(event)

    async def respond(self, event: ChatEvent) -> Sent | None:
        """Answer one event; a failure is logged and told to the asker, never raised."""
        bot = self.identity
        if bot is not None and event.user_id == bot.id:
            return None  # our own message, echoed back
        try:
            reply = await asyncio.to_thread(answer, self.deps, event, self.deps.clock())
            if reply is None:
                return None
            return await self.post(event.dialog_id, reply)
        except Exception:
            log.exception("Bitrix24: answering %s in %s failed", event.command, event.dialog_id)
            with contextlib.suppress(BitrixError):
                await self.messenger.send_text(event.dialog_id, texts.say(texts.FAILED))
            return None
        finally:
            self.answered += 1

    async def post(self, dialog_id: str, reply: Reply) -> Sent:
        messenger = self.messenger
        # Buttons call the bot's commands: without a bot they could do nothing.
        keyboard = reply.keyboard if messenger.bot is not None else None
        if reply.report is not None:
            return await messenger.send_report(dialog_id, reply.report, keyboard=keyboard)
        if reply.file is not None:
            name, content = reply.file
            sent = await messenger.send_file(dialog_id, name, content, message=reply.text or None)
            if sent.uploaded:
                return sent
            return Sent(await messenger.send_text(dialog_id, texts.say(texts.EXPORT_FAILED)))
        return Sent(await messenger.send_text(dialog_id, reply.text, keyboard=keyboard))


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; whether it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def run_bitrix_bot(
    deps: BitrixDeps, stop_event: asyncio.Event, *, bot: BitrixBot | None = None
) -> None:
    """What ``crm-pulse run`` starts: the bot until ``stop_event`` is set. Push mode needs
    ``bot.event_handler()`` mounted on the app's web server (or ``bot.web_app()``)."""
    if not deps.settings.enabled:
        await stop_event.wait()
        return
    await (bot or BitrixBot(deps)).run(stop_event)
