"""``crm-pulse run``: the scheduler and both chat front ends in one process, until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot
from aiohttp import web

from app.cmd_sync import open_store
from app.config import Config, load_config
from app.logs import setup_logging
from app.runtime import bitrix_messenger, bot_settings, job_deps
from app.senders import ChatSender
from app.settings import bitrix_chat_settings, kpi_settings
from app.wiring import bitrix_client, http_client
from bot.bitrix.botapp import BitrixBot, run_bitrix_bot
from bot.bitrix.commands import BitrixDeps
from bot.bitrix.messenger import BitrixMessenger
from bot.telegram.app import bot_session, build_dispatcher, build_webhook_app, run_polling
from bot.telegram.deps import TelegramDeps
from bot.telegram.messenger import TelegramMessenger
from jobs.schedule import build_scheduler
from reports.build import build_report, report_xlsx

log = logging.getLogger("app.run")


async def serve(config: Config) -> None:
    engine = open_store(config)
    kpi = kpi_settings(config)
    people = bot_settings(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task[Any]] = []
    web_app: web.Application | None = None
    telegram_bot: Bot | None = None

    def start(name: str, work: Coroutine[Any, Any, Any]) -> None:
        tasks.append(asyncio.create_task(work, name=name))

    async with http_client(config) as http:
        client = bitrix_client(config, http)
        bitrix = bitrix_messenger(config, client)
        # /link codes go to the user's Bitrix24 notifications even without the chat bot.
        notifier = bitrix or BitrixMessenger(client)
        telegram: TelegramMessenger | None = None
        token = config.telegram.token.get_secret_value()
        if token:
            telegram_bot = Bot(token, session=bot_session(people))
            dp = build_dispatcher(
                TelegramDeps(people, kpi, engine, build_report, report_xlsx, notifier.notify)
            )
            telegram = TelegramMessenger(telegram_bot, engine)
            if people.webhook is None:
                start("telegram polling", run_polling(telegram_bot, dp))
            else:
                web_app = build_webhook_app(telegram_bot, dp, people.webhook)
        if bitrix is not None:
            chat = bitrix_chat_settings(config)
            deps = BitrixDeps(chat, people, kpi, engine, client, build_report, report_xlsx)
            bitrix_bot = BitrixBot(deps, bitrix)
            if chat.event_mode == "push":
                web_app = web_app or web.Application()
                web_app.router.add_post(chat.event_path, bitrix_bot.event_handler())
            start("bitrix24 bot", run_bitrix_bot(deps, stop, bot=bitrix_bot))
        runner = await _serve_web(web_app, config)
        scheduler = build_scheduler(job_deps(config, engine, ChatSender(telegram, bitrix)))
        await scheduler.start()
        fronts = [f for f, on in (("Telegram", telegram), ("Bitrix24 chat", bitrix)) if on]
        log.info(
            "running: %s; %d scheduled jobs",
            " and ".join(fronts) or "no chat front end (schedule only)",
            len(scheduler.jobs()),
        )
        await _until(stop, tasks)
        log.info("stopping")
        await scheduler.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        if telegram_bot is not None:
            await telegram_bot.session.close()
    engine.dispose()


async def _serve_web(app: web.Application | None, config: Config) -> web.AppRunner | None:
    if app is None:
        return None
    runner = web.AppRunner(app, access_log=None)  # access lines could carry tokens
    await runner.setup()
    site = web.TCPSite(runner, config.telegram.listen_host, config.telegram.listen_port)
    await site.start()
    return runner


async def _until(stop: asyncio.Event, tasks: list[asyncio.Task[Any]]) -> None:
    """Wait for a stop signal; a front end that dies takes the process down with it."""
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception() is not None:
            log.error("%s stopped", task.get_name(), exc_info=task.exception())
    with contextlib.suppress(asyncio.CancelledError):
        await waiter


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging(config.logging.level)
    asyncio.run(serve(config))
    return 0
