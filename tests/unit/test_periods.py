"""Periods: named and custom ranges, labels, previous periods, DST days (hand-computed)."""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.periods import (
    PERIOD_NAMES,
    Period,
    PeriodError,
    day_start,
    parse_period,
    period_choices,
    previous,
    range_period,
)

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")  # its DST starts at midnight: that day begins at 01:00


def msk(*parts: int) -> datetime:
    """A Moscow time from year, month, day and optional hour, minute, second."""
    year, month, day, hour, minute, second = (*parts, 0, 0, 0)[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=MSK)


def hours(period: Period) -> float:
    return (period.end.astimezone(UTC) - period.start.astimezone(UTC)).total_seconds() / 3600


SUNDAY_AFTERNOON = msk(2026, 11, 22, 14, 30)
MONDAY_MIDNIGHT = msk(2026, 11, 16)
SUNDAY_LAST_SECOND = msk(2026, 11, 22, 23, 59, 59)
NEW_YEARS_EVE = msk(2026, 12, 31, 23)
NEW_YEAR = msk(2027, 1, 1)
LEAP_DAY = msk(2028, 2, 29, 12)

D = date
CASES = [
    # now, name, first day, day after the last, running
    (SUNDAY_AFTERNOON, "today", D(2026, 11, 22), D(2026, 11, 23), True),
    (SUNDAY_AFTERNOON, "yesterday", D(2026, 11, 21), D(2026, 11, 22), False),
    (SUNDAY_AFTERNOON, "week", D(2026, 11, 16), D(2026, 11, 23), True),
    (SUNDAY_AFTERNOON, "last_week", D(2026, 11, 9), D(2026, 11, 16), False),
    (SUNDAY_AFTERNOON, "month", D(2026, 11, 1), D(2026, 12, 1), True),
    (SUNDAY_AFTERNOON, "last_month", D(2026, 10, 1), D(2026, 11, 1), False),
    (SUNDAY_AFTERNOON, "quarter", D(2026, 10, 1), D(2027, 1, 1), True),
    (SUNDAY_AFTERNOON, "year", D(2026, 1, 1), D(2027, 1, 1), True),
    (MONDAY_MIDNIGHT, "today", D(2026, 11, 16), D(2026, 11, 17), True),
    (MONDAY_MIDNIGHT, "yesterday", D(2026, 11, 15), D(2026, 11, 16), False),
    (MONDAY_MIDNIGHT, "week", D(2026, 11, 16), D(2026, 11, 23), True),
    (MONDAY_MIDNIGHT, "last_week", D(2026, 11, 9), D(2026, 11, 16), False),
    (SUNDAY_LAST_SECOND, "today", D(2026, 11, 22), D(2026, 11, 23), True),
    (SUNDAY_LAST_SECOND, "week", D(2026, 11, 16), D(2026, 11, 23), True),
    (NEW_YEARS_EVE, "today", D(2026, 12, 31), D(2027, 1, 1), True),
    (NEW_YEARS_EVE, "week", D(2026, 12, 28), D(2027, 1, 4), True),
    (NEW_YEARS_EVE, "last_week", D(2026, 12, 21), D(2026, 12, 28), False),
    (NEW_YEARS_EVE, "month", D(2026, 12, 1), D(2027, 1, 1), True),
    (NEW_YEARS_EVE, "quarter", D(2026, 10, 1), D(2027, 1, 1), True),
    (NEW_YEARS_EVE, "year", D(2026, 1, 1), D(2027, 1, 1), True),
    (NEW_YEAR, "today", D(2027, 1, 1), D(2027, 1, 2), True),
    (NEW_YEAR, "yesterday", D(2026, 12, 31), D(2027, 1, 1), False),
    (NEW_YEAR, "week", D(2026, 12, 28), D(2027, 1, 4), True),
    (NEW_YEAR, "last_week", D(2026, 12, 21), D(2026, 12, 28), False),
    (NEW_YEAR, "month", D(2027, 1, 1), D(2027, 2, 1), True),
    (NEW_YEAR, "last_month", D(2026, 12, 1), D(2027, 1, 1), False),
    (NEW_YEAR, "quarter", D(2027, 1, 1), D(2027, 4, 1), True),
    (NEW_YEAR, "year", D(2027, 1, 1), D(2028, 1, 1), True),
    (LEAP_DAY, "today", D(2028, 2, 29), D(2028, 3, 1), True),
    (LEAP_DAY, "yesterday", D(2028, 2, 28), D(2028, 2, 29), False),
    (LEAP_DAY, "week", D(2028, 2, 28), D(2028, 3, 6), True),
    (LEAP_DAY, "month", D(2028, 2, 1), D(2028, 3, 1), True),
    (LEAP_DAY, "last_month", D(2028, 1, 1), D(2028, 2, 1), False),
    (LEAP_DAY, "quarter", D(2028, 1, 1), D(2028, 4, 1), True),
]


