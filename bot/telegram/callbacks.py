"""Callback data of the inline buttons: versioned prefixes, enum fields, 64 bytes at most.

A button carries everything needed to redo its report (report, period, target), so a
press works after a restart and whoever presses it is checked again: in a group the
person pressing is not always the person who asked.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData

from bot.args import COMPANY, Target
from kpi.periods import PERIOD_NAMES, Period, parse_period, range_period


class ReportName(StrEnum):
    RATING = "rating"
    COVERAGE = "coverage"
    CALLS = "calls"
    MISSED = "missed"
    KPI = "kpi"
    PLAN = "plan"
    FUNNEL = "funnel"
    CONVERSION = "conversion"
    LOST = "lost"
    ABC = "abc"
    TASKS = "tasks"
    STREAKS = "streaks"
    CHANNELS = "channels"


class PeriodWord(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEK = "week"
    LAST_WEEK = "last_week"
    MONTH = "month"
    LAST_MONTH = "last_month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"  # the days are in ``first``/``last`` as YYYYMMDD


class TargetCode(StrEnum):
    COMPANY = "c"
    DEPARTMENT = "d"
    EMPLOYEE = "e"


class Action(StrEnum):
    EDIT = "e"  # redo the report in the message that holds the button (period switch)
    NEW = "n"  # send it as a new message (a choice among several names)
    EXPORT = "x"  # send it as an Excel file


class ListName(StrEnum):
    UNCOVERED = "uncovered"
    OPEN_MISSED = "open_missed"
    OVERDUE = "overdue"


class ReportCb(CallbackData, prefix="r1"):
    report: ReportName
    action: Action
    period: PeriodWord
    first: int = 0
    last: int = 0
    kind: TargetCode
    id: int = 0


class ListCb(CallbackData, prefix="l1"):
    items: ListName
    page: int
    edit: bool  # False: open the list as a new message; True: turn its pages in place
    period: PeriodWord
    first: int = 0
    last: int = 0
    kind: TargetCode
    id: int = 0


_KINDS = {"company": TargetCode.COMPANY, "department": TargetCode.DEPARTMENT}
PeriodKey = tuple[PeriodWord, int, int]


def period_key(period: Period | str) -> PeriodKey:
    """A named period as its word; any other as RANGE and its first and last day."""
    if isinstance(period, str):
        return PeriodWord(period), 0, 0
    if period.name in PERIOD_NAMES:
        return PeriodWord(period.name), 0, 0
    first = period.start.astimezone(period.tz).date()
    last = date.fromordinal(period.end.astimezone(period.tz).date().toordinal() - 1)
    return PeriodWord.RANGE, _number(first), _number(last)


def report_cb(report: str, action: Action, period: Period | str, target: Target) -> ReportCb:
    word, first, last = period_key(period)
    kind, ident = _target_key(target)
    return ReportCb(
        report=ReportName(report),
        action=action,
        period=word,
        first=first,
        last=last,
        kind=kind,
        id=ident,
    )


def list_cb(
    name: str, period: Period, target: Target, *, page: int = 0, edit: bool = False
) -> ListCb:
    word, first, last = period_key(period)
    kind, ident = _target_key(target)
    return ListCb(
        items=ListName(name),
        page=page,
        edit=edit,
        period=word,
        first=first,
        last=last,
        kind=kind,
        id=ident,
    )


def _target_key(target: Target) -> tuple[TargetCode, int]:
    return _KINDS.get(target.kind, TargetCode.EMPLOYEE), target.id or 0


def period_of(data: ReportCb | ListCb, *, now: datetime, tz: ZoneInfo) -> Period:
    if data.period is PeriodWord.RANGE:
        return range_period(_day(data.first), _day(data.last), now=now, tz=tz)
    return parse_period(data.period.value, now=now, tz=tz)


def target_of(data: ReportCb | ListCb) -> Target:
    if data.kind is TargetCode.COMPANY:
        return COMPANY
    if data.kind is TargetCode.DEPARTMENT:
        return Target("department", data.id, "")
    return Target("employee", data.id, "")


def _number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _day(number: int) -> date:
    return date(number // 10000, number // 100 % 100, number % 100)
