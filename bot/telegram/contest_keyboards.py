"""/contest's inline buttons: versioned callback data with enum fields, pure keyboards."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.game_texts import kind_title
from kpi.contests import KINDS


class Step(StrEnum):
    KIND = "k"
    METRIC = "m"
    PERIOD = "p"
    NO_PRIZE = "n"
    GO = "g"
    CANCEL = "x"


class Kind(StrEnum):
    TOP = "top"
    TARGET = "target"
    TEAMS = "teams"


class Metric(StrEnum):
    CALLS = "calls"
    SUCCESSFUL_CALLS = "successful_calls"
    TALK_MINUTES = "talk_minutes"
    MEETINGS = "meetings"
    EMAILS = "emails"
    NEW_DEALS = "new_deals"
    DEALS_WON = "deals_won"
    REVENUE = "revenue"
    POINTS = "points"
    NONE = "-"


class Span(StrEnum):
    WEEK = "week"
    NEXT_WEEK = "next_week"
    MONTH = "month"
    NEXT_MONTH = "next_month"
    NONE = "-"


class ContestCb(CallbackData, prefix="c1"):
    """A step of the flow with what was chosen so far (at most 64 bytes)."""

    step: Step
    kind: Kind = Kind.TOP
    metric: Metric = Metric.NONE
    span: Span = Span.NONE


def keyboard_of(buttons: list[tuple[str, ContestCb]], per_row: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, data in buttons:
        builder.button(text=label, callback_data=data)
    builder.adjust(per_row)
    return builder.as_markup()


def kinds_keyboard() -> InlineKeyboardMarkup:
    return keyboard_of(
        [(kind_title(k), ContestCb(step=Step.KIND, kind=Kind(k))) for k in KINDS], 1
    )