@pytest.mark.parametrize(("now", "name", "first", "after", "running"), CASES)
def test_named_period_edges(
    now: datetime, name: str, first: date, after: date, running: bool
) -> None:
    period = parse_period(name, now=now, tz=MSK)
    assert period.start == msk(first.year, first.month, first.day)
    assert period.end == msk(after.year, after.month, after.day)
    assert period.start.tzinfo is MSK
    assert period.name == name
    assert period.running is running
    assert period.contains(now) is running


LABELS = [
    (SUNDAY_AFTERNOON, "today", "сегодня, 22 ноября", "today, November 22"),
    (SUNDAY_AFTERNOON, "yesterday", "вчера, 21 ноября", "yesterday, November 21"),
    (SUNDAY_AFTERNOON, "week", "неделя 16–22 ноября", "week of November 16–22"),
    (SUNDAY_AFTERNOON, "last_week", "прошлая неделя, 9–15 ноября", "last week, November 9–15"),
    (SUNDAY_AFTERNOON, "month", "ноябрь 2026", "November 2026"),
    (SUNDAY_AFTERNOON, "last_month", "октябрь 2026", "October 2026"),
    (SUNDAY_AFTERNOON, "quarter", "IV квартал 2026", "Q4 2026"),
    (SUNDAY_AFTERNOON, "year", "2026 год", "2026"),
    (
        NEW_YEAR,
        "week",
        "неделя 28 декабря 2026 – 3 января 2027",
        "week of December 28, 2026 – January 3, 2027",
    ),
    (NEW_YEAR, "yesterday", "вчера, 31 декабря", "yesterday, December 31"),
    (NEW_YEAR, "quarter", "I квартал 2027", "Q1 2027"),
    (LEAP_DAY, "week", "неделя 28 февраля – 5 марта", "week of February 28 – March 5"),
    (LEAP_DAY, "today", "сегодня, 29 февраля", "today, February 29"),
    (SUNDAY_AFTERNOON, "2026-03-01..2026-03-15", "1–15 марта 2026", "March 1–15, 2026"),
    (SUNDAY_AFTERNOON, "2026-03-05..2026-03-05", "5 марта 2026", "March 5, 2026"),
    (
        SUNDAY_AFTERNOON,
        "2026-01-30..2026-02-02",
        "30 января – 2 февраля 2026",
        "January 30 – February 2, 2026",
    ),
    (
        SUNDAY_AFTERNOON,
        "2025-12-29..2026-01-04",
        "29 декабря 2025 – 4 января 2026",
        "December 29, 2025 – January 4, 2026",
    ),
]


@pytest.mark.parametrize(("now", "text", "ru", "en"), LABELS)
def test_labels_in_both_languages(now: datetime, text: str, ru: str, en: str) -> None:
    period = parse_period(text, now=now, tz=MSK)
    assert (period.label_ru, period.label_en) == (ru, en)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("сегодня", "today"),
        ("Вчера", "yesterday"),
        ("неделя", "week"),
        ("Эта  неделя", "week"),
        ("ПРОШЛАЯ НЕДЕЛЯ", "last_week"),
        ("месяц", "month"),
        ("этот месяц", "month"),
        ("прошлый месяц", "last_month"),
        ("квартал", "quarter"),
        ("год", "year"),
        (" Today ", "today"),
        ("LAST_MONTH", "last_month"),
        ("last week", "last_week"),
    ],
)
def test_words_in_both_languages(text: str, name: str) -> None:
    period = parse_period(text, now=SUNDAY_AFTERNOON, tz=MSK)
    assert period == parse_period(name, now=SUNDAY_AFTERNOON, tz=MSK)


