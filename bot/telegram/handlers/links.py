"""/tv and /dashboard: a personal link to the office TV or the web dashboard."""

from __future__ import annotations

import asyncio
import html
import logging

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlmodel import Session

from bot.access import Viewer
from bot.telegram.deps import TelegramDeps
from bot.telegram.filters import KnownViewer
from bot.telegram.present import reply
from bot.weblinks import COMMANDS, WebKind, answer_text, web_link

log = logging.getLogger(__name__)


async def cmd_web_link(
    message: Message,
    *,
    command: CommandObject,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    kind: WebKind = "tv" if command.command.lower() == "tv" else "dashboard"
    who = message.from_user.id if message.from_user else 0
    answer = await asyncio.to_thread(
        web_link,
        session,
        deps.kpi,
        viewer,
        kind,
        command.args or "",
        private=message.chat.type == ChatType.PRIVATE,
        base_url=deps.web_url,
        now=deps.clock(),
        created_by=f"telegram:{who}",
    )
    log.info("/%s for telegram %s: %s", kind, who, answer.outcome.value)
    await reply(message, answer_text(answer, kind, deps.kpi.tz, html.escape))


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(KnownViewer())
    router.message.register(cmd_web_link, Command(*COMMANDS))
    return router
