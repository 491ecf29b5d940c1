"""Inline buttons: period switch (edits in place), choices, Excel, drill-down list pages.

Whoever presses is checked again: in a group the button is under everyone's eyes.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Router
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel import Session

from bot.access import Viewer
from bot.reporting import LIST_SOURCES
from bot.telegram.callbacks import Action, ListCb, ReportCb, period_of, target_of
from bot.telegram.deps import TelegramDeps
from bot.telegram.filters import KnownViewer
from bot.telegram.keyboards import list_keyboard, list_label
from bot.telegram.present import (
    NO_PREVIEW,
    Ask,
    allowed,
    edit_report,
    keyboard,
    list_page,
    make,
    send_report,
    thread_of,
)
from bot.telegram.texts import personal, raw
from reports.kpi_words import kpi_word, period_label

log = logging.getLogger(__name__)


async def on_report(
    callback: CallbackQuery,
    *,
    callback_data: ReportCb,
    bot: Bot,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    message = await _checked(callback)
    if message is None:
        return
    period = period_of(callback_data, now=deps.clock(), tz=deps.kpi.tz)
    ask = Ask(callback_data.report.value, period, target_of(callback_data))
    if not await allowed(session, viewer, ask):
        await _alert(callback, "denied_button")
        return
    # Answer at once: building may take longer than Telegram waits for the answer.
    await callback.answer()
    thread = thread_of(message)
    if callback_data.action is Action.EXPORT:
        report = await make(deps, session, ask, render=False)
        data = await asyncio.to_thread(deps.report_xlsx, report)
        document = BufferedInputFile(data, filename=f"{ask.report}-{ask.period.name}.xlsx")
        await bot.send_document(message.chat.id, document, message_thread_id=thread)
        return
    report = await make(deps, session, ask)
    markup = keyboard(ask, report)
    if callback_data.action is Action.EDIT:
        try:
            await edit_report(message, report, markup)
            return
        except TelegramBadRequest as exc:
            # too old to edit (48 h) or deleted: the new figures come as a new message
            log.info("editing message %s failed (%s); sending anew", message.message_id, exc)
    await send_report(bot, message.chat.id, thread, report, markup)


async def on_list(
    callback: CallbackQuery,
    *,
    callback_data: ListCb,
    bot: Bot,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    message = await _checked(callback)
    if message is None:
        return
    name = callback_data.items.value
    period = period_of(callback_data, now=deps.clock(), tz=deps.kpi.tz)
    ask = Ask(LIST_SOURCES[name], period, target_of(callback_data))
    if not await allowed(session, viewer, ask):
        await _alert(callback, "denied_button")
        return
    await callback.answer()
    report = await make(deps, session, ask, render=False)
    scope = kpi_word(report.meta.scope.name)  # the company scope's name is kpi's own word
    title = f"{list_label(name)} · {scope} · {period_label(period)}"
    items = report.lists.get(name, ())
    text, pages = list_page(title, items, callback_data.page, deps.settings.list_page_size)
    markup = list_keyboard(callback_data, pages)
    if callback_data.edit:
        await message.edit_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
        )
    else:
        await bot.send_message(
            message.chat.id,
            text,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_of(message),
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )


async def _checked(callback: CallbackQuery) -> Message | None:
    """The message under the button, or None (and a notice) when it is too old to reach."""
    if isinstance(callback.message, Message):
        return callback.message
    await _alert(callback, "list_too_old")
    return None


async def _alert(callback: CallbackQuery, key: str) -> None:
    """A notice only the presser sees, so in their own language even in a group."""
    with personal(callback.from_user):
        text = raw(key)
    await callback.answer(text, show_alert=True)


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.filter(KnownViewer())
    router.callback_query.register(on_report, ReportCb.filter())
    router.callback_query.register(on_list, ListCb.filter())
    return router
