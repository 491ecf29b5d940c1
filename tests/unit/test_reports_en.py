"""Reports in English: every caption, text and post without Russian but the portal's own
names, English figures (₽1,234, 41%, 12.5, pp, Mar 4 dates), and the JSON unchanged."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import locales
from kpi.conversion import NO_SOURCE, TYPE_NAMES
from kpi.deals import TOTAL_NAME
from kpi.missed import NULL_EMPLOYEE
from kpi.periods import parse_period
from kpi.scope import company_scope, employee_scope
from reports.build import REPORT_NAMES, Report, build_report
from reports.kpi_words import KPI_WORDS, kpi_word, period_label, scope_kind
from reports.markup import bb_text
from reports.morning import Post, morning_post, weekly_post
from reports.text import Fmt, change, count, number, percent, points, rank_change, short
from tests.kpi_data import MSK, at
from tests.kpi_sales_data import sales_team
from tests.unit import reports_fixtures as rf

CYRILLIC = re.compile("[А-Яа-яЁё]")
THURSDAY = at(MSK, 2026, 3, 5, 9)
MONDAY = at(MSK, 2026, 3, 9, 9)


def plain(text: str) -> str:
    """No-break and narrow no-break spaces as plain ones, for comparing with a literal."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a kpi result object: what the portal gave the report."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, frozenset, set)):
        for item in value:
            yield from _strings(item)


def portal_names(*figures: Any) -> list[str]:
    """People, companies, stages, sources, reasons, tasks: shown as the portal names them.

    kpi's own words ("Итого", "Без источника") are not among them: reports translate those.
    Each name also in the forms a caption may show it: cut to fit, made inert for BB-code.
    """
    found = {s for f in figures for s in _strings(f) if CYRILLIC.search(s)} - KPI_WORDS
    forms = {form for s in found for form in (s, short(s), bb_text(s), bb_text(short(s)))}
    return sorted(forms, key=len, reverse=True)


def russian_left(text: str, names: list[str]) -> list[str]:
    """The lines of ``text`` that still hold Cyrillic once the portal's names are out."""
    left = []
    for shown in text.splitlines():
        rest = shown
        for name in names:
            rest = rest.replace(name, "")
        if CYRILLIC.search(rest):
            left.append(shown)
    return left


def texts(report: Report | Post) -> dict[str, str]:
    """Every chat version of a report or post as the reader sees it."""
    out = {
        "caption_html": rf.telegram_text(report.caption_html),
        "caption_bb": rf.check_bb(report.caption_bb),
    }
    if isinstance(report, Report):
        out["text_html"] = rf.telegram_text(report.text_html)
        out["text_bb"] = rf.check_bb(report.text_bb)
    return out


def post_figures(post: Post) -> list[Any]:
    return [r.figures for r in post.reports]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("reports_en") / "store.db")
    yield engine
    engine.dispose()


def _build(engine: Engine, lang: str, scope_of: Any = None) -> dict[str, Report]:
    conf = rf.settings()
    week = parse_period("week", now=rf.NOW, tz=MSK)
    with locales.use(lang), Session(engine) as session:
        scope = company_scope(session, conf) if scope_of is None else scope_of(session, conf)
        return {
            name: build_report(session, conf, name, week, scope, now=rf.NOW, render=False)
            for name in REPORT_NAMES
        }


@pytest.fixture(scope="module")
def english(engine: Engine) -> dict[str, Report]:
    return _build(engine, "en")


@pytest.fixture(scope="module")
def russian(engine: Engine) -> dict[str, Report]:
    return _build(engine, "ru")


@pytest.fixture(scope="module")
def posts(engine: Engine) -> dict[str, Post]:
    conf = rf.settings()
    with locales.use("en"), Session(engine) as session:
        scope = company_scope(session, conf)
        return {
            "morning": morning_post(session, conf, scope, now=THURSDAY, render=False),
            "weekly": weekly_post(session, conf, scope, now=MONDAY, render=False),
        }


# --- no Russian in English ------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_english_report_has_no_russian_but_the_portals_names(
    name: str, english: dict[str, Report]
) -> None:
    report = english[name]
    names = portal_names(report.figures)
    for kind, text in texts(report).items():
        assert russian_left(text, names) == [], f"{name} {kind}"
    assert not CYRILLIC.search(report.title)


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_the_check_would_see_russian(name: str, russian: dict[str, Report]) -> None:
    # the same report in Russian is full of it: the English test above is not vacuous
    report = russian[name]
    assert russian_left(texts(report)["text_html"], portal_names(report.figures))