def test_yo_is_read_as_ye() -> None:
    # nobody types "нёделя", but a keyboard that autocorrects е to ё must not break the word
    assert parse_period("прошлая нёделя", now=SUNDAY_AFTERNOON, tz=MSK).name == "last_week"


def test_range_includes_both_days_and_is_not_running_when_past() -> None:
    period = parse_period(" 2026-03-01 .. 2026-03-15 ", now=SUNDAY_AFTERNOON, tz=MSK)
    assert (period.start, period.end) == (msk(2026, 3, 1), msk(2026, 3, 16))
    assert period.name == "2026-03-01..2026-03-15"
    assert period.kind == "range"
    assert not period.running


def test_range_that_holds_now_is_running() -> None:
    period = parse_period("2026-11-20..2026-11-29", now=SUNDAY_AFTERNOON, tz=MSK)
    assert period.running


def test_range_backwards_is_a_clear_error() -> None:
    with pytest.raises(PeriodError, match=r"starts after it ends: 2026-03-15 > 2026-03-01"):
        parse_period("2026-03-15..2026-03-01", now=SUNDAY_AFTERNOON, tz=MSK)


def test_range_with_an_impossible_day_is_an_error() -> None:
    with pytest.raises(PeriodError, match=r"'2026-02-30' is not a date"):
        parse_period("2026-02-30..2026-03-01", now=SUNDAY_AFTERNOON, tz=MSK)


@pytest.mark.parametrize("text", ["fortnight", "", "2026-03-01", "позавчера", "month!"])
def test_unknown_text_lists_what_is_allowed(text: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, now=SUNDAY_AFTERNOON, tz=MSK)
    message = str(caught.value)
    for allowed in (*PERIOD_NAMES, "прошлый месяц", "YYYY-MM-DD..YYYY-MM-DD"):
        assert allowed in message


def test_choices_are_the_named_periods_and_all_parse() -> None:
    choices = period_choices()
    assert tuple(choice.name for choice in choices) == PERIOD_NAMES
    assert choices[3].label_ru == "Прошлая неделя"
    assert choices[3].label_en == "Last week"
    for choice in choices:
        parse_period(choice.name, now=SUNDAY_AFTERNOON, tz=MSK)


def test_now_in_another_zone_is_read_in_the_portal_zone() -> None:
    # 22:30 UTC on the 21st is already 01:30 on the 22nd in Moscow
    now = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
    assert parse_period("today", now=now, tz=MSK).start == msk(2026, 11, 22)


def test_naive_now_is_refused() -> None:
    with pytest.raises(PeriodError, match="naive"):
        parse_period("today", now=datetime(2026, 11, 22), tz=MSK)  # noqa: DTZ001 - the point


def test_to_date_end_clamps_now_to_the_period() -> None:
    month = parse_period("month", now=SUNDAY_AFTERNOON, tz=MSK)
    assert month.to_date_end(SUNDAY_AFTERNOON) == SUNDAY_AFTERNOON
    assert month.to_date_end(msk(2027, 3, 1)) == month.end
    assert month.to_date_end(msk(2026, 1, 1)) == month.start


def test_midnight_belongs_to_the_next_day_only() -> None:
    today = parse_period("today", now=SUNDAY_AFTERNOON, tz=MSK)
    assert today.contains(msk(2026, 11, 22))
    assert not today.contains(msk(2026, 11, 23))
    assert today.contains(msk(2026, 11, 23) - timedelta(microseconds=1))


# --- DST -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        (BERLIN, date(2026, 3, 29), 23),
        (BERLIN, date(2026, 10, 25), 25),
        (BERLIN, date(2026, 3, 30), 24),
        (NEW_YORK, date(2026, 3, 8), 23),
        (NEW_YORK, date(2026, 11, 1), 25),
        (MSK, date(2026, 3, 29), 24),
        (MSK, date(2026, 10, 25), 24),
        (SANTIAGO, date(2026, 9, 6), 23),
    ],
)
def test_a_day_across_dst_is_23_or_25_hours(tz: ZoneInfo, day: date, length: int) -> None:
    now = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    today = parse_period("today", now=now, tz=tz)
    assert hours(today) == length
    assert today.start.astimezone(tz).date() == day
    assert today.end.astimezone(tz).date() == day + timedelta(days=1)


