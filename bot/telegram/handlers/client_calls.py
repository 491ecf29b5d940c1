"""/calls клиент NAME [period] in Telegram: calls and talk time with a client, as text."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message
from sqlmodel import Session

from bot import client_calls
from bot.access import Viewer
from bot.telegram.deps import TelegramDeps
from bot.telegram.filters import KnownViewer


class ClientCallsCommand(Filter):
    """/calls with "клиент" first; every other /calls stays the calls report."""

    async def __call__(self, message: Message, command: CommandObject) -> bool:
        return client_calls.is_client_query(command.args or "")


async def cmd_client_calls(
    message: Message,
    *,
    command: CommandObject,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    text = await asyncio.to_thread(
        client_calls.answer, session, deps.kpi, viewer, command.args or "", deps.clock()
    )
    await message.answer(text)  # plain text: client names are shown as they are


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(KnownViewer())
    router.message.register(cmd_client_calls, Command("calls"), ClientCallsCommand())
    return router
