"""``crm-pulse post JOB``: run one scheduled job now (an admin trying the setup)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiogram import Bot

from app.cmd_sync import open_store
from app.config import load_config, speak
from app.logs import setup_logging
from app.runtime import bitrix_messenger, bot_settings, job_deps
from app.senders import ChatSender
from app.wiring import bitrix_client, http_client
from bot.telegram.app import bot_session
from bot.telegram.messenger import TelegramMessenger
from jobs.runner import JobError, run_job


async def post(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    speak(config)
    setup_logging(config.logging.level)
    engine = open_store(config)
    token = config.telegram.token.get_secret_value()
    telegram_bot = Bot(token, session=bot_session(bot_settings(config))) if token else None
    try:
        async with http_client(config) as http:
            bitrix = bitrix_messenger(config, bitrix_client(config, http))
            telegram = TelegramMessenger(telegram_bot, engine) if telegram_bot else None
            deps = job_deps(config, engine, ChatSender(telegram, bitrix))
            result = await run_job(args.job, deps, force=args.force, now=deps.clock())
    except JobError as exc:
        print(f"crm-pulse: {exc}", file=sys.stderr)
        return 2
    finally:
        if telegram_bot is not None:
            await telegram_bot.session.close()
        engine.dispose()
    print(result.summary())
    return 0 if result.ok else 1


def run(args: argparse.Namespace) -> int:
    return asyncio.run(post(args))
