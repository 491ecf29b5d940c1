"""Building a report off the event loop and putting it into a chat: photo, text, edit, list.

A report goes out as its chart with the caption; if there is no chart, or Telegram
refuses the photo, the text version goes out instead, so an answer always arrives.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge, TelegramNetworkError
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
    Message,
)
from sqlmodel import Session

from bot.access import Viewer, default_target, may_see
from bot.args import Parsed, Target
from bot.reporting import ListItemLike, ReportLike, build
from bot.telegram.deps import TelegramDeps
from bot.telegram.keyboards import report_keyboard
from bot.telegram.texts import raw, say
from kpi.periods import Period, parse_period
from reports.kpi_words import period_label

log = logging.getLogger(__name__)

# Reports whose natural question is about today; the others default to this month.
_TODAY_REPORTS = frozenset({"missed"})
# A photo Telegram refuses (bad image, too big) or could not take: the text goes instead.
PHOTO_FAILURES = (TelegramBadRequest, TelegramEntityTooLarge, TelegramNetworkError)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_ITEM_CHARS = 200


@dataclass(frozen=True)
class Ask:
    """A request to answer: which report, for which period and whom."""

    report: str
    period: Period
    target: Target


def default_period(report: str, deps: TelegramDeps, now: datetime) -> Period:
    word = "today" if report in _TODAY_REPORTS else "month"
    return parse_period(word, now=now, tz=deps.kpi.tz)


def complete(
    session: Session,
    deps: TelegramDeps,
    viewer: Viewer,
    report: str,
    parsed: Parsed,
) -> Ask | None:
    """Fill what the words left out with the defaults; None when there is no one to ask for."""
    target = parsed.target or default_target(session, viewer, report)
    if target is None:
        return None
    period = parsed.period or default_period(report, deps, deps.clock())
    return Ask(report, period, target)


async def allowed(session: Session, viewer: Viewer, ask: Ask) -> bool:
    return await asyncio.to_thread(may_see, session, viewer, ask.report, ask.target)


async def make(
    deps: TelegramDeps, session: Session, ask: Ask, *, render: bool = True
) -> ReportLike:
    """The report, built in a worker thread: SQL and matplotlib never block the loop."""
    return await asyncio.to_thread(
        build,
        session,
        deps.kpi,
        deps.build_report,
        ask.report,
        ask.period,
        ask.target,
        now=deps.clock(),
        render=render,
    )


def keyboard(ask: Ask, report: ReportLike) -> InlineKeyboardMarkup:
    counts = {name: len(items) for name, items in report.lists.items()}
    return report_keyboard(ask.report, ask.period, ask.target, counts)


async def send_report(
    bot: Bot,
    chat_id: int,
    thread_id: int | None,
    report: ReportLike,
    markup: InlineKeyboardMarkup | None,
) -> Message:
    """The chart with its caption, or the text when there is no chart or it is refused."""
    if report.png:
        try:
            return await bot.send_photo(
                chat_id,
                BufferedInputFile(report.png, filename=f"{report.name}.png"),
                caption=report.caption_html,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
                reply_markup=markup,
            )
        except PHOTO_FAILURES as exc:
            log.warning("sending the %s chart failed (%s); sending the text", report.name, exc)
    return await bot.send_message(
        chat_id,
        report.text_html,
        parse_mode=ParseMode.HTML,
        message_thread_id=thread_id,
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
    )


async def edit_report(
    message: Message, report: ReportLike, markup: InlineKeyboardMarkup | None
) -> None:
    """Redo a report in the message that shows it: the period switch."""
    if message.photo and report.png:
        media = InputMediaPhoto(
            media=BufferedInputFile(report.png, filename=f"{report.name}.png"),
            caption=report.caption_html,
            parse_mode=ParseMode.HTML,
        )
        try:
            await message.edit_media(media, reply_markup=markup)
            return
        except PHOTO_FAILURES as exc:
            if _not_modified(exc):
                return
            log.warning(
                "replacing the %s chart failed (%s); editing the caption", report.name, exc
            )
    try:
        if message.photo:
            # A photo message cannot become text; its caption still says the new figures.
            await message.edit_caption(
                caption=report.caption_html, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        else:
            await message.edit_text(
                report.text_html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
    except TelegramBadRequest as exc:
        if not _not_modified(exc):
            raise


def _not_modified(exc: Exception) -> bool:
    # Pressing the period already shown changes nothing, and Telegram says so.
    return isinstance(exc, TelegramBadRequest) and "message is not modified" in exc.message


async def reply(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message:
    """A text answer in the asker's chat and topic; our texts are Telegram HTML."""
    return await message.answer(
        text, parse_mode=ParseMode.HTML, reply_markup=reply_markup, link_preview_options=NO_PREVIEW
    )


def list_page(title: str, items: Sequence[ListItemLike], page: int, size: int) -> tuple[str, int]:
    """One page of a drill-down list as HTML, and how many pages there are."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    lines = [f"<b>{html.escape(title)}</b>"]
    if not items:
        lines.append(raw("list_empty"))
    for number, item in enumerate(items[page * size : (page + 1) * size], start=page * size + 1):
        name = html.escape(_cut(item.title) or "—")
        if item.url:
            name = f'<a href="{html.escape(item.url, quote=True)}">{name}</a>'
        detail = f" — {html.escape(_cut(item.detail))}" if item.detail else ""
        lines.append(f"{number}. {name}{detail}")
    if pages > 1:
        lines.append(say("list_page", page=page + 1, pages=pages))
    return "\n".join(lines), pages


def understood(parsed: Parsed) -> str:
    """ "Understood: period March 2026, who: Anna Orlova." (empty when nothing was)."""
    parts = []
    if parsed.report:
        parts.append(say("part_report", value=parsed.report))
    if parsed.period:
        parts.append(say("part_period", value=period_label(parsed.period)))
    if parsed.target:
        parts.append(say("part_target", value=target_name(parsed.target)))
    return raw("understood").format(parts=", ".join(parts)) if parts else ""


def target_name(target: Target) -> str:
    if target.kind == "company":
        return raw("company")
    return target.name or f"#{target.id}"


def thread_of(message: Message) -> int | None:
    """The forum topic a message is in: answers go to the same topic."""
    return message.message_thread_id if message.is_topic_message else None


def _cut(text: str) -> str:
    return text if len(text) <= _ITEM_CHARS else text[: _ITEM_CHARS - 1] + "…"
