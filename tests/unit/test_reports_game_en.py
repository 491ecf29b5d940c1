"""The xlsx workbook and the contest, streak and badge posts in English.

Built for real under ``locales.use("en")``: every report's workbook from the small store of
``reports_fixtures`` (opened with openpyxl), and each post a team chat gets from a contest, a
streak or a badge. No Russian may be left once the fixture's generated names (people,
companies, stages from the portal) are taken out. Russian stays pinned by test_reports_excel,
test_reports_game and test_jobs_contests.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from charts.draw_page import Header
from charts.draw_podium import Place
from kpi.contests import Standing, Standings
from kpi.periods import parse_period, range_period
from kpi.scope import Employee, Scope, company_scope
from locales import use
from reports import game_posts
from reports.build import REPORT_NAMES, Report, build_report, report_xlsx
from reports.caption import captions, telegram
from reports.game_badges import badge_detail, badge_post, broken_text, group_text, record_text
from reports.game_morning import morning_blocks
from reports.game_posts import (
    nudge_text,
    result_post,
    standings_text,
    start_text,
    winner_text,
)
from reports.markup import TELEGRAM_MESSAGE
from reports.text import Fmt, short
from store.game_models import Contest
from tests.kpi_data import MSK
from tests.unit import chart_fixtures as fx
from tests.unit import reports_fixtures as rf

CYRILLIC = re.compile("[А-Яа-яЁё]")
NOW = datetime(2026, 12, 10, 6, 5, tzinfo=UTC)  # 09:05 in Moscow
PEOPLE = ("Anna Petrova", "Boris Ivanov", "Carla Diaz", "Dan Brown", "Eve Stone")
# the company scope: kpi's "Компания" is a word of ours, so it must come out as "Company"
SCOPE = Scope(
    "company", None, "Компания", tuple(Employee(n + 1, p, 1) for n, p in enumerate(PEOPLE))
)
FMT = Fmt(MSK, NOW)


def english(text: str, names: Sequence[str] = ()) -> str:
    """``text`` itself, after checking it has no Russian besides the generated ``names``."""
    rest = text
    for name in names:
        rest = rest.replace(name, "")
    assert not CYRILLIC.search(rest), f"Russian left in {text!r}"
    return text


# --- the workbook ---------------------------------------------------------------------------


def store_names(data: Any) -> list[str]:
    """Every Cyrillic text of the fixture store's rows (names, titles, stages), longest first."""
    found = {
        value
        for rows in data.rows.values()
        for row in rows
        for value in row.values()
        if isinstance(value, str) and CYRILLIC.search(value)
    }
    return sorted(found, key=len, reverse=True)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("excel_en") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def reports(engine: Engine) -> dict[str, Report]:
    conf = rf.settings()
    with use("en"), Session(engine) as session:
        week = parse_period("week", now=rf.NOW, tz=MSK)
        scope = company_scope(session, conf)
        return {
            name: build_report(session, conf, name, week, scope, now=rf.NOW, render=False)
            for name in REPORT_NAMES
        }


def workbook_texts(data: bytes) -> tuple[list[str], list[str]]:
    """The sheet names and every string cell of an .xlsx file."""
    wb = load_workbook(io.BytesIO(data))
    cells = [
        cell
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]
    return wb.sheetnames, cells


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_workbook_reads_in_english(name: str, reports: dict[str, Report]) -> None:
    names = store_names(rf.store())
    with use("en"):
        data = report_xlsx(reports[name])
    sheets, cells = workbook_texts(data)
    assert sheets[0] == "Summary"
    for text in [*sheets, *cells]:
        english(text, names)


