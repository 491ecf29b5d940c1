"""The working calendar: working days, working seconds, elapsed share (hand-computed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.calendar import CalendarError, WorkCalendar, from_config
from kpi.periods import Period, parse_period

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
HOUR = 3600


def msk(*parts: int) -> datetime:
    """A Moscow time from year, month, day and optional hour, minute, second."""
    year, month, day, hour, minute, second = (*parts, 0, 0, 0)[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=MSK)


def moscow(holidays: Sequence[str] = (), workdays: Sequence[str] = ()) -> WorkCalendar:
    return from_config(WEEKDAYS, "09:00-18:00", holidays, workdays, MSK)


def period(text: str, now: datetime) -> Period:
    return parse_period(text, now=now, tz=MSK)


# Russia, 2026: May 1 (Friday) and May 11 (for May 9, a Saturday) are days off;
# November 4 (Wednesday) is a day off.
MAY = ["2026-05-01", "2026-05-11"]
NOVEMBER = ["2026-11-04"]


def test_from_config_reads_the_calendar_section() -> None:
    calendar = from_config(["Mon", "sat"], "08:30-17:15", ["2026-01-01"], ["2026-01-03"], MSK)
    assert calendar == WorkCalendar(
        weekdays=frozenset({0, 5}),
        start=time(8, 30),
        end=time(17, 15),
        holidays=frozenset({date(2026, 1, 1)}),
        extra_workdays=frozenset({date(2026, 1, 3)}),
        tz=MSK,
    )


@pytest.mark.parametrize(
    ("weekdays", "hours", "holidays", "match"),
    [
        (["mo"], "09:00-18:00", [], r"calendar.weekdays: unknown day 'mo'"),
        (WEEKDAYS, "18:00-09:00", [], r"calendar.hours: '18:00-09:00'"),
        (WEEKDAYS, "09:00", [], r"calendar.hours: '09:00'"),
        (WEEKDAYS, "9am-6pm", [], r"calendar.hours: '9am-6pm'"),
        (WEEKDAYS, "09:00-18:00", ["2026-13-01"], r"calendar.holidays: '2026-13-01'"),
    ],
)
def test_bad_settings_name_the_key(
    weekdays: list[str], hours: str, holidays: list[str], match: str
) -> None:
    with pytest.raises(CalendarError, match=match):
        from_config(weekdays, hours, holidays, [], MSK)


def test_working_days_skip_weekends_and_holidays_and_add_extra_days() -> None:
    may = period("2026-05-01..2026-05-31", msk(2026, 6, 1))
    assert moscow().working_days(may) == 21
    assert moscow(MAY).working_days(may) == 19
    assert moscow(MAY, ["2026-05-16"]).working_days(may) == 20
    calendar = moscow(MAY, ["2026-05-16"])
    assert not calendar.is_working_day(date(2026, 5, 1))
    assert calendar.is_working_day(date(2026, 5, 16))
    assert not calendar.is_working_day(date(2026, 5, 17))
    assert calendar.is_working_day(date(2026, 5, 12))


def test_working_seconds_count_only_hours_on_working_days() -> None:
    calendar = moscow(NOVEMBER)
    # Monday 10:00 to Tuesday 12:00: 8 h on Monday, 3 h on Tuesday
    assert calendar.working_seconds(msk(2026, 11, 16, 10), msk(2026, 11, 17, 12)) == 11 * HOUR
    # Tuesday 17:00 to Thursday 10:00 over the Wednesday holiday: 1 h + 1 h
    assert calendar.working_seconds(msk(2026, 11, 3, 17), msk(2026, 11, 5, 10)) == 2 * HOUR
    assert calendar.working_seconds(msk(2026, 11, 21), msk(2026, 11, 23)) == 0
    assert calendar.working_seconds(msk(2026, 11, 17), msk(2026, 11, 16)) == 0
    # the same instants given in UTC
    start, end = msk(2026, 11, 16, 10).astimezone(UTC), msk(2026, 11, 16, 12).astimezone(UTC)
    assert calendar.working_seconds(start, end) == 2 * HOUR


@pytest.mark.parametrize(("day", "length"), [(date(2026, 3, 29), 5), (date(2026, 10, 25), 7)])
def test_working_seconds_follow_dst(day: date, length: int) -> None:
    # a night shift 00:00-06:00 holds the 02:00/03:00 change: 5 real hours in March, 7 in October
    night = from_config(["sun"], "00:00-06:00", [], [], BERLIN)
    start = datetime(day.year, day.month, day.day, tzinfo=BERLIN)
    assert night.working_seconds(start, start + timedelta(days=1)) == length * HOUR
    office = from_config(["sun"], "09:00-18:00", [], [], BERLIN)
    assert office.working_seconds(start, start + timedelta(days=1)) == 9 * HOUR


WEEK_NOW = msk(2026, 11, 18)  # a Wednesday; the week is Monday 16 to Sunday 22 November


@pytest.mark.parametrize(
    ("now", "fraction"),
    [
        (msk(2026, 11, 16, 9), 0.0),
        (msk(2026, 11, 16, 13, 30), 4.5 / 45),
        (msk(2026, 11, 16, 18), 9 / 45),
        (msk(2026, 11, 18, 8), 18 / 45),
        (msk(2026, 11, 20, 18), 1.0),
        (msk(2026, 11, 21, 12), 1.0),  # Saturday: the working week is done
        (msk(2026, 11, 15, 12), 0.0),  # before the period
        (msk(2026, 11, 23), 1.0),  # at its end
        (msk(2027, 1, 1), 1.0),  # after it
    ],
)
def test_elapsed_fraction_of_a_week(now: datetime, fraction: float) -> None:
    assert moscow().elapsed_fraction(period("week", WEEK_NOW), now) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (msk(2026, 11, 1, 12), 0.0),  # Sunday the 1st
        (msk(2026, 11, 2, 9), 0.0),
        (msk(2026, 11, 2, 13, 30), 0.5),
        (msk(2026, 11, 2, 18), 1.0),
        (msk(2026, 11, 4, 12), 2.0),  # the holiday adds nothing
        (msk(2026, 11, 18, 8), 11.0),
        (msk(2026, 11, 18, 13, 30), 11.5),
        (msk(2026, 11, 18, 20), 12.0),
        (msk(2026, 11, 22, 14), 14.0),  # Sunday
        (msk(2026, 12, 1), 20.0),
        (msk(2026, 10, 31), 0.0),
    ],
)
def test_elapsed_working_days_of_november(now: datetime, days: float) -> None:
    november = period("month", msk(2026, 11, 10))
    calendar = moscow(NOVEMBER)
    assert calendar.working_days(november) == 20
    assert calendar.elapsed_working_days(november, now) == pytest.approx(days)
    assert calendar.elapsed_fraction(november, now) == pytest.approx(days / 20)


def test_a_period_without_working_time() -> None:
    weekend = period("2026-11-21..2026-11-22", msk(2026, 11, 21, 12))
    calendar = moscow()
    assert calendar.working_days(weekend) == 0
    assert calendar.elapsed_fraction(weekend, msk(2026, 11, 21, 12)) == 0.0
    assert calendar.elapsed_working_days(weekend, msk(2026, 11, 21, 12)) == 0.0
    assert calendar.elapsed_fraction(weekend, msk(2026, 11, 23)) == 1.0


def test_an_extra_working_saturday_counts_in_the_fraction() -> None:
    week = period("week", WEEK_NOW)
    calendar = moscow([], ["2026-11-21"])
    assert calendar.working_days(week) == 6
    assert calendar.elapsed_fraction(week, msk(2026, 11, 21, 9)) == pytest.approx(45 / 54)


def test_a_to_date_stretch_counts_its_partial_last_day() -> None:
    stretch = Period(msk(2026, 11, 16), msk(2026, 11, 17, 13, 30), "x", "x", "x", running=False)
    calendar = moscow()
    assert calendar.working_days(stretch) == 2
    assert calendar.working_seconds(stretch.start, stretch.end) == 13.5 * HOUR


def test_invalid_calendar_is_refused() -> None:
    with pytest.raises(CalendarError, match="0 \\(Monday\\) to 6"):
        WorkCalendar(frozenset({7}), time(9), time(18), frozenset(), frozenset(), MSK)
    with pytest.raises(CalendarError, match="start before they end"):
        WorkCalendar(frozenset({0}), time(18), time(9), frozenset(), frozenset(), MSK)


# --- properties ----------------------------------------------------------------------

INSTANTS = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001 - hypothesis bounds are naive; made UTC below
    max_value=datetime(2027, 2, 1),  # noqa: DTZ001 - as above
    timezones=st.just(UTC),
)
CALENDARS = st.builds(
    lambda days, opens, length, zone: WorkCalendar(
        frozenset(days), time(opens), time(opens + length), frozenset(), frozenset(), zone
    ),
    st.sets(st.integers(0, 6)),
    st.integers(0, 12),
    st.integers(1, 11),
    st.sampled_from([MSK, BERLIN, ZoneInfo("America/New_York")]),
)


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, name=st.sampled_from(["week", "month", "quarter"]), data=st.data())
def test_elapsed_fraction_is_monotonic_and_bounded(
    calendar: WorkCalendar, name: str, data: st.DataObject
) -> None:
    anchor, first, second = (data.draw(INSTANTS) for _ in range(3))
    earlier, later = sorted((first, second))
    chosen = parse_period(name, now=anchor, tz=calendar.tz)
    low, high = (
        calendar.elapsed_fraction(chosen, earlier),
        calendar.elapsed_fraction(chosen, later),
    )
    assert 0.0 <= low <= high <= 1.0
    days_low = calendar.elapsed_working_days(chosen, earlier)
    days_high = calendar.elapsed_working_days(chosen, later)
    assert 0.0 <= days_low <= days_high <= calendar.working_days(chosen)


@settings(max_examples=100, deadline=None)
@given(instant=INSTANTS, holiday=st.dates(date(2025, 12, 1), date(2027, 2, 1)))
def test_fraction_agrees_with_working_days_where_every_day_is_alike(
    instant: datetime, holiday: date
) -> None:
    # Moscow keeps no DST, so every working day has 9 hours and both measures agree
    calendar = moscow([holiday.isoformat()])
    month = parse_period("month", now=instant, tz=MSK)
    total = calendar.working_days(month)
    expected = calendar.elapsed_working_days(month, instant) / total
    assert calendar.elapsed_fraction(month, instant) == pytest.approx(expected)
