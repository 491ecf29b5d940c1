"""The bot's own membership: a chat that blocks or removes it is marked, and unmarked on return."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated
from sqlmodel import Session

from bot.telegram.blocked import mark_blocked, unmark_blocked
from bot.telegram.deps import TelegramDeps

log = logging.getLogger(__name__)
_GONE = frozenset({ChatMemberStatus.KICKED, ChatMemberStatus.LEFT})


async def on_my_membership(event: ChatMemberUpdated, deps: TelegramDeps, session: Session) -> None:
    chat_id = event.chat.id
    if event.new_chat_member.status in _GONE:
        log.info("chat %s removed or blocked the bot", chat_id)
        await asyncio.to_thread(mark_blocked, session, chat_id, "left the chat", deps.clock())
    elif await asyncio.to_thread(unmark_blocked, session, chat_id):
        log.info("chat %s took the bot back", chat_id)


def make_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(on_my_membership)
    return router