def test_berlin_dst_offsets_and_week_length() -> None:
    today = parse_period("today", now=datetime(2026, 3, 29, 12, tzinfo=BERLIN), tz=BERLIN)
    assert today.start.utcoffset() == timedelta(hours=1)
    assert today.end.utcoffset() == timedelta(hours=2)
    week = parse_period("week", now=datetime(2026, 3, 29, 12, tzinfo=BERLIN), tz=BERLIN)
    assert hours(week) == 7 * 24 - 1


def test_a_day_that_starts_after_a_midnight_gap_starts_at_one() -> None:
    start = day_start(date(2026, 9, 6), SANTIAGO)
    assert (start.hour, start.minute) == (1, 0)
    assert start.astimezone(UTC) == datetime(2026, 9, 6, 4, tzinfo=UTC)


def test_previous_of_a_running_day_skips_the_lost_hour() -> None:
    # 02:30 did not exist in Berlin on 2026-03-29; the stretch stops at 03:30 CEST
    now = datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)
    before = previous(parse_period("today", now=now, tz=BERLIN), now=now)
    assert before.start == datetime(2026, 3, 29, tzinfo=BERLIN)
    assert before.end.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert before.label_en == "March 29, 2026, until 03:30"
    assert hours(before) == 2.5


def test_now_in_the_repeated_hour_is_inside_its_day() -> None:
    # 02:30 came twice in Berlin on 2026-10-25; the second time (fold=1) is 01:30 UTC
    now = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    today = parse_period("today", now=now, tz=BERLIN)
    assert today.running
    assert today.to_date_end(now).astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


# --- previous periods ----------------------------------------------------------------


def prev_of(text: str, now: datetime, *, at: datetime | None = None) -> Period:
    """The previous period of `text` parsed at `now`, asked at `at` (default: `now`)."""
    return previous(parse_period(text, now=now, tz=MSK), now=at or now)


@pytest.mark.parametrize(
    ("text", "now", "start", "end"),
    [
        # running: the same stretch of the previous period
        ("today", msk(2026, 11, 18, 14, 30), msk(2026, 11, 17), msk(2026, 11, 17, 14, 30)),
        ("week", msk(2026, 11, 18, 14, 30), msk(2026, 11, 9), msk(2026, 11, 11, 14, 30)),
        ("week", SUNDAY_LAST_SECOND, msk(2026, 11, 9), msk(2026, 11, 15, 23, 59, 59)),
        ("month", msk(2026, 11, 22, 14, 30), msk(2026, 10, 1), msk(2026, 10, 22, 14, 30)),
        ("month", msk(2026, 3, 31, 14), msk(2026, 2, 1), msk(2026, 2, 28, 14)),
        ("month", msk(2028, 3, 31, 10), msk(2028, 2, 1), msk(2028, 2, 29, 10)),
        ("month", NEW_YEAR, msk(2026, 12, 1), msk(2026, 12, 1)),
        ("quarter", msk(2026, 5, 31, 9), msk(2026, 1, 1), msk(2026, 2, 28, 9)),
        ("year", LEAP_DAY, msk(2027, 1, 1), msk(2027, 2, 28, 12)),
        ("year", NEW_YEARS_EVE, msk(2025, 1, 1), msk(2025, 12, 31, 23)),
        ("2026-11-20..2026-11-29", SUNDAY_AFTERNOON, msk(2026, 11, 10), msk(2026, 11, 12, 14, 30)),
        # closed: the whole previous period of the same kind
        ("yesterday", SUNDAY_AFTERNOON, msk(2026, 11, 20), msk(2026, 11, 21)),
        ("last_week", SUNDAY_AFTERNOON, msk(2026, 11, 2), msk(2026, 11, 9)),
        ("last_week", NEW_YEAR, msk(2026, 12, 14), msk(2026, 12, 21)),
        ("last_month", SUNDAY_AFTERNOON, msk(2026, 9, 1), msk(2026, 10, 1)),
        ("last_month", NEW_YEAR, msk(2026, 11, 1), msk(2026, 12, 1)),
        ("last_month", msk(2026, 3, 31), msk(2026, 1, 1), msk(2026, 2, 1)),
        ("2026-03-01..2026-03-15", SUNDAY_AFTERNOON, msk(2026, 2, 14), msk(2026, 3, 1)),
        ("2026-01-01..2026-01-01", SUNDAY_AFTERNOON, msk(2025, 12, 31), msk(2026, 1, 1)),
    ],
)
def test_previous_period(text: str, now: datetime, start: datetime, end: datetime) -> None:
    before = prev_of(text, now)
    assert (before.start, before.end) == (start, end)
    assert before.kind == parse_period(text, now=now, tz=MSK).kind
    assert not before.running