@pytest.mark.parametrize("kind", ["morning", "weekly"])
def test_english_posts_have_no_russian_but_the_portals_names(
    kind: str, posts: dict[str, Post]
) -> None:
    post = posts[kind]
    names = portal_names(*post_figures(post))
    for version, text in texts(post).items():
        assert russian_left(text, names) == [], f"{kind} {version}"


def test_an_empty_store_reports_in_english(tmp_path: Path) -> None:
    """The first run: nothing but the team, no sync finished; every 'nothing' line too."""
    engine = rf.open_store(tmp_path / "empty.db", data=sales_team(), as_of=None)
    try:
        reports = _build(engine, "en")
    finally:
        engine.dispose()
    for name, report in reports.items():
        lines = texts(report)["text_html"].splitlines()
        assert russian_left("\n".join(lines), portal_names(report.figures)) == [], name
        assert lines[-1] == "⚠️ no data from Bitrix24 yet", name
    assert "No calls in this period" in texts(reports["calls"])["caption_html"]
    assert "No missed calls" in texts(reports["missed"])["caption_html"]


def test_one_persons_reports_name_the_scope_in_english(engine: Engine) -> None:
    reports = _build(engine, "en", lambda s, conf: employee_scope(s, conf, 10))
    for name, report in reports.items():
        first = texts(report)["caption_html"].splitlines()[0]
        assert first.endswith(" · week of March 2–8 · Anna Orlova"), name
        assert russian_left(texts(report)["text_html"], portal_names(report.figures)) == []


