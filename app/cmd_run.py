"""``crm-pulse run``: the schedule, both chat front ends and the web listener, until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiogram import Bot, Dispatcher
from aiohttp import web
from sqlalchemy.engine import Engine

from app.cmd_sync import open_store
from app.config import Config, load_config, speak
from app.logs import setup_logging
from app.runtime import bitrix_messenger, bot_settings, job_deps
from app.senders import ChatSender
from app.settings import bitrix_chat_settings, contest_rules, kpi_settings
from app.supervise import FrontEndFatal, supervised
from app.web_pages import page_routes, public_base
from app.web_wiring import (
    after_events,
    build_listener,
    counted_sync,
    listener_address,
    offline_notice_url,
    process_metrics,
)
from app.wiring import bitrix_client, http_client, offline_options
from bot.bitrix.botapp import BitrixBot, run_bitrix_bot
from bot.bitrix.commands import BitrixDeps
from bot.bitrix.messenger import BitrixMessenger
from bot.telegram.app import bot_session, build_dispatcher, build_webhook_app, run_polling
from bot.telegram.deps import TelegramDeps
from bot.telegram.messenger import TelegramMessenger
from crm.client import BitrixClient
from crm.intake import EventIntake
from crm.offline import drain_forever
from crm.sync.apply import ApplyReport
from jobs.deps import JobDeps
from jobs.live_missed import tell_after_sync, tell_missed_calls
from jobs.schedule import build_scheduler
from reports.build import build_report, report_xlsx
from web.server import ListenError, bound_port, start

log = logging.getLogger("app.run")


async def serve(config: Config) -> int:
    engine = open_store(config)
    people = bot_settings(config)
    stop = _stop_on_signals()
    tasks: list[asyncio.Task[Any]] = []

    def start_task(name: str, work: Coroutine[Any, Any, Any]) -> None:
        tasks.append(asyncio.create_task(work, name=name))

    async with http_client(config) as http:
        client = bitrix_client(config, http, engine)  # app mode keeps its tokens in the store
        metrics = process_metrics(engine, lambda: client.requests)
        bitrix = bitrix_messenger(config, client)
        # /link codes go to the user's Bitrix24 notifications even without the chat bot.
        notifier = bitrix or BitrixMessenger(client)
        tg = _telegram(config, engine, notifier)
        telegram = tg[2] if tg is not None else None
        telegram_bot = tg[0] if tg is not None else None
        deps = job_deps(config, engine, ChatSender(telegram, bitrix), client)
        deps.sync = counted_sync(deps.sync, metrics)
        applied = after_events(metrics, told(deps))
        intake, wake = _live_data(
            config, engine, client, applied=applied, stop=stop, start_task=start_task
        )
        pages = page_routes(config, engine)
        listener = build_listener(config, engine, metrics, intake, pages, notice=wake.set)
        if tg is not None:
            if people.webhook is None:
                # Telegram unreachable: retried with backoff; a rejected token: exit 1.
                bot, dp = tg[0], tg[1]
                polling = supervised(
                    "Telegram polling",
                    lambda: run_polling(bot, dp),
                    stop,
                    secrets=[config.telegram.token.get_secret_value()],
                )
                start_task("telegram polling", polling)
            else:
                build_webhook_app(tg[0], tg[1], people.webhook, listener)
        if bitrix is not None:
            start_task(
                "bitrix24 bot",
                supervised(
                    "Bitrix24 bot",
                    _bitrix_bot(config, engine, listener, stop=stop, bitrix=bitrix, client=client),
                    stop,
                ),
            )
        # Live alerts count from the first run on a store: mark it before any event can come.
        await tell_after_sync(deps)
        host, port = listener_address(config)
        try:
            runner = await start(listener, host, port)
        except ListenError as exc:
            log.error("%s", exc)
            return 2
        log.info("listening on http://%s:%s", host, bound_port(runner))
        scheduler = build_scheduler(deps)
        await scheduler.start()
        live = [
            w
            for w, on in (("portal events", intake), ("offline queue", config.events.offline))
            if on
        ]
        _say_running(telegram, bitrix, len(scheduler.jobs()), live=live)
        failed = await _until(stop, tasks)
        log.info("stopping")
        await scheduler.stop()
        await _cancel(tasks)
        await runner.cleanup()
        if telegram_bot is not None:
            await telegram_bot.session.close()
    engine.dispose()
    return 1 if failed else 0


def _live_data(
    config: Config,
    engine: Engine,
    client: BitrixClient,
    *,
    applied: Callable[[ApplyReport, float], Awaitable[None]],
    stop: asyncio.Event,
    start_task: Callable[[str, Coroutine[Any, Any, Any]], None],
) -> tuple[EventIntake | None, asyncio.Event]:
    """Portal events pushed to the listener, and the offline queue drained (app mode)."""
    intake = None
    if config.events.enabled:
        intake = EventIntake(client, engine, tz=config.portal.zone, on_applied=applied)
        start_task("portal events", intake.run())
    wake = asyncio.Event()  # set by the listener on ONOFFLINEEVENT
    if config.events.offline:
        drain = drain_forever(
            client,
            engine,
            offline_options(config),
            stop,
            applied,
            wake=wake,
            notice_url=offline_notice_url(config),
        )
        start_task("offline events", drain)
    return intake, wake


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _say_running(telegram: object, bitrix: object, jobs: int, *, live: list[str]) -> None:
    fronts = [f for f, on in (("Telegram", telegram), ("Bitrix24 chat", bitrix)) if on]
    log.info(
        "running: %s; %d scheduled jobs; live data: %s",
        " and ".join(fronts) or "no chat front end (schedule only)",
        jobs,
        " and ".join(live) or "polling only",
    )


def told(deps: JobDeps) -> Callable[[], Awaitable[list[float]]]:
    """Missed calls the events brought, told to their people: the latency of each message."""

    async def tell() -> list[float]:
        report = await tell_missed_calls(deps)
        return report.latencies()

    return tell


def _telegram(
    config: Config, engine: Engine, notifier: BitrixMessenger
) -> tuple[Bot, Dispatcher, TelegramMessenger] | None:
    token = config.telegram.token.get_secret_value()
    if not token:
        return None
    people = bot_settings(config)
    bot = Bot(token, session=bot_session(people))
    dp = build_dispatcher(
        TelegramDeps(
            people,
            kpi_settings(config),
            engine,
            build_report,
            report_xlsx,
            notifier.notify,
            contests=contest_rules(config),
            web_url=public_base(config),
        )
    )
    return bot, dp, TelegramMessenger(bot, engine)


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _bitrix_bot(
    config: Config,
    engine: Engine,
    listener: web.Application,
    *,
    stop: asyncio.Event,
    bitrix: BitrixMessenger,
    client: BitrixClient,
) -> Callable[[], Coroutine[Any, Any, None]]:
    """The Bitrix24 chat bot, started again by each call (``supervised`` restarts it); in
    push mode its events come to the listener."""
    deps = BitrixDeps(
        bitrix_chat_settings(config),
        bot_settings(config),
        kpi_settings(config),
        engine,
        client,
        build_report,
        report_xlsx,
        contests=contest_rules(config),
        web_url=public_base(config),
    )
    bot = BitrixBot(deps, bitrix)
    if deps.settings.event_mode == "push":
        listener.router.add_post(deps.settings.event_path, bot.event_handler())
    return lambda: run_bitrix_bot(deps, stop, bot=bot)


async def _until(stop: asyncio.Event, tasks: list[asyncio.Task[Any]]) -> bool:
    """Wait for a stop signal; a front end that dies takes the process down with it."""
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    failed = False
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception() is not None:
            error = task.exception()
            if isinstance(error, FrontEndFatal):
                log.error("%s stopped: %s", task.get_name(), error.reason)  # said once, no trace
            else:
                log.error("%s stopped", task.get_name(), exc_info=error)
            failed = True
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
    return failed


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    speak(config)
    setup_logging(config.logging.level)
    return asyncio.run(serve(config))