def test_the_workbook_speaks_sales_ops(reports: dict[str, Report]) -> None:
    with use("en"):
        rating = load_workbook(io.BytesIO(report_xlsx(reports["rating"])))
        calls = load_workbook(io.BytesIO(report_xlsx(reports["calls"])))
        kpi = load_workbook(io.BytesIO(report_xlsx(reports["kpi"])))
    assert rating.sheetnames == ["Summary", "Leaderboard"]
    head = [c.value for c in rating["Leaderboard"][1]]
    assert head[:4] == ["Rank", "Rep", "ID", "Points"]
    assert "Deals won" in head and "Revenue" in head
    # kpi's total row is a word of ours, translated like the headers
    assert rating["Leaderboard"].cell(rating["Leaderboard"].max_row, 2).value == "Total"
    assert calls.sheetnames == ["Summary", "Calls", "By hour", "By day", "By client"]
    by_day = calls["By day"]
    assert [c.value for c in by_day[1]] == ["Day", "Calls", "Missed"]
    assert by_day["A2"].number_format == "mmm d, yyyy"  # as the captions write a day
    metrics = {row[2] for row in kpi["KPI"].iter_rows(min_row=2, values_only=True)}
    assert {"Calls", "Revenue"} <= metrics
    # a streak names its metric as people do, not by its config key
    with use("en"):
        streaks = load_workbook(io.BytesIO(report_xlsx(reports["streaks"])))["Streaks"]
    shown = {row[2] for row in streaks.iter_rows(min_row=2, values_only=True)}
    assert shown and not shown & {"calls", "revenue", "successful_calls", "talk_minutes"}


def test_the_contest_and_badge_tables_read_in_english() -> None:
    with use("en"):
        result = result_post(standings(status="finished"), FMT, now=NOW, render=False)
        badge = badge_post(
            "badge:1", "calls_day", "Anna Petrova", "Nov 3, 2026: 104 calls in one day",
            SCOPE, now=NOW, scope_tz=MSK, render=False,
        )  # fmt: skip
        contest_book = load_workbook(io.BytesIO(report_xlsx(result.reports[0])))
        badge_book = load_workbook(io.BytesIO(report_xlsx(badge.reports[0])))
    assert contest_book.sheetnames == ["Summary", "Results"]
    rows = list(contest_book["Results"].iter_rows(values_only=True))
    assert rows[0] == ("Rank", "Rep", "Value")
    assert rows[1] == (1, "Anna Petrova", 42)
    assert list(badge_book["Badge"].iter_rows(values_only=True)) == [
        ("Rep", "Badge"),
        ("Anna Petrova", "100-Call Day"),
    ]
    for book in (contest_book, badge_book):
        for ws in book.worksheets:
            for row in ws.iter_rows(values_only=True):
                for cell in row:
                    english(str(cell))


# --- contest posts --------------------------------------------------------------------------


def standings(
    *,
    kind: str = "top",
    status: str = "running",
    target: str | None = None,
    values: tuple[int, ...] = (42, 37, 20, 5, 1),
    mode: str = "sum",
) -> Standings:
    contest = Contest(
        id=7,
        name="December Sprint",
        metric="calls",
        kind=kind,
        start_day=date(2026, 12, 1),
        end_day=date(2026, 12, 31),
        target=target,
        team_mode=mode,
        prize="Dinner for two",
        created_at=NOW,
    )
    rows = tuple(
        Standing(n + 1, n + 1, PEOPLE[n], Decimal(v), Decimal(0)) for n, v in enumerate(values)
    )
    period = range_period(date(2026, 12, 1), date(2026, 12, 10), now=NOW, tz=MSK)
    return Standings(contest, status, period, SCOPE, rows, kind == "teams")


