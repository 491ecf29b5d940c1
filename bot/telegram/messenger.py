"""Scheduled posts to Telegram: team chats, forum topics, private chats.

Each post is the chart with its caption; if the photo is refused, the text goes out
instead. A 429 is waited out as Telegram asks (``retry_after``), a bounded number of
times. A chat that has blocked or removed the bot is marked in the store and skipped
from then on (until it takes the bot back, see ``handlers.membership``); a group that
became a supergroup is followed to its new id once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message
from sqlalchemy.engine import Engine

from bot.args import Target
from bot.reporting import REPORT_NAMES, ReportLike
from bot.settings import TeamChat
from bot.telegram.blocked import is_blocked, mark_blocked
from bot.telegram.keyboards import report_keyboard
from bot.telegram.present import NO_PREVIEW, PHOTO_FAILURES
from store.db import session_scope

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
# Telegram's answers that mean "this chat is gone for the bot", beside the 403s.
_GONE = ("chat not found", "bot was kicked", "group chat was deactivated", "user is deactivated")


@dataclass(frozen=True)
class Delivery:
    """What happened to one post."""

    chat: TeamChat
    message_id: int | None = None  # None: nothing was posted
    as_text: bool = False  # the chart was refused and the text went instead
    skipped: bool = False  # the chat is marked blocked
    error: str | None = None


class _Gone(Exception):
    """The chat refused the bot; it is marked blocked."""


class TelegramMessenger:
    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        retries: int = 3,
        max_wait: float = 120.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._bot = bot
        self._engine = engine
        self._retries = retries
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock

    async def post_report(
        self, chat: TeamChat, report: ReportLike, *, buttons: bool = True
    ) -> Delivery:
        """The report's chart and caption (or its text) to a chat or forum topic.

        With ``buttons``, the period switch and drill-down buttons of a command's answer
        come along; whoever presses them is checked like anyone asking.
        """
        markup = report_markup(report) if buttons else None
        return await self._deliver(chat, lambda target: self._report(target, report, markup))

    async def post_text(self, chat: TeamChat, text_html: str) -> Delivery:
        """A text message (an alert, a digest) to a chat, a topic or a person."""
        return await self._deliver(chat, lambda target: self._text(target, text_html, None))

    async def _deliver(
        self, chat: TeamChat, send: Callable[[TeamChat], Awaitable[tuple[Message, bool]]]
    ) -> Delivery:
        if await asyncio.to_thread(self._blocked, chat.chat_id):
            log.info("chat %s is marked blocked; post skipped", chat.chat_id)
            return Delivery(chat, skipped=True)
        target = chat
        try:
            try:
                message, as_text = await send(target)
            except TelegramMigrateToChat as exc:
                log.warning(
                    "chat %s is now %s; update telegram.team_chats",
                    chat.chat_id,
                    exc.migrate_to_chat_id,
                )
                target = TeamChat(exc.migrate_to_chat_id, chat.topic_id)
                message, as_text = await send(target)
        except _Gone as exc:
            return Delivery(chat, error=str(exc))
        except TelegramAPIError as exc:
            log.warning("post to chat %s failed: %s", target.chat_id, exc)
            return Delivery(chat, error=str(exc))
        return Delivery(chat, message.message_id, as_text=as_text)

    async def _report(
        self, chat: TeamChat, report: ReportLike, markup: InlineKeyboardMarkup | None
    ) -> tuple[Message, bool]:
        if report.png:
            photo = BufferedInputFile(report.png, filename=f"{report.name}.png")
            try:
                sent = await self._call(
                    chat,
                    lambda: self._bot.send_photo(
                        chat.chat_id,
                        photo,
                        caption=report.caption_html,
                        parse_mode=ParseMode.HTML,
                        message_thread_id=chat.topic_id,
                        reply_markup=markup,
                    ),
                )
                return sent, False
            except PHOTO_FAILURES as exc:
                log.warning("chart to chat %s refused (%s); sending the text", chat.chat_id, exc)
        message, _ = await self._text(chat, report.text_html, markup)
        return message, bool(report.png)

    async def _text(
        self, chat: TeamChat, text_html: str, markup: InlineKeyboardMarkup | None
    ) -> tuple[Message, bool]:
        sent = await self._call(
            chat,
            lambda: self._bot.send_message(
                chat.chat_id,
                text_html,
                parse_mode=ParseMode.HTML,
                message_thread_id=chat.topic_id,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            ),
        )
        return sent, True

    async def _call(self, chat: TeamChat, request: Callable[[], Awaitable[Message]]) -> Message:
        """One request, waiting out 429s as told; a chat that refused us is marked."""
        for attempt in range(self._retries + 1):
            try:
                return await request()
            except TelegramRetryAfter as exc:
                if attempt == self._retries or exc.retry_after > self._max_wait:
                    raise
                log.info("chat %s: flood control, waiting %s s", chat.chat_id, exc.retry_after)
                await self._sleep(exc.retry_after)
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                if not _gone(exc):
                    raise
                log.warning("chat %s refused the bot (%s); marking it", chat.chat_id, exc.message)
                await asyncio.to_thread(self._mark, chat.chat_id, exc.message)
                raise _Gone(exc.message) from exc
        raise AssertionError("unreachable: the loop returns or raises")

    def _blocked(self, chat_id: int) -> bool:
        with session_scope(self._engine) as session:
            return is_blocked(session, chat_id)

    def _mark(self, chat_id: int, reason: str) -> None:
        with session_scope(self._engine) as session:
            mark_blocked(session, chat_id, reason, self._clock())


def report_markup(report: ReportLike) -> InlineKeyboardMarkup | None:
    """The buttons of a report built for a schedule; None for a report no command makes."""
    if report.name not in REPORT_NAMES:
        return None
    scope = report.meta.scope
    target = Target(scope.kind, scope.id, scope.name)
    counts = {name: len(items) for name, items in report.lists.items()}
    return report_keyboard(report.name, report.meta.period, target, counts)


def _gone(exc: Exception) -> bool:
    if isinstance(exc, TelegramForbiddenError):
        return True
    return isinstance(exc, TelegramBadRequest) and any(
        phrase in exc.message.lower() for phrase in _GONE
    )
