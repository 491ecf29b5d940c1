"""/contest: heads and admins start a contest in five steps, or in one line.

Steps: kind, metric, period (inline buttons, versioned ``ContestCb``), then the prize (and a
race's target) typed as one message or "Без приза", then confirm. The typed answer and the
draft wait in the FSM state of the one who asks; every press is checked again, and nothing is
stored before "Запустить". ``/contest calls неделя приз: ужин`` does it in one line.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from aiogram import F, Router
from aiogram.enums import ParseMode
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel import Session

from bot.access import Viewer
from bot.contests import (
    Words,
    action_of,
    draft_of,
    listing,
    may_start,
    read_words,
    start,
    stop,
    summary,
)
from bot.game_texts import (
    CANCEL,
    CANCELLED,
    CONFIRM,
    NO_PRIZE,
    ONLY_HEADS,
    SPANS,
    STARTED,
    STEP_CONFIRM,
    STEP_KIND,
    STEP_METRIC,
    STEP_PERIOD,
    STEP_PRIZE,
    STEP_PRIZE_TARGET,
    WHOLE_TEAM,
    error_text,
    kind_title,
    span_title,
)
from bot.telegram.contest_keyboards import (
    ContestCb,
    Metric,
    Span,
    Step,
    keyboard_of,
    kinds_keyboard,
)
from bot.telegram.deps import TelegramDeps
from bot.telegram.filters import KnownViewer
from bot.telegram.present import reply
from kpi.contest_input import ContestDraft, ContestError
from kpi.contests import CONTEST_METRICS
from locales import _
from reports.kpi_words import metric_name
from store.models import Department


class ContestForm(StatesGroup):
    prize = State()
    confirm = State()


async def cmd_contest(
    message: Message,
    *,
    command: CommandObject,
    state: FSMContext,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    await state.clear()
    if not may_start(viewer):
        await reply(message, html.escape(_(ONLY_HEADS)))
        return
    action, rest = action_of(command.args or "")
    if action != "start":
        now = deps.clock()
        if action == "list":
            text = await asyncio.to_thread(listing, session, deps.kpi, viewer, now=now)
        else:
            text = await asyncio.to_thread(stop, session, viewer, rest, now=now)
        await reply(message, html.escape(text))
        return
    words = read_words(rest)
    if words.empty:
        await reply(message, html.escape(_(STEP_KIND)), reply_markup=kinds_keyboard())
        return
    # one line: checked and stored at once, or refused naming what is allowed
    text = await asyncio.to_thread(
        _start, deps, session, viewer, words, f"telegram:{viewer.user_id}"
    )
    await reply(message, text)


def _start(deps: TelegramDeps, session: Session, viewer: Viewer, words: Words, who: str) -> str:
    now = deps.clock()
    try:
        draft = draft_of(session, deps.kpi, deps.contests, viewer, words, now=now)
    except ContestError as exc:
        return html.escape(error_text(exc))
    contest = start(session, draft, now=now, created_by=who)
    return html.escape(_(STARTED).format(id=contest.id, name=contest.name))


def _draft(
    deps: TelegramDeps, session: Session, viewer: Viewer, words: Words
) -> ContestDraft | str:
    try:
        return draft_of(session, deps.kpi, deps.contests, viewer, words, now=deps.clock())
    except ContestError as exc:
        return html.escape(error_text(exc))


async def on_step(
    callback: CallbackQuery,
    *,
    callback_data: ContestCb,
    state: FSMContext,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    message = callback.message
    if not may_start(viewer) or not isinstance(message, Message):
        await callback.answer(_(ONLY_HEADS), show_alert=True)
        return
    await callback.answer()
    data = callback_data
    kind, metric = data.kind.value, data.metric.value
    if data.step is Step.KIND:
        buttons = [
            (metric_name(m), ContestCb(step=Step.METRIC, kind=data.kind, metric=Metric(m)))
            for m in CONTEST_METRICS
        ]
        await _edit(message, _(STEP_METRIC).format(kind=kind_title(kind)), keyboard_of(buttons, 3))
    elif data.step is Step.METRIC:
        buttons = [
            (
                span_title(s),
                ContestCb(step=Step.PERIOD, kind=data.kind, metric=data.metric, span=Span(s)),
            )
            for s in SPANS
        ]
        text = _(STEP_PERIOD).format(kind=kind_title(kind), metric=metric_name(metric))
        await _edit(message, text, keyboard_of(buttons, 2))
    elif data.step is Step.PERIOD:
        await state.set_state(ContestForm.prize)
        await state.update_data(kind=kind, metric=metric, span=data.span.value)
        template = STEP_PRIZE_TARGET if kind == "target" else STEP_PRIZE
        text = _(template).format(
            kind=kind_title(kind), metric=metric_name(metric), period=span_title(data.span.value)
        )
        markup = None
        if kind != "target":
            markup = keyboard_of([(_(NO_PRIZE), ContestCb(step=Step.NO_PRIZE, kind=data.kind))], 1)
        await _edit(message, text, markup)
    elif data.step is Step.NO_PRIZE:
        await _confirm(message, state, deps, session, viewer, prize="")
    elif data.step is Step.GO:
        await _go(message, state, deps, session, viewer)
    else:
        await state.clear()
        await _edit(message, _(CANCELLED), None)


async def on_prize(
    message: Message, *, state: FSMContext, deps: TelegramDeps, session: Session, viewer: Viewer
) -> None:
    if not may_start(viewer):
        await reply(message, html.escape(_(ONLY_HEADS)))
        return
    await _confirm(message, state, deps, session, viewer, prize=message.text or "", typed=True)


def _words(stored: dict[str, Any], prize: str) -> Words:
    target = None
    if stored.get("kind") == "target":
        first, _sep, rest = prize.strip().partition(" ")
        target, prize = first, rest
    return Words(
        kind=stored.get("kind"),
        metric=stored.get("metric"),
        period=stored.get("span"),
        target=target,
        prize=prize.strip() or None,
    )


async def _confirm(
    message: Message,
    state: FSMContext,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
    *,
    prize: str,
    typed: bool = False,
) -> None:
    stored = await state.get_data()
    if not stored:
        await _say(message, _(CANCELLED), None, typed=typed)
        return
    words = _words(stored, prize)
    draft = await asyncio.to_thread(_draft, deps, session, viewer, words)
    if isinstance(draft, str):
        await state.clear()
        await _say(message, draft, None, typed=typed, escaped=True)
        return
    await state.set_state(ContestForm.confirm)
    await state.update_data(target=words.target, prize=words.prize)
    who = _(WHOLE_TEAM)
    if draft.department_id is not None:
        dept = session.get(Department, draft.department_id)
        who = dept.name if dept is not None else who
    markup = keyboard_of(
        [(_(CONFIRM), ContestCb(step=Step.GO)), (_(CANCEL), ContestCb(step=Step.CANCEL))], 2
    )
    await _say(message, _(STEP_CONFIRM).format(summary=summary(draft, who)), markup, typed=typed)


async def _go(
    message: Message, state: FSMContext, deps: TelegramDeps, session: Session, viewer: Viewer
) -> None:
    stored = await state.get_data()
    await state.clear()
    if not stored:
        await _edit(message, _(CANCELLED), None)
        return
    words = Words(
        kind=stored.get("kind"),
        metric=stored.get("metric"),
        period=stored.get("span"),
        target=stored.get("target"),
        prize=stored.get("prize"),
    )
    text = await asyncio.to_thread(
        _start, deps, session, viewer, words, f"telegram:{viewer.user_id}"
    )
    await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None)


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    await message.edit_text(html.escape(text), parse_mode=ParseMode.HTML, reply_markup=markup)


async def _say(
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    typed: bool,
    escaped: bool = False,
) -> None:
    shown = text if escaped else html.escape(text)
    if typed:
        await reply(message, shown, reply_markup=markup)
    else:
        await message.edit_text(shown, parse_mode=ParseMode.HTML, reply_markup=markup)


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(KnownViewer())
    router.callback_query.filter(KnownViewer())
    router.message.register(cmd_contest, Command("contest"))
    # a command typed meanwhile (/rating) is a command, not the prize
    router.message.register(on_prize, ContestForm.prize, F.text, ~F.text.startswith("/"))
    router.callback_query.register(on_step, ContestCb.filter())
    return router
