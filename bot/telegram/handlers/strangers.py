"""What everyone else gets: people we do not know learn how to link, and nothing more."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.access import Viewer
from bot.reporting import REPORT_NAMES
from bot.telegram.deps import TelegramDeps
from bot.telegram.handlers.start import stranger_text
from bot.telegram.present import reply
from bot.telegram.texts import personal, raw


async def cmd_from_stranger(message: Message, deps: TelegramDeps) -> None:
    await reply(message, stranger_text(deps))


async def button_from_stranger(callback: CallbackQuery) -> None:
    with personal(callback.from_user):
        text = raw("stranger_button")
    await callback.answer(text, show_alert=True)


async def private_text(message: Message, viewer: Viewer, deps: TelegramDeps) -> None:
    """Anything else said in private: a pointer to /help, or to /link for strangers."""
    if viewer.known:
        await reply(message, raw("unknown_text"))
    else:
        await reply(message, stranger_text(deps))


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_from_stranger, Command(*REPORT_NAMES, "export"))
    router.callback_query.register(button_from_stranger)
    router.message.register(private_text, F.chat.type == ChatType.PRIVATE, F.text)
    return router
