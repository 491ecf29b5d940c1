"""Inline keyboards as pure functions of what a message shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.args import Ambiguity, Choice, Problem, Target
from bot.telegram.callbacks import Action, ListCb, ListName, list_cb, report_cb
from bot.telegram.texts import NEXT, PREV, raw
from kpi.periods import Period, period_choices
from reports.kpi_words import period_label

_LIST_NAMES = frozenset(item.value for item in ListName)
_PERIODS_PER_ROW = 4


def report_keyboard(
    report: str, period: Period, target: Target, lists: Mapping[str, int]
) -> InlineKeyboardMarkup:
    """Period buttons (the current one marked) and one button per non-empty drill-down list."""
    builder = InlineKeyboardBuilder()
    for choice in period_choices():
        label = period_label(choice)
        mark = "• " if choice.name == period.name else ""
        data = report_cb(report, Action.EDIT, choice.name, target)
        builder.button(text=f"{mark}{label}", callback_data=data)
    builder.adjust(_PERIODS_PER_ROW)
    buttons = [
        InlineKeyboardButton(
            text=f"{list_label(name)} ({count})",
            callback_data=list_cb(name, period, target).pack(),
        )
        for name, count in lists.items()
        if count and name in _LIST_NAMES
    ]
    if buttons:
        builder.row(*buttons)
    return builder.as_markup()


def choices_keyboard(
    report: str,
    ambiguity: Ambiguity,
    period: Period,
    target: Target | None,
    *,
    export: bool = False,
) -> InlineKeyboardMarkup:
    """One button per choice; each redoes the command with the understood arguments.

    ``period`` and ``target`` fill what neither the words nor the choice say (the
    report's default period, the asker's default target).
    """
    builder = InlineKeyboardBuilder()
    action = Action.EXPORT if export else Action.NEW
    for choice in ambiguity.choices:
        chosen = choice.target or ambiguity.understood.target or target
        if chosen is not None:
            when = choice.period or ambiguity.understood.period or period
            data = report_cb(report, action, when, chosen)
            builder.button(text=_choice_label(choice), callback_data=data)
    builder.adjust(_PERIODS_PER_ROW if ambiguity.problem is Problem.UNKNOWN else 1)
    return builder.as_markup()


def export_keyboard(
    reports: Sequence[str], period: Period, targets: Mapping[str, Target]
) -> InlineKeyboardMarkup:
    """/export without a report name: one button per report, for the given targets."""
    builder = InlineKeyboardBuilder()
    for report in reports:
        target = targets.get(report)
        if target is not None:
            builder.button(
                text=report, callback_data=report_cb(report, Action.EXPORT, period, target)
            )
    builder.adjust(3)
    return builder.as_markup()


def list_keyboard(data: ListCb, pages: int) -> InlineKeyboardMarkup | None:
    """Previous/next page buttons that turn the list message in place."""
    if pages <= 1:
        return None
    buttons = []
    if data.page > 0:
        back = data.model_copy(update={"page": data.page - 1, "edit": True})
        buttons.append(InlineKeyboardButton(text=PREV, callback_data=back.pack()))
    if data.page + 1 < pages:
        ahead = data.model_copy(update={"page": data.page + 1, "edit": True})
        buttons.append(InlineKeyboardButton(text=NEXT, callback_data=ahead.pack()))
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def list_label(name: str) -> str:
    """A drill-down list's name ("Не перезвонили") in the language in force."""
    return raw(f"list_{name}")


def _choice_label(choice: Choice) -> str:
    if choice.period is not None and choice.target is None:
        return period_label(choice.period)
    return choice.label or raw("as_understood")
