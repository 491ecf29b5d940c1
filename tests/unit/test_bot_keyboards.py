"""Callback data stay within Telegram's 64 bytes and carry a report back unchanged."""

from __future__ import annotations

from datetime import date

from bot.args import COMPANY, Target
from bot.telegram.callbacks import (
    Action,
    ListCb,
    PeriodWord,
    ReportCb,
    list_cb,
    period_of,
    report_cb,
    target_of,
)
from bot.telegram.keyboards import list_keyboard, report_keyboard
from bot.telegram.present import list_page
from kpi.periods import parse_period, range_period
from locales import use
from tests.fakes.bot_world import Item
from tests.kpi_data import MSK, at

NOW = at(MSK, 2026, 3, 6, 12)
BIG = Target("department", 9_999_999_999, "")


def test_the_longest_buttons_fit_64_bytes_and_round_trip() -> None:
    period = range_period(date(2026, 12, 1), date(2026, 12, 31), now=NOW, tz=MSK)
    longest = report_cb("conversion", Action.EXPORT, period, BIG).pack()
    assert len(longest.encode()) <= 64
    back = ReportCb.unpack(longest)
    assert back.period is PeriodWord.RANGE
    assert period_of(back, now=NOW, tz=MSK).name == "2026-12-01..2026-12-31"
    assert target_of(back) == Target("department", 9_999_999_999, "")
    listed = list_cb("open_missed", period, BIG, page=999, edit=True).pack()
    assert len(listed.encode()) <= 64
    assert ListCb.unpack(listed).page == 999


def test_named_periods_are_sent_back_as_words() -> None:
    week = parse_period("last_week", now=NOW, tz=MSK)
    data = ReportCb.unpack(report_cb("rating", Action.EDIT, week, COMPANY).pack())
    assert (data.period, data.first, data.last) == (PeriodWord.LAST_WEEK, 0, 0)
    assert target_of(data) == COMPANY
    # a named period means "as of the press": a week later it is another week
    later = period_of(data, now=at(MSK, 2026, 3, 13, 12), tz=MSK)
    assert later.name == "last_week" and later.start.date() == date(2026, 3, 2)


def test_report_keyboard_marks_the_period_and_lists_only_what_is_there() -> None:
    month = parse_period("month", now=NOW, tz=MSK)
    with use("en"):
        markup = report_keyboard("coverage", month, COMPANY, {"uncovered": 3, "overdue": 0})
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows[0] == ["Today", "Yesterday", "Week", "Last week"]
    assert rows[1] == ["• Month", "Last month", "Quarter", "Year"]
    assert rows[2] == ["Not contacted (3)"]


def test_list_pages() -> None:
    items = [Item(f"Client {n}", None, "no contact") for n in range(5)]
    with use("en"):
        text, pages = list_page("Not contacted", items, 2, 2)
    assert pages == 3
    assert text.splitlines() == ["<b>Not contacted</b>", "5. Client 4 — no contact", "page 3 of 3"]
    first = ListCb.unpack(
        list_cb("uncovered", parse_period("week", now=NOW, tz=MSK), COMPANY).pack()
    )
    nav = list_keyboard(first, pages)
    assert nav is not None
    assert [b.text for b in nav.inline_keyboard[0]] == ["▶"]
    assert list_keyboard(first, 1) is None
    empty, _ = list_page("Overdue", [], 0, 10)  # the default language: Russian
    assert "Список пуст." in empty