def every_contest_text() -> list[str]:
    """Each contest text both chats get, Telegram HTML and Bitrix24 BB-code."""
    running, race = standings(), standings(kind="target", target="40")
    texts = [
        *start_text(running, FMT),
        *start_text(standings(status="scheduled"), FMT),
        *start_text(standings(kind="target", target="50"), FMT),
        *start_text(standings(kind="teams", mode="average"), FMT),
        *start_text(standings(kind="teams"), FMT),
        *start_text(standings(values=(0, 0, 0, 0, 0)), FMT),
        *standings_text(running, FMT, new_leader=True),
        *standings_text(race, FMT, new_leader=False),
        *winner_text(race, race.rows[0], FMT),
        *nudge_text(running, running.rows[1], running.rows[0], FMT),
        telegram(morning_blocks([running, standings(values=(0,))], FMT), TELEGRAM_MESSAGE),
    ]
    for st in (standings(status="finished"), standings(status="finished", values=(0, 0))):
        post = result_post(st, FMT, now=NOW, render=False)
        (report,) = post.reports
        texts += [post.caption_html, post.caption_bb, report.title, report.caption_html]
    return texts


def test_every_contest_post_reads_in_english() -> None:
    with use("en"):
        texts = every_contest_text()
    for text in texts:
        english(text)


def test_contest_posts_sound_like_a_sales_team_bot() -> None:
    with use("en"):
        start = start_text(standings(), FMT)[0]
        leader = standings_text(standings(), FMT, new_leader=True)[0]
        race = standings_text(standings(kind="target", target="40"), FMT, new_leader=False)[0]
        st = standings()
        nudge = nudge_text(st, st.rows[1], st.rows[0], FMT)[0]
        scheduled = start_text(standings(status="scheduled"), FMT)[0]
        morning = telegram(morning_blocks([st], FMT), TELEGRAM_MESSAGE)
    assert start.splitlines()[:4] == [
        "<b>🚀 “December Sprint” is on!</b>",
        "Calls · Top performer · Dec 1–Dec 31 · Company",
        "🎁 Prize: <b>Dinner for two</b>",
        "1. <b>Anna Petrova</b> — 42\xa0calls",
    ]
    assert start.splitlines()[-1] == "5. Eve Stone — 1\xa0call"
    assert leader.splitlines()[0] == "<b>🔄 New leader in “December Sprint”</b>"
    assert "2. Boris Ivanov — 37\xa0calls (3 to go)" in race.splitlines()
    assert "1. <b>Anna Petrova</b> — 42\xa0calls ✅" in race.splitlines()
    assert nudge.splitlines() == [
        "<b>🏁 “December Sprint”</b>: you're #2",
        "Another <b>6\xa0calls</b> and you'll overtake Anna Petrova (#1).",
    ]
    assert "Starts <b>Dec 1</b>, ends Dec 31." in scheduled.splitlines()
    assert morning.startswith("🏁 <b>“December Sprint”</b>, ends Dec 31: 1. Anna Petrova 42")


