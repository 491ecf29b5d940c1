"""Period words of command arguments: what ``kpi.periods.parse_period`` reads, plus the
forms people type in chat: Russian case forms ("за прошлую неделю"), "this month",
a single day, DD.MM.YYYY dates and ranges, and two days written apart."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kpi.periods import Period, PeriodError, parse_period, range_period

# Case forms parse_period does not know (it takes the nominative only).
_PERIOD_FORMS = {
    "неделю": "week",
    "эту неделю": "week",
    "прошлую неделю": "last_week",
    "прошлой неделе": "last_week",
    "этом месяце": "month",
    "прошлом месяце": "last_month",
    "this week": "week",
    "this month": "month",
    "this quarter": "quarter",
    "this year": "year",
}
_RU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_RANGE = re.compile(r"^(\S+?)(?:\.\.|–|—|-)(\d{1,2}\.\d{1,2}\.\d{4})$")


def period_of_words(text: str, *, now: datetime, tz: ZoneInfo) -> Period | None:
    """The period a word (or a pair of words) names, None if it names none."""
    key = " ".join(_key(text).split())
    key = _PERIOD_FORMS.get(key, key)
    days = _days(key)
    if days is not None:
        return range_period(days[0], days[1], now=now, tz=tz)
    try:
        return parse_period(key, now=now, tz=tz)
    except PeriodError:
        if ".." in key and " " not in key:
            raise  # it is a range, only a wrong one: say why instead of "unknown word"
        return None


def _days(key: str) -> tuple[date, date] | None:
    """A single day (ISO or DD.MM.YYYY) or a DD.MM.YYYY range, as (first, last)."""
    parts = key.split()
    if len(parts) == 2:  # "2026-03-01 2026-03-15": two days written apart
        first, last = _date(parts[0]), _date(parts[1])
        return _ordered(first, last) if first and last else None
    single = _date(key)
    if single is not None:
        return single, single
    found = _DATE_RANGE.match(key)
    if found:
        first, last = _date(found[1]), _date(found[2])
        if first is not None and last is not None:
            return _ordered(first, last)
    return None


def _ordered(first: date, last: date) -> tuple[date, date]:
    if first > last:
        msg = f"the range starts after it ends: {first} > {last}; put the earlier day first"
        raise PeriodError(msg)
    return first, last


def _date(text: str) -> date | None:
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        found = _RU_DATE.match(text)
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError as exc:
        msg = f"{text!r} is not a date; write days as YYYY-MM-DD or DD.MM.YYYY"
        raise PeriodError(msg) from exc
    return None


def _key(word: str) -> str:
    return word.strip().lower().replace("ё", "е")