def test_previous_of_a_quarter_and_a_year_once_they_are_over() -> None:
    quarter = prev_of("quarter", SUNDAY_AFTERNOON, at=msk(2027, 2, 1))
    assert (quarter.start, quarter.end) == (msk(2026, 7, 1), msk(2026, 10, 1))
    assert (quarter.label_ru, quarter.label_en) == ("III квартал 2026", "Q3 2026")
    year = prev_of("year", SUNDAY_AFTERNOON, at=msk(2027, 3, 1))
    assert (year.start, year.end) == (msk(2025, 1, 1), msk(2026, 1, 1))
    assert (year.label_ru, year.label_en) == ("2025 год", "2025")


def test_previous_labels_and_names() -> None:
    stretch = prev_of("month", msk(2026, 11, 22, 14, 30))
    assert stretch.label_ru == "1–22 октября 2026, до 14:30"
    assert stretch.label_en == "October 1–22, 2026, until 14:30"
    assert stretch.name == "2026-10-01..2026-10-22"
    # a stretch that stops at midnight names its last whole day and no time
    midweek = prev_of("week", msk(2026, 11, 18))
    assert midweek.end == msk(2026, 11, 11)
    assert midweek.label_ru == "9–10 ноября 2026"
    closed = prev_of("last_month", SUNDAY_AFTERNOON)
    assert (closed.label_ru, closed.label_en) == ("сентябрь 2026", "September 2026")
    assert closed.name == "2026-09-01..2026-09-30"
    week = prev_of("last_week", SUNDAY_AFTERNOON)
    assert (week.label_ru, week.label_en) == ("неделя 2–8 ноября", "week of November 2–8")


def test_previous_at_the_first_instant_is_an_empty_stretch() -> None:
    before = prev_of("week", MONDAY_MIDNIGHT)
    assert before.start == before.end == msk(2026, 11, 9)
    assert before.label_en == "November 9, 2026, until 00:00"
    assert not before.contains(msk(2026, 11, 9))


def test_previous_of_a_stretch_steps_back_the_same_stretch() -> None:
    now = msk(2026, 11, 22, 14, 30)
    twice = previous(prev_of("month", now), now=now)
    assert (twice.start, twice.end) == (msk(2026, 9, 1), msk(2026, 9, 22, 14, 30))


def test_a_future_period_compares_with_the_whole_previous_one() -> None:
    future = parse_period("2027-01-01..2027-01-10", now=SUNDAY_AFTERNOON, tz=MSK)
    before = previous(future, now=SUNDAY_AFTERNOON)
    assert (before.start, before.end) == (msk(2026, 12, 22), msk(2027, 1, 1))


def test_a_period_built_by_hand_in_utc_steps_back_by_its_days() -> None:
    zone = ZoneInfo("UTC")
    start, end = datetime(2026, 11, 2, tzinfo=zone), datetime(2026, 11, 9, tzinfo=zone)
    before = previous(Period(start, end, "x", "x", "x", running=False), now=SUNDAY_AFTERNOON)
    assert (before.start, before.end) == (datetime(2026, 10, 26, tzinfo=zone), start)


@pytest.mark.parametrize("start", [datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)])  # noqa: DTZ001 - the point
def test_a_period_needs_a_zone(start: datetime) -> None:
    with pytest.raises(PeriodError, match="ZoneInfo"):
        Period(start, msk(2026, 1, 2), "x", "x", "x", running=False)


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(PeriodError, match="before it starts"):
        Period(msk(2026, 1, 2), msk(2026, 1, 1), "x", "x", "x", running=False)


