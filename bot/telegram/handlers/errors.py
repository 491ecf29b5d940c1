"""Errors surface here: bad input gets a clear reply; anything else is logged with its
traceback, reported to the admin chat (once per kind per hour), and the asker is told."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta

from aiogram import Bot, Router
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message

from bot.telegram.deps import TelegramDeps
from bot.telegram.texts import raw, say
from kpi.periods import PeriodError
from kpi.scope import ScopeError
from locales import use

log = logging.getLogger(__name__)


class ErrorReporter:
    """Tells the admin chat about unexpected errors, at most once per kind per ``every``."""

    def __init__(self, chat_id: int | None, every: timedelta = timedelta(hours=1)) -> None:
        self._chat_id = chat_id
        self._every = every
        self._last: dict[str, datetime] = {}

    async def report(self, bot: Bot, exc: BaseException, now: datetime) -> None:
        kind = type(exc).__name__
        last = self._last.get(kind)
        if self._chat_id is None or (last is not None and now - last < self._every):
            return
        self._last[kind] = now
        text = f"crm-pulse: <code>{html.escape(kind)}</code>: {html.escape(str(exc))[:500]}"
        try:
            await bot.send_message(self._chat_id, text, parse_mode=ParseMode.HTML)
        except TelegramAPIError:
            log.warning("could not report the error to the admin chat %s", self._chat_id)


async def on_bad_input(event: ErrorEvent, bot: Bot, lang: str | None = None) -> None:
    """``lang``: the language the update was handled in (errors arrive outside of it)."""
    with use(lang):
        text = say("bad_input", message=str(event.exception))
    await _tell(event, bot, text)


async def on_unexpected(
    event: ErrorEvent,
    bot: Bot,
    deps: TelegramDeps,
    error_reporter: ErrorReporter,
    lang: str | None = None,
) -> None:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    await error_reporter.report(bot, event.exception, deps.clock())
    with use(lang):
        text = raw("error")
    await _tell(event, bot, text)


async def _tell(event: ErrorEvent, bot: Bot, text: str) -> None:
    """Say it where the asker looks: the chat (and topic) of the message or of the button.

    A button press was answered before the work began, so its answer cannot carry this.
    """
    update = event.update
    message = update.message
    if update.callback_query is not None and isinstance(update.callback_query.message, Message):
        message = update.callback_query.message
    try:
        if message is not None:
            thread = message.message_thread_id if message.is_topic_message else None
            await bot.send_message(
                message.chat.id, text, message_thread_id=thread, parse_mode=ParseMode.HTML
            )
        elif update.callback_query is not None:
            await bot.answer_callback_query(update.callback_query.id, text[:200], show_alert=True)
    except TelegramAPIError:
        log.warning("could not tell the user about the error of update %s", update.update_id)


def make_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_bad_input, ExceptionTypeFilter(ScopeError, PeriodError))
    router.errors.register(on_unexpected)
    return router
