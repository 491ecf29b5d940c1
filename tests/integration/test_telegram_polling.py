"""A real aiogram Bot polling the fake Bot API server on 127.0.0.1, with the real reports.

Every request the bot makes on the wire is checked against the Bot API schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher
from sqlalchemy.engine import Engine

from bot.telegram.app import bot_session, build_dispatcher, run_polling
from bot.telegram.deps import TelegramDeps
from reports.build import build_report, report_xlsx
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import HEAD, NOW, PEOPLE, STRANGER, bot_settings, write_world
from tests.fakes.botapi import TOKEN, Call, FakeTelegram, serve_botapi
from tests.kpi_data import make_settings


async def _notify(user_id: int, text: str) -> None:
    raise AssertionError("no link codes in this test")


@asynccontextmanager
async def polling(engine: Engine) -> AsyncIterator[tuple[FakeTelegram, Dispatcher]]:
    async with serve_botapi() as fake:
        settings = bot_settings(api_base=fake.base_url)
        bot = Bot(TOKEN, session=bot_session(settings))
        deps = TelegramDeps(
            settings=settings,
            kpi=make_settings(),
            engine=engine,
            build_report=build_report,
            report_xlsx=report_xlsx,
            notify=_notify,
            clock=lambda: NOW,
        )
        dp = build_dispatcher(deps)
        task = asyncio.create_task(run_polling(bot, dp))
        try:
            yield fake, dp
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(task, 10)


def to(chat_id: int, *methods: str) -> Callable[[Call], bool]:
    return lambda c: c.method in methods and c.params.get("chat_id") == chat_id


async def test_a_linked_head_gets_the_rating_and_a_stranger_no_figures(
    sqlite_engine: Engine,
) -> None:
    write_world(sqlite_engine)
    async with polling(sqlite_engine) as (fake, _):
        fake.add_update(tg.message("/rating", sender=PEOPLE[HEAD]))
        fake.add_update(tg.message("/rating", sender=PEOPLE[STRANGER]))
        photo = await fake.wait_for(to(HEAD, "sendPhoto"), within=30)
        refusal = await fake.wait_for(to(STRANGER, "sendMessage"), within=30)
    (png,) = photo.files.values()
    assert png.startswith(b"\x89PNG")
    assert "Boris Petrov" in photo.params["caption"]
    assert "/link" in refusal.params["text"]
    to_stranger: list[Call] = [c for c in fake.calls if c.params.get("chat_id") == STRANGER]
    assert [c.method for c in to_stranger] == ["sendMessage"]
    assert "Boris" not in refusal.params["text"]
    methods = [c.method for c in fake.calls]
    assert methods.count("setMyCommands") == 3  # ru, en and the default
    assert "deleteWebhook" in methods and "getUpdates" in methods
    languages = [c.params.get("language_code") for c in fake.requests("setMyCommands")]
    assert languages == ["ru", "en", None]
    assert fake.errors == []