# --- properties ----------------------------------------------------------------------

ZONES = st.sampled_from([MSK, BERLIN, NEW_YORK, SANTIAGO, ZoneInfo("Australia/Lord_Howe")])
INSTANTS = st.datetimes(
    min_value=datetime(1995, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; made UTC below
    max_value=datetime(2085, 12, 31),  # noqa: DTZ001 - as above
    timezones=st.just(UTC),
)
CURRENT = ("today", "week", "month", "quarter", "year")
PAIRS = (("yesterday", "today"), ("last_week", "week"), ("last_month", "month"))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@settings(max_examples=150, deadline=None)
@given(instant=INSTANTS, tz=ZONES)
def test_named_periods_are_half_open_whole_local_days(instant: datetime, tz: ZoneInfo) -> None:
    now = instant.astimezone(tz)
    periods = {name: parse_period(name, now=now, tz=tz) for name in PERIOD_NAMES}
    for name, period in periods.items():
        assert utc(period.start) < utc(period.end)
        assert period.start == day_start(period.start.date(), tz)
        assert period.end == day_start(period.end.date(), tz)
        assert period.running is (name in CURRENT)
        assert period.contains(now) is period.running
    for before, current in PAIRS:
        assert utc(periods[before].end) == utc(periods[current].start)


def expected_stretch_end(now: datetime, kind: str) -> datetime:
    """Where the previous stretch ends: now's wall time one period back, the day clamped."""
    if kind in ("day", "week"):
        moved = now.date() - timedelta(days=1 if kind == "day" else 7)
    else:
        back = {"month": 1, "quarter": 3, "year": 12}[kind]
        year, month0 = divmod(now.year * 12 + now.month - 1 - back, 12)
        last_day = stdlib_calendar.monthrange(year, month0 + 1)[1]
        moved = date(year, month0 + 1, min(now.day, last_day))
    wall = now.replace(year=moved.year, month=moved.month, day=moved.day)
    return wall.astimezone(UTC)


@settings(max_examples=150, deadline=None)
@given(instant=INSTANTS, tz=ZONES, name=st.sampled_from(CURRENT))
def test_previous_of_a_running_period_ends_at_its_analogue(
    instant: datetime, tz: ZoneInfo, name: str
) -> None:
    now = instant.astimezone(tz)
    current = parse_period(name, now=now, tz=tz)
    before = previous(current, now=now)
    closed = {"today": "yesterday", "week": "last_week", "month": "last_month"}.get(name)
    if closed is not None:
        assert before.start == parse_period(closed, now=now, tz=tz).start
    assert utc(before.start) <= utc(before.end) <= utc(current.start)
    expected = min(
        max(expected_stretch_end(now, current.kind), utc(before.start)), utc(current.start)
    )
    assert utc(before.end) == expected


@settings(max_examples=100, deadline=None)
@given(
    instant=INSTANTS,
    tz=ZONES,
    first=st.dates(date(1995, 1, 1), date(2085, 1, 1)),
    days=st.integers(1, 400),
)
def test_previous_of_a_closed_range_is_the_same_length_just_before(
    instant: datetime, tz: ZoneInfo, first: date, days: int
) -> None:
    last = first + timedelta(days=days - 1)
    now = instant.astimezone(tz)
    period = parse_period(f"{first}..{last}", now=now, tz=tz)
    before = previous(period, now=day_start(last + timedelta(days=1), tz))
    assert before.end == period.start
    assert before.start == day_start(first - timedelta(days=days), tz)


def test_previous_day_where_dst_skips_midnight_starts_at_that_days_midnight() -> None:
    # Chile moves its clocks at midnight: 2032-09-05 starts at 01:00, 2032-09-04 at 00:00.
    tz = ZoneInfo("America/Santiago")
    period = range_period(
        date(2032, 9, 5), date(2032, 9, 5), now=datetime(2033, 1, 1, tzinfo=tz), tz=tz
    )
    before = previous(period, now=datetime(2033, 1, 1, tzinfo=tz))
    assert before.start == datetime(2032, 9, 4, 0, 0, tzinfo=tz)
    assert before.end == period.start
