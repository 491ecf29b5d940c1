"""Report periods: named and custom ranges of local calendar days in the portal's zone.

A period is half-open, [start, end), and built from local midnights converted to aware
datetimes, so a day across a DST change lasts 23 or 25 hours. Instants are compared in
UTC: Python compares two datetimes that share a tzinfo by wall clock, which is wrong
inside a DST fold. Nothing here reads the clock; every caller passes `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["day", "week", "month", "quarter", "year", "range"]

PERIOD_NAMES: tuple[str, ...] = (
    "today",
    "yesterday",
    "week",
    "last_week",
    "month",
    "last_month",
    "quarter",
    "year",
)
RANGE_FORMAT = "YYYY-MM-DD..YYYY-MM-DD"

_RU_WORDS = MappingProxyType(
    {
        "сегодня": "today",
        "вчера": "yesterday",
        "неделя": "week",
        "эта неделя": "week",
        "прошлая неделя": "last_week",
        "месяц": "month",
        "этот месяц": "month",
        "прошлый месяц": "last_month",
        "квартал": "quarter",
        "этот квартал": "quarter",
        "год": "year",
        "этот год": "year",
    }
)
_NAMED_PREFIXES = MappingProxyType(
    {
        "today": ("сегодня", "today"),
        "yesterday": ("вчера", "yesterday"),
        "last_week": ("прошлая неделя", "last week"),
    }
)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")
_MONTHS_PER_UNIT = MappingProxyType({"month": 1, "quarter": 3, "year": 12})

# a word list on one line is easier to check than twelve quoted items on twelve lines
_RU_MONTHS = tuple(
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()  # noqa: SIM905
)
_RU_MONTHS_OF = tuple(
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()  # noqa: SIM905
)
_EN_MONTHS = tuple(
    "January February March April May June July August September October November December".split()  # noqa: SIM905
)
_ROMAN = ("I", "II", "III", "IV")


class PeriodError(ValueError):
    """The text names no period we know; the message says what is allowed."""


@dataclass(frozen=True)
class PeriodChoice:
    """One period button: the name to send back and its captions."""

    name: str
    label_ru: str
    label_en: str


@dataclass(frozen=True)
class Period:
    """A half-open range [start, end) of aware datetimes in the portal's zone.

    `name` is the canonical word ("month") or a day range ("2026-03-01..2026-03-15");
    `kind` says what `previous` steps back by (a range steps back by its own length).
    """

    start: datetime
    end: datetime
    name: str
    label_ru: str
    label_en: str
    running: bool
    kind: PeriodKind = "range"

    def __post_init__(self) -> None:
        # previous() steps back in local calendar days, so it needs the zone itself
        if not isinstance(self.start.tzinfo, ZoneInfo) or self.end.utcoffset() is None:
            msg = f"a period needs aware datetimes in a ZoneInfo zone, not {self.start!r}"
            raise PeriodError(msg)
        if _utc(self.end) < _utc(self.start):
            msg = f"a period cannot end ({self.end}) before it starts ({self.start})"
            raise PeriodError(msg)

    @property
    def tz(self) -> ZoneInfo:
        """The zone the period was built in (the portal's), read from its start."""
        zone = self.start.tzinfo
        assert isinstance(zone, ZoneInfo)  # checked in __post_init__
        return zone

    def contains(self, moment: datetime) -> bool:
        return _utc(self.start) <= _utc(moment) < _utc(self.end)

    def to_date_end(self, now: datetime) -> datetime:
        """Where the figures so far stop: `now` inside the period, else the nearer edge."""
        clamped = min(max(_utc(now), _utc(self.start)), _utc(self.end))
        return clamped.astimezone(self.tz)


def period_choices() -> tuple[PeriodChoice, ...]:
    """The named periods as buttons, in the order of `PERIOD_NAMES`."""
    captions = (
        ("Сегодня", "Today"),
        ("Вчера", "Yesterday"),
        ("Неделя", "Week"),
        ("Прошлая неделя", "Last week"),
        ("Месяц", "Month"),
        ("Прошлый месяц", "Last month"),
        ("Квартал", "Quarter"),
        ("Год", "Year"),
    )
    return tuple(
        PeriodChoice(name, ru, en) for name, (ru, en) in zip(PERIOD_NAMES, captions, strict=True)
    )


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local day (a midnight lost to DST moves to the gap's end)."""
    return _real(datetime.combine(day, time(0), tzinfo=tz))


def parse_period(text: str, *, now: datetime, tz: ZoneInfo) -> Period:
    """A period word (English or Russian) or a `YYYY-MM-DD..YYYY-MM-DD` range, both days in."""
    key = " ".join(text.lower().replace("ё", "е").split())
    found = _RANGE.match(key)
    if found:
        return range_period(_date(found[1]), _date(found[2]), now=now, tz=tz)
    name = _RU_WORDS.get(key) or key.replace(" ", "_").replace("-", "_")
    if name not in PERIOD_NAMES:
        allowed = ", ".join((*PERIOD_NAMES, *_RU_WORDS))
        msg = f"unknown period {text.strip()!r}; use one of: {allowed}, or {RANGE_FORMAT}"
        raise PeriodError(msg)
    return _named(name, now.astimezone(tz).date(), now=now, tz=tz)


def range_period(first: date, last: date, *, now: datetime, tz: ZoneInfo) -> Period:
    """The days `first` to `last`, both included."""
    if first > last:
        msg = f"the range starts after it ends: {first} > {last}; put the earlier day first"
        raise PeriodError(msg)
    try:
        after = last + timedelta(days=1)
    except OverflowError as exc:
        msg = f"{last} is past the last day we can count to"
        raise PeriodError(msg) from exc
    labels = _span_ru(first, last, year=True), _span_en(first, last, year=True)
    return _build(first, after, "range", labels, name=f"{first}..{last}", now=now, tz=tz)


def previous(period: Period, *, now: datetime) -> Period:
    """The previous analogous period.

    Running: the same stretch of the previous one (Monday to now against last Monday to
    the same weekday and time; a month's day clamped to the shorter month). Closed: the
    whole previous period of the same kind; a range of N days gives the N days before it.
    """
    tz = period.tz
    start = period.start.astimezone(tz)
    stop = _utc(now) if period.contains(now) else _utc(period.end)
    span = _range_days(period)
    new_start = _shift(start, period.kind, -1, span)
    whole = stop >= _utc(_shift(start, period.kind, 1, span))
    if whole:
        new_end = start
    else:
        shifted = _shift(stop.astimezone(tz), period.kind, -1, span)
        # a wall time lost to DST can land an hour late; the stretch stays inside its unit
        new_end = min(max(shifted, new_start, key=_utc), start, key=_utc)
    first = new_start.date()
    last = (_utc(new_end) - timedelta(microseconds=1)).astimezone(tz).date()
    last = max(first, last)
    ru, en = _full_labels(period.kind if whole else "range", first, last)
    at_midnight = _utc(new_end) == _utc(day_start(new_end.date(), tz))
    if not whole and (not at_midnight or _utc(new_end) == _utc(new_start)):
        # a stretch that stops inside a day says when; one ending at midnight needs no time
        until = new_end.strftime("%H:%M")
        ru, en = f"{ru}, до {until}", f"{en}, until {until}"
    return Period(
        start=new_start,
        end=new_end,
        name=f"{first}..{last}",
        label_ru=ru,
        label_en=en,
        running=_utc(new_start) <= _utc(now) < _utc(new_end),
        kind=period.kind,
    )


def _named(name: str, today: date, *, now: datetime, tz: tzinfo) -> Period:
    kind: PeriodKind
    back = 1 if name in ("yesterday", "last_week", "last_month") else 0
    if name in ("today", "yesterday"):
        kind, first = "day", today - timedelta(days=back)
        after = first + timedelta(days=1)
    elif name in ("week", "last_week"):
        kind, first = "week", today - timedelta(days=today.weekday() + 7 * back)
        after = first + timedelta(days=7)
    elif name in ("month", "last_month"):
        kind, first = "month", _add_months(today.replace(day=1), -back)
        after = _add_months(first, 1)
    elif name == "quarter":
        kind, first = "quarter", today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        after = _add_months(first, 3)
    else:
        kind, first = "year", today.replace(month=1, day=1)
        after = _add_months(first, 12)
    last = after - timedelta(days=1)
    labels = _full_labels(kind, first, last)
    prefix = _NAMED_PREFIXES.get(name)
    if prefix is not None:
        labels = (
            f"{prefix[0]}, {_span_ru(first, last, year=False)}",
            f"{prefix[1]}, {_span_en(first, last, year=False)}",
        )
    return _build(first, after, kind, labels, name=name, now=now, tz=tz)


def _build(
    first: date,
    after: date,
    kind: PeriodKind,
    labels: tuple[str, str],
    *,
    name: str,
    now: datetime,
    tz: tzinfo,
) -> Period:
    start, end = day_start(first, tz), day_start(after, tz)
    running = _utc(start) <= _utc(now) < _utc(end)
    return Period(start, end, name, labels[0], labels[1], running, kind)


def _full_labels(kind: PeriodKind, first: date, last: date) -> tuple[str, str]:
    if kind == "month":
        return (
            f"{_RU_MONTHS[first.month - 1]} {first.year}",
            f"{_EN_MONTHS[first.month - 1]} {first.year}",
        )
    if kind == "quarter":
        number = (first.month - 1) // 3
        return f"{_ROMAN[number]} квартал {first.year}", f"Q{number + 1} {first.year}"
    if kind == "year":
        return f"{first.year} год", str(first.year)
    if kind == "week":
        ru, en = _span_ru(first, last, year=False), _span_en(first, last, year=False)
        return f"неделя {ru}", f"week of {en}"
    return _span_ru(first, last, year=True), _span_en(first, last, year=True)


def _span_ru(first: date, last: date, *, year: bool) -> str:
    """'22 ноября', '16–22 ноября', '30 ноября – 6 декабря', a year when asked or crossed."""
    tail = f" {last.year}" if year else ""
    end = f"{last.day} {_RU_MONTHS_OF[last.month - 1]}"
    if first == last:
        return f"{end}{tail}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{end}{tail}"
    head = f"{first.day} {_RU_MONTHS_OF[first.month - 1]}"
    if first.year != last.year:
        return f"{head} {first.year} – {end} {last.year}"
    return f"{head} – {end}{tail}"


def _span_en(first: date, last: date, *, year: bool) -> str:
    """'November 22', 'November 16–22', 'November 30 – December 6', ', 2026' as in Russian."""
    tail = f", {last.year}" if year else ""
    head = f"{_EN_MONTHS[first.month - 1]} {first.day}"
    if first == last:
        return f"{head}{tail}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{head}–{last.day}{tail}"
    end = f"{_EN_MONTHS[last.month - 1]} {last.day}"
    if first.year != last.year:
        return f"{head}, {first.year} – {end}, {last.year}"
    return f"{head} – {end}{tail}"


def _shift(local: datetime, kind: PeriodKind, units: int, range_days: int) -> datetime:
    """The same wall time `units` periods later, the day clamped to a shorter month."""
    months = _MONTHS_PER_UNIT.get(kind)
    if months is not None:
        moved = _add_months(local.date(), months * units)
    else:
        step = {"day": 1, "week": 7}.get(kind, range_days)
        moved = local.date() + timedelta(days=step * units)
    if local.tzinfo is not None and _utc(local) == _utc(day_start(local.date(), local.tzinfo)):
        # A day's start is midnight, or later where DST skips midnight (America/Santiago):
        # it maps to the other day's start, not to the same wall time.
        return day_start(moved, local.tzinfo)
    return _real(local.replace(year=moved.year, month=moved.month, day=moved.day))


def _range_days(period: Period) -> int:
    """How many local days the period touches (a range steps back by that many)."""
    tz = period.tz
    first = period.start.astimezone(tz).date()
    last = (_utc(period.end) - timedelta(microseconds=1)).astimezone(tz).date()
    return max(1, (last - first).days + 1)


def _add_months(day: date, months: int) -> date:
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, _month_length(year, month0 + 1)))


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _real(local: datetime) -> datetime:
    # A wall time inside a DST gap does not exist; the UTC round trip moves it to the
    # instant the zone means by it (fold=0 reads it with the offset before the gap).
    zone = local.tzinfo
    assert zone is not None
    return local.astimezone(UTC).astimezone(zone)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        msg = f"naive datetime {moment!r}; pass an aware one"
        raise PeriodError(msg)
    return moment.astimezone(UTC)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        msg = f"{text!r} is not a date; write days as YYYY-MM-DD, for example 2026-03-01"
        raise PeriodError(msg) from exc
