"""Bot events pushed to handler URLs, as the portal's event queue would POST them.

``ChatState`` calls ``Pusher.listen`` for each new event; events of bots with a handler URL
(v1 handlers, v2 ``eventMode: webhook``) are POSTed as a form body carrying
``auth[application_token]``. Each outcome is kept in ``chat.deliveries``; there is no retry,
as on the portal.
"""

from __future__ import annotations

import asyncio
import threading

import aiohttp

from emulator.chat import Bot, BotEvent, ChatState

PUSH_TIMEOUT = aiohttp.ClientTimeout(total=10)


class Pusher:
    def __init__(self, chat: ChatState) -> None:
        self.chat = chat
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=PUSH_TIMEOUT)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.chat.listeners.append(self.listen)

    async def close(self) -> None:
        if self.listen in self.chat.listeners:
            self.chat.listeners.remove(self.listen)
        await self.drain()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def listen(self, bot: Bot, event: BotEvent) -> None:
        url = bot.handler_for(event.type)
        loop = self._loop
        if url is None or loop is None:
            return
        pairs = self.chat.push_payload(bot, event)
        if threading.get_ident() == self._thread:
            self._spawn(url, pairs, event.type)
        else:  # a test thread or the CLI: hand the push to the server's loop
            loop.call_soon_threadsafe(self._spawn, url, pairs, event.type)

    def _spawn(self, url: str, pairs: list[tuple[str, str]], kind: str) -> None:
        task = asyncio.get_running_loop().create_task(self._post(url, pairs, kind))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, pairs: list[tuple[str, str]], kind: str) -> None:
        if self._session is None:
            return
        try:
            async with self._session.post(url, data=pairs) as response:
                await response.read()
                outcome = str(response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
        self.chat.deliveries.append((url, kind, outcome))

    async def drain(self) -> None:
        """Wait for every push started so far (and any they started)."""
        await asyncio.sleep(0)  # let call_soon_threadsafe callbacks create their tasks
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
