"""/plan set in Telegram: read and checked, confirmed with a button, then kept.

The button carries the whole request and who asked; on a press the presser must be the
asker, and their rights are checked again before anything is written. Answers are plain
text (no markup): names come from the portal and are shown as they are. The texts are in the
language in force (the reader's, set by the middleware), the callback data language-free.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel import Session

from bot import plan_set
from bot import plan_texts as texts
from bot.access import Viewer
from bot.telegram.deps import TelegramDeps
from bot.telegram.filters import KnownViewer
from kpi.settings import METRICS
from locales import _

Metric = StrEnum("Metric", {m.upper(): m for m in METRICS})  # type: ignore[misc]


class Length(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Kind(StrEnum):
    DEPARTMENT = "d"
    EMPLOYEE = "e"


class PlanSetCb(CallbackData, prefix="ps1"):
    metric: Metric
    value: str
    kind: Kind
    id: int
    length: Length
    asker: int
    ok: bool


class PlanSetCommand(Filter):
    """/plan with "set" first; plain /plan stays the revenue report."""

    async def __call__(self, message: Message, command: CommandObject) -> bool:
        return plan_set.is_plan_set(command.args or "")


def _buttons(request: plan_set.PlanRequest, asker: int) -> InlineKeyboardMarkup:
    kind = Kind.DEPARTMENT if request.target.kind == "department" else Kind.EMPLOYEE
    common = {
        "metric": Metric(request.metric),
        "value": format(request.value.normalize(), "f"),  # 1500000, not 1500000.00
        "kind": kind,
        "id": int(request.target.id or 0),
        "length": Length(request.length),
        "asker": asker,
    }
    yes = PlanSetCb(**common, ok=True).pack()
    no = PlanSetCb(**common, ok=False).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_(texts.YES), callback_data=yes),
                InlineKeyboardButton(text=_(texts.NO), callback_data=no),
            ]
        ]
    )


async def cmd_plan_set(
    message: Message,
    *,
    command: CommandObject,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    now = deps.clock()

    def prepare() -> tuple[str, InlineKeyboardMarkup | None]:
        found = plan_set.prepare(session, deps.kpi, viewer, command.args or "", now)
        if isinstance(found, str):
            return found, None
        text = plan_set.confirm_text(session, deps.kpi, found)
        return text, _buttons(found, int(viewer.user_id or 0))

    text, markup = await asyncio.to_thread(prepare)
    await message.answer(text, reply_markup=markup)


async def on_plan_set(
    callback: CallbackQuery,
    *,
    callback_data: PlanSetCb,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    if viewer.user_id != callback_data.asker:
        await callback.answer(_(texts.ONLY_ASKER), show_alert=True)
        return
    message = callback.message if isinstance(callback.message, Message) else None
    if not callback_data.ok:
        await callback.answer()
        if message is not None:
            await message.edit_text(_(texts.CANCELLED))
        return
    now = deps.clock()

    def confirm() -> str:
        try:
            value = Decimal(callback_data.value)
        except InvalidOperation:
            return plan_set.usage()
        kind = "отдел" if callback_data.kind is Kind.DEPARTMENT else "сотрудник"
        words = (
            f"set {callback_data.metric} {value:f} {kind} {callback_data.id} "
            f"{callback_data.length}"
        )
        found = plan_set.prepare(session, deps.kpi, viewer, words, now)  # rights checked again
        if isinstance(found, str):
            return found
        return plan_set.apply(session, viewer, found, via="telegram", now=now)

    text = await asyncio.to_thread(confirm)
    await callback.answer()
    if message is not None:
        await message.edit_text(text)


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(KnownViewer())
    router.callback_query.filter(KnownViewer())
    router.message.register(cmd_plan_set, Command("plan"), PlanSetCommand())
    router.callback_query.register(on_plan_set, PlanSetCb.filter())
    return router
