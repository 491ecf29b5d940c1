"""A fake Telegram Bot API: records every request, checks it against the schema, answers.

Two ways in:
- ``serve_botapi()``: an aiohttp server on 127.0.0.1 for a real ``Bot`` pointed at it
  (``TelegramAPIServer.from_base(fake.base_url)``); updates queued with ``add_update``
  come out of getUpdates, so a real dispatcher can poll it;
- ``RecordingSession(fake)``: an aiogram session that hands requests to the same fake
  in-process (aiogram's own tests/mocked_bot.py idea), for tests that feed updates
  straight into a dispatcher.

A request the schema refuses gets Telegram's 400 and is listed in ``fake.errors``;
``fake.fail(...)`` makes the next calls of a method fail as Telegram would (429 with
retry_after, 403, 400), to test what the bot does then.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiohttp import web

from tests.fakes.botapi_core import TOKEN, Call, FakeTelegram, error_body

__all__ = ["TOKEN", "Call", "FakeTelegram", "RecordingSession", "serve_botapi"]

if TYPE_CHECKING:
    from aiogram import Bot


class RecordingSession(BaseSession):
    """An aiogram session that answers from a ``FakeTelegram`` instead of the network."""

    def __init__(self, fake: FakeTelegram) -> None:
        super().__init__()
        self.fake = fake

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109  (aiogram's signature)
    ) -> Any:
        fields: dict[str, Any] = {}
        uploads: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=uploads)
            if prepared:
                fields[key] = prepared
        files = {key: b"".join([c async for c in item.read(bot)]) for key, item in uploads.items()}
        status, body = await self.fake.handle(method.__api_method__, fields, files)
        response = self.check_response(bot, method, status, json.dumps(body))
        return response.result

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109  (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""


@asynccontextmanager
async def serve_botapi(fake: FakeTelegram | None = None) -> AsyncIterator[FakeTelegram]:
    """The fake on a free port of 127.0.0.1; ``fake.base_url`` is its address."""
    fake = fake or FakeTelegram()

    async def endpoint(request: web.Request) -> web.Response:
        if request.match_info["token"] != fake.token:
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        fields, files = await _read_request(request)
        status, body = await fake.handle(request.match_info["method"], fields, files)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", endpoint)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        fake.close()
        await runner.cleanup()


async def _read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    fields: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        fields.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                fields[key] = value
    return fields, files
