"""Telegram for `crm-pulse init`: the token (getMe) and the team chat found by getUpdates.

The user adds the bot to the team's group and sends /start there; the first group message
(or the bot being added) tells us the chat's id and title. Nothing is sent to the chat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, Update, User

_GROUPS = frozenset({"group", "supergroup", "channel"})


@dataclass(frozen=True)
class FoundChat:
    chat_id: int
    title: str
    topic_id: int | None
    sender: User | None  # who sent /start there (None: the bot was added, nothing said)

    @property
    def config_value(self) -> str:
        return f"{self.chat_id}:{self.topic_id}" if self.topic_id else str(self.chat_id)


def make_bot(token: str, api_base: str | None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    return Bot(token, session=session) if session else Bot(token)


def _from_update(update: Update) -> FoundChat | None:
    message = update.message or update.channel_post
    if message is not None and message.chat.type in _GROUPS:
        text = (message.text or "").strip()
        if text.startswith("/start") or message.new_chat_members:
            topic = message.message_thread_id if message.is_topic_message else None
            return _found(message.chat, topic, message.from_user)
    change = update.my_chat_member
    if change is not None and change.chat.type in _GROUPS:
        status = str(getattr(change.new_chat_member.status, "value", ""))
        if status in ("member", "administrator"):
            return _found(change.chat, None, None)
    return None


def _found(chat: Chat, topic: int | None, sender: User | None) -> FoundChat:
    return FoundChat(chat.id, chat.title or chat.username or str(chat.id), topic, sender)


async def wait_for_team_chat(bot: Bot, *, within: float) -> FoundChat | None:
    """The newest group the bot was started in, waiting up to ``within`` seconds.

    Updates read are confirmed (offset), so `crm-pulse run` does not answer them again.
    TelegramConflictError (a webhook is set) and other API errors reach the caller.
    """
    deadline = time.monotonic() + within
    offset: int | None = None
    found: FoundChat | None = None
    while True:
        left = deadline - time.monotonic()
        updates = await bot.get_updates(
            offset=offset,
            timeout=max(0, min(10, int(left))),
            allowed_updates=["message", "channel_post", "my_chat_member"],
        )
        for update in updates:
            offset = update.update_id + 1
            found = _from_update(update) or found
        if found is not None or time.monotonic() >= deadline:
            if offset is not None:
                await bot.get_updates(offset=offset, timeout=0)
            return found


__all__ = ["FoundChat", "TelegramAPIError", "make_bot", "wait_for_team_chat"]
