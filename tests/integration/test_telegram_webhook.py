"""Webhook mode: the aiohttp app registers itself with the secret and refuses posts without it."""

from __future__ import annotations

import aiohttp
from aiogram import Bot
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.settings import WebhookSettings
from bot.telegram.app import bot_session, build_dispatcher, build_webhook_app
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import EMPLOYEE, PEOPLE, bot_settings, make_world, write_world
from tests.fakes.botapi import TOKEN, serve_botapi

SECRET = "s3cret-token_1"


async def test_updates_need_the_secret_token(sqlite_engine: Engine) -> None:
    write_world(sqlite_engine)
    async with serve_botapi() as fake:
        webhook = WebhookSettings(url="https://bot.example.com/tg", secret=SECRET, path="/tg")
        settings = bot_settings(api_base=fake.base_url, mode="webhook", webhook=webhook)
        world = make_world(sqlite_engine, settings=settings)
        bot = Bot(TOKEN, session=bot_session(settings))
        app = build_webhook_app(bot, build_dispatcher(world.deps), webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
        update = tg.message("/help", sender=PEOPLE[EMPLOYEE])
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=update) as response:
                    assert response.status == 401
                wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
                async with http.post(url, json=update, headers=wrong) as response:
                    assert response.status == 401
                right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                async with http.post(url, json=update, headers=right) as response:
                    assert response.status == 200
            answer = await fake.wait_for(lambda c: c.method == "sendMessage")
        finally:
            await runner.cleanup()
    assert answer.params["chat_id"] == EMPLOYEE
    assert len(fake.requests("sendMessage")) == 1  # the refused posts reached nobody
    (registered,) = fake.requests("setWebhook")
    assert registered.params["url"] == "https://bot.example.com/tg"
    assert registered.params["secret_token"] == SECRET
    assert set(registered.params["allowed_updates"]) >= {"message", "callback_query"}
    assert len(fake.requests("setMyCommands")) == 3
    assert fake.errors == []