def _in_english(value: Any) -> Any:
    """A Russian report's JSON with kpi's own words put in English, and nothing else."""
    if isinstance(value, dict):
        return {key: _in_english(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_english(item) for item in value]
    with locales.use("en"):
        return kpi_word(value) if isinstance(value, str) else value


def test_json_keeps_keys_and_figures_and_speaks_the_labels(
    english: dict[str, Report], russian: dict[str, Report]
) -> None:
    """Only kpi's own labels change with the language: "Итого" is "Total" in English."""
    for name in REPORT_NAMES:
        assert english[name].data == _in_english(russian[name].data), name
    assert russian["conversion"].data["total"]["employee"] == TOTAL_NAME
    assert english["conversion"].data["total"]["employee"] == "Total"
    assert english["rating"].data["scope"]["name"] == "Company"


# --- what the English says --------------------------------------------------------------------


def test_english_captions_read_as_english(english: dict[str, Report]) -> None:
    def caption(name: str) -> str:
        return plain(texts(english[name])["caption_html"])

    def text(name: str) -> str:
        return plain(texts(english[name])["text_html"])

    assert caption("rating").splitlines()[0] == "🏆 Leaderboard · week of March 2–8"
    assert caption("rating").splitlines()[-1] == "data as of 11:56"
    assert "Total: 26.5 points ▲ 26.5 · 2 deals · ₽170,001" in caption("rating")
    assert "Revenue ₽170,001 ▲ ₽170,001" in caption("plan")
    assert "Plan ₽300,000, 57% achieved" in caption("plan")
    assert "2 deals won" in caption("plan")
    assert "Contacted 2 of 5 clients (40%) ▲ 40 pp" in caption("coverage")
    assert "Open: 1 deal worth ₽50,000" in caption("funnel")
    assert "Peak hour: 10:00–11:00, 2 calls" in caption("calls")
    assert "Missed 5 ▲ 5: 1 called back in time, 2 late, 2 not called back" in caption("missed")
    assert "+7 495 123-45-67 — Mar 4, 12:00, Anna Orlova" in caption("missed")
    assert "Unassigned — 1 missed, 1 lost" in text("missed")  # kpi's NULL_EMPLOYEE
    assert "No source — 1 lead, conversion 0%" in caption("conversion")  # kpi's NO_SOURCE
    assert "Repeat — 0 leads, conversion —" in text("conversion")  # kpi's TYPE_NAMES
    assert "Window: Mar 6, 2025 – Mar 5, 2026 (12 mo.)" in caption("abc")
    assert "Behind plan: 3 of 3 reps" in caption("kpi")
    assert "🟠 Calls: 10 of 30 (33%), behind · ▲ 10" in caption("kpi")
    assert "Talk minutes: 3.3 (no plan)" in text("kpi")
    assert "due Mar 4, 10:00" in caption("tasks")


def test_english_posts_read_as_english(posts: dict[str, Post]) -> None:
    morning = plain(rf.telegram_text(posts["morning"].caption_html)).splitlines()
    assert morning[0] == "☀️ Good morning! Results for yesterday, March 4"
    assert "🏆 Top reps:" in morning
    assert "3. Anna Orlova — -1 point" in morning  # the form follows the size, not the sign
    assert "📵 Not called back: 1 of 1 missed call" in morning
    assert "💰 Revenue, March 2026: ₽170,001 of ₽1,200,000 (14%)" in morning
    weekly = plain(rf.telegram_text(posts["weekly"].caption_html)).splitlines()
    assert weekly[0] == "📅 Week of March 2–8, 2026 (vs February 23 – March 1, 2026)"
    assert "📞 Calls 11 ▲ 1,000% · successful 4 ▲ 4 · missed 5 ▲ 400%" in weekly
    assert "👥 Client coverage 40% ▲ 40 pp" in weekly
    assert weekly[-1] == "⚠️ data as of Mar 5, 11:56: sync is behind"


# --- reports/text.py in English, Russian untouched ----------------------------------------------


def test_numbers_in_english() -> None:
    with locales.use("en"):
        assert count(1234567) == "1,234,567"
        assert count(-5000) == "-5,000"
        assert number(Decimal("12.50")) == "12.5"
        assert number(1234.56, 2) == "1,234.56"
        assert percent(0.413) == "41%"
        assert percent(None) == "—"
        assert plain(points(Decimal("42.5"))) == "42.5 points"
        assert plain(points(Decimal(1))) == "1 point"
        assert plain(points(Decimal(12))) == "12 points"
    assert plain(points(Decimal(-1))) == "−1 балл"
    assert plain(points(Decimal(22))) == "22 балла"


def test_changes_in_english() -> None:
    with locales.use("en"):
        assert plain(change(112, 100)) == "▲ 12%"
        assert plain(change(90, 100)) == "▼ 10%"
        assert plain(change(405, Decimal("404.5"))) == "≈ 0%"
        assert plain(change(0.45, 0.4, kind="pp")) == "▲ 5 pp"
        assert plain(change(3, 7, kind="abs")) == "▼ 4"
        assert rank_change(2) == "▲2"
    assert plain(change(0.45, 0.4, kind="pp")) == "▲ 5 п.п."


def test_money_in_english() -> None:
    tz = ZoneInfo("Europe/Moscow")
    now = at(tz, 2026, 11, 21, 9, 5)
    with locales.use("en"):
        assert Fmt(tz, now).money(Decimal("1234567.49")) == "₽1,234,567"
        assert Fmt(tz, now).money(-5000) == "-₽5,000"
        assert Fmt(tz, now, "$").money(1234) == "$1,234"
        assert Fmt(tz, now, "€").money(Decimal("0.4")) == "€0"
        assert plain(Fmt(tz, now, "CNY").money(1234)) == "CNY 1,234"
        assert Fmt(tz, now).money(None) == "—"
    assert plain(Fmt(tz, now).money(1234567)) == "1 234 567 ₽"


def test_dates_and_freshness_in_english() -> None:
    tz = ZoneInfo("Europe/Moscow")
    now = at(tz, 2026, 11, 21, 9, 5)
    fmt = Fmt(tz, now)
    with locales.use("en"):
        assert fmt.when(now - timedelta(hours=2)) == "07:05"
        assert fmt.when(at(tz, 2026, 11, 20, 21, 30)) == "Nov 20, 21:30"
        assert fmt.when(at(tz, 2025, 12, 31, 8, 0)) == "Dec 31, 2025, 08:00"
        assert fmt.freshness(now) == ("data as of 09:05", False)
        assert fmt.freshness(None) == ("⚠️ no data from Bitrix24 yet", True)
        late = fmt.freshness(at(tz, 2026, 11, 20, 10, 0))
        assert late == ("⚠️ data as of Nov 20, 10:00: sync is behind", True)
    assert fmt.when(at(tz, 2025, 12, 31, 8, 0)) == "31.12.2025 08:00"
    assert fmt.freshness(now) == ("данные на 09:05", False)


def test_kpi_words_and_period_labels() -> None:
    assert {TOTAL_NAME, NULL_EMPLOYEE, NO_SOURCE, *TYPE_NAMES.values(), "Компания"} == KPI_WORDS
    month = parse_period("month", now=rf.NOW, tz=MSK)
    with locales.use("en"):
        assert [kpi_word(w) for w in (TOTAL_NAME, NULL_EMPLOYEE, NO_SOURCE, "Компания")] == [
            "Total",
            "Unassigned",
            "No source",
            "Company",
        ]
        assert kpi_word("Анна Орлова") == "Анна Орлова"
        assert scope_kind("department") == "Department"
        assert period_label(month) == "March 2026"
    assert kpi_word(TOTAL_NAME) == TOTAL_NAME
    assert period_label(month) == "март 2026"