def test_the_podium_is_drawn_with_english_words(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: dict[str, Any] = {}

    def podium(header: Header, places: list[Place], **rest: Any) -> bytes:
        drawn.update(header=header, places=places, **rest)
        return b"png"

    monkeypatch.setattr(game_posts, "render_podium", podium)
    with use("en"):
        post = result_post(standings(status="finished"), FMT, now=NOW, render=True)
    header: Header = drawn["header"]
    assert header.title == "Final results: “December Sprint”"
    assert header.subtitle == "Calls · December 1–10, 2026 · Company"
    assert header.footer == "as of 09:05"
    assert drawn["note"] == "plus 2 participants; 4th: Dan Brown, 5 calls"
    assert drawn["prize"] == "Prize: Dinner for two"
    assert [p.value for p in drawn["places"]] == ["42\xa0calls", "37\xa0calls", "20\xa0calls"]
    assert drawn["words"].language == "en"
    assert post.reports[0].title == "🏆 Results: “December Sprint”"


# --- streaks and badges ---------------------------------------------------------------------


def test_streak_and_badge_posts_read_in_english() -> None:
    names = [*fx.NAMES, *(short(n) for n in fx.NAMES)]
    names.sort(key=len, reverse=True)
    with use("en"):
        caption = captions("streaks", "🔥 Streaks", fx.streaks(), FMT, {})
        empty = captions("streaks", "🔥 Streaks", fx.streaks(0), FMT, {})
        idle = captions("streaks", "🔥 Streaks", idle_streaks(), FMT, {})
        details = [
            badge_detail(rule, Decimal(value), first, last, FMT)
            for rule, value, first, last in BADGES
        ]
        post = badge_post(
            "badge:1", "plan_months", "Anna Petrova", details[3], SCOPE,
            now=NOW, scope_tz=MSK, render=False,
        )  # fmt: skip
        texts = [
            caption.caption_html,
            caption.text_html,
            empty.caption_html,
            idle.caption_html,
            post.caption_html,
            post.caption_bb,
            post.reports[0].title,
            post.reports[0].caption_html,
            *details,
            *record_text("Anna Petrova", "calls", 5, 3),
            *record_text("Anna Petrova", "talk_minutes", 2, 0),
            *broken_text("Anna Petrova", "meetings", 4),
            *group_text("first_deal_month", "November 2026", list(PEOPLE[:4])),
        ]
    for text in texts:
        english(text, names)
    assert "No monthly plans, so no streaks" in empty.caption_html
    assert "Nobody is on a streak" in idle.caption_html


BADGES = (
    ("calls_day", 104, date(2026, 11, 3), date(2026, 11, 3)),
    ("first_deal_month", 1, date(2026, 11, 2), date(2026, 11, 2)),
    ("best_week", Decimal("87.5"), date(2026, 11, 2), date(2026, 11, 8)),
    ("plan_months", 3, date(2026, 9, 1), date(2026, 11, 30)),
    ("fastest_callback", 754, date(2026, 11, 1), date(2026, 11, 30)),
)


def idle_streaks() -> Any:
    """Plans but nobody on a streak today."""
    report = fx.streaks()
    return replace(report, rows=tuple(replace(r, current=0) for r in report.rows))


def test_streak_and_badge_words_read_naturally() -> None:
    with use("en"):
        details = [
            badge_detail(rule, Decimal(value), first, last, FMT)
            for rule, value, first, last in BADGES
        ]
        record = record_text("Anna Petrova", "calls", 5, 3)
        broken = broken_text("Anna Petrova", "calls", 1)
        group = group_text("first_deal_month", "November 2026", list(PEOPLE[:4]))
        post = badge_post(
            "badge:1", "calls_day", "Anna Petrova", details[0], SCOPE,
            now=NOW, scope_tz=MSK, render=False,
        )  # fmt: skip
    assert [d.replace("\xa0", " ") for d in details] == [
        "November 3, 2026: 104 calls in one day",
        "November 2, 2026: the team's first deal won this month",
        "November 2–8, 2026: 87.5 points, best week in six months",
        "September 1 – November 30, 2026: hit the plan 3 months in a row",
        "November 1–30, 2026: called back in 12 min on average, fastest on the team",
    ]
    assert record[0].replace("\xa0", " ") == (
        "<b>🔥 New personal best streak!</b>\n"
        "<b>Anna Petrova</b> hit the daily calls plan 5 days in a row (previous best: 3 days)"
    )
    assert record[1].startswith("[b]🔥 New personal best streak![/b]")
    assert broken[0].replace("\xa0", " ") == (
        "<b>💔 Streak broken</b>\n"
        "<b>Anna Petrova</b>'s calls streak ended at 1 day. Tomorrow's a fresh start!"
    )
    assert group[0] == (
        "<b>🏅 “First Deal of the Month” badge (November 2026)</b>\n"
        "Earned by 4: <b>Anna Petrova, Boris Ivanov, Carla Diaz, Dan Brown</b>"
    )
    assert post.caption_html.splitlines()[0] == "<b>🏅 New badge: 100-Call Day</b>"
    assert post.reports[0].caption_html == "<b>🏅 100-Call Day: Anna Petrova</b>"
