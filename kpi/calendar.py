"""The working calendar: which days and hours count for pace and run-rate forecasts.

Working hours are wall-clock times on local days in the portal's zone; durations are
measured between real instants (in UTC), so an hour lost or gained to DST is counted
as it happened. Nothing here reads the clock; every caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kpi.periods import Period, day_start

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    """The calendar settings cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class WorkCalendar:
    """Working weekdays (0 = Monday) and hours, holidays off, extra working days on."""

    weekdays: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]
    extra_workdays: frozenset[date]
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if not self.weekdays <= frozenset(range(7)):
            msg = f"calendar weekdays must be 0 (Monday) to 6, not {sorted(self.weekdays)}"
            raise CalendarError(msg)
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            msg = "calendar hours are wall-clock times in the portal's zone; drop the tzinfo"
            raise CalendarError(msg)
        if self.start >= self.end:
            msg = f"calendar hours must start before they end, not {self.start}-{self.end}"
            raise CalendarError(msg)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def working_days(self, period: Period) -> int:
        """Working days that the period touches."""
        return sum(1 for day in self._days(period.start, period.end) if self.is_working_day(day))

    def elapsed_working_days(self, period: Period, now: datetime) -> float:
        """Working days of the period before today, plus today's share of working hours."""
        if _utc(now) >= _utc(period.end):
            return float(self.working_days(period))
        if _utc(now) <= _utc(period.start):
            return 0.0
        today = now.astimezone(self.tz).date()
        whole = sum(
            1
            for day in self._days(period.start, day_start(today, self.tz))
            if self.is_working_day(day)
        )
        if not self.is_working_day(today):
            return float(whole)
        opens, closes = self._hours(today)
        done = self.working_seconds(max(opens, period.start, key=_utc), now)
        return whole + done / (closes - opens).total_seconds()

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end) that fall in working hours on working days."""
        begin, finish = _utc(start), _utc(end)
        total = 0.0
        for day in self._days(begin, finish):
            if not self.is_working_day(day):
                continue
            opens, closes = self._hours(day)
            overlap = min(closes, finish) - max(opens, begin)
            total += max(overlap.total_seconds(), 0.0)
        return total

    def elapsed_fraction(self, period: Period, now: datetime) -> float:
        """Elapsed working time over all working time of the period, in [0, 1].

        1 once the period is over (even one with no working time: nothing is left to
        expect); 0 before it and for a running period with no working time at all.
        """
        if _utc(now) >= _utc(period.end):
            return 1.0
        total = self.working_seconds(period.start, period.end)
        if total == 0:
            return 0.0
        # the partial sum repeats the full sum's terms, so it never exceeds it
        return min(self.working_seconds(period.start, now) / total, 1.0)

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        """The day's working hours as UTC instants (a time lost to DST reads as the gap's end)."""
        opens = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def _days(self, start: datetime, end: datetime) -> Iterator[date]:
        """The local days that [start, end) touches."""
        if _utc(end) <= _utc(start):
            return
        day = start.astimezone(self.tz).date()
        last = (_utc(end) - timedelta(microseconds=1)).astimezone(self.tz).date()
        while day <= last:
            yield day
            day += timedelta(days=1)


def from_config(
    weekdays: Sequence[str],
    hours: str,
    holidays: Sequence[str],
    workdays: Sequence[str],
    tz: ZoneInfo,
) -> WorkCalendar:
    """A calendar from the `[calendar]` settings: ["mon", ...], "09:00-18:00", ISO days."""
    unknown = [name for name in weekdays if name.lower() not in WEEKDAY_NAMES]
    if unknown:
        msg = f"calendar.weekdays: unknown day {unknown[0]!r}; use {', '.join(WEEKDAY_NAMES)}"
        raise CalendarError(msg)
    opens, sep, closes = hours.partition("-")
    start, end = _clock(opens, hours), _clock(closes, hours)
    if not sep or start >= end:
        msg = f"calendar.hours: {hours!r} must be 'HH:MM-HH:MM' with the start before the end"
        raise CalendarError(msg)
    return WorkCalendar(
        weekdays=frozenset(WEEKDAY_NAMES.index(name.lower()) for name in weekdays),
        start=start,
        end=end,
        holidays=_days_of("calendar.holidays", holidays),
        extra_workdays=_days_of("calendar.workdays", workdays),
        tz=tz,
    )


def _clock(text: str, hours: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        msg = f"calendar.hours: {hours!r} must be 'HH:MM-HH:MM', for example '09:00-18:00'"
        raise CalendarError(msg) from exc


def _days_of(key: str, values: Sequence[str]) -> frozenset[date]:
    days: set[date] = set()
    for value in values:
        try:
            days.add(date.fromisoformat(value))
        except ValueError as exc:
            msg = f"{key}: {value!r} is not a day; write YYYY-MM-DD, for example 2026-05-01"
            raise CalendarError(msg) from exc
    return frozenset(days)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        msg = f"naive datetime {moment!r}; pass an aware one"
        raise CalendarError(msg)
    return moment.astimezone(UTC)
