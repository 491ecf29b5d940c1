"""Captions: valid Telegram HTML and Bitrix24 BB-code, escaped, within each chat's limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.settings import KpiSettings
from reports.build import REPORT_NAMES, Report, assemble, build_report, fmt_for
from reports.markup import (
    BITRIX_MESSAGE,
    TELEGRAM_CAPTION,
    TELEGRAM_MESSAGE,
    Block,
    b,
    bb_line,
    fit,
    line,
    link,
    listing,
    to_bb,
    to_html,
    visible_len,
)
from tests.kpi_data import MSK, make_settings
from tests.unit import chart_fixtures as fx
from tests.unit import reports_fixtures as rf

LONG = "Константинопольский-Задунайский <script>&amp; [b]Жирный[/b] " * 3  # ~170 characters


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("captions") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def reports(engine: Engine) -> dict[str, Report]:
    conf = rf.settings()
    week = parse_period("week", now=rf.NOW, tz=MSK)
    with Session(engine) as session:
        scope = company_scope(session, conf)
        return {
            name: build_report(session, conf, name, week, scope, now=rf.NOW, render=False)
            for name in REPORT_NAMES
        }


def check_limits(report: Report) -> None:
    assert rf.telegram_len(report.caption_html) <= TELEGRAM_CAPTION
    assert rf.telegram_len(report.text_html) <= TELEGRAM_MESSAGE
    assert len(report.caption_bb) <= BITRIX_MESSAGE
    assert len(report.text_bb) <= BITRIX_MESSAGE
    rf.check_bb(report.caption_bb)
    rf.check_bb(report.text_bb)


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_captions_are_valid_and_short(name: str, reports: dict[str, Report]) -> None:
    report = reports[name]
    check_limits(report)
    text = rf.telegram_text(report.caption_html)
    lines = text.splitlines()
    assert lines[0].startswith(report.title)
    assert "неделя 2–8 марта" in lines[0]
    assert lines[-1] == "данные на 11:56"
    assert 3 <= len(lines) <= 16
    # the text version says at least what the caption says
    assert len(rf.telegram_text(report.text_html)) >= len(text)


def test_user_strings_are_escaped(reports: dict[str, Report]) -> None:
    coverage = reports["coverage"]
    assert rf.EVIL in rf.telegram_text(coverage.caption_html)
    assert "&lt;b&gt;Злой &amp; [b]жирный[/b]&lt;/b&gt;" in coverage.caption_html
    bb_text = rf.check_bb(coverage.caption_bb)
    assert "<b>Злой & (b)жирный(/b)</b>" in bb_text
    boris = "Boris Petrov <i>&</i> [url=x]"
    assert boris in rf.telegram_text(reports["rating"].caption_html)
    assert "Boris Petrov <i>&</i> (url=x)" in rf.check_bb(reports["rating"].caption_bb)
    task = reports["tasks"]
    assert "[url=https://example.bitrix24.ru/company/personal/user/11/tasks/task/view/2/]" in (
        task.caption_bb
    )
    assert "Позвонить <клиенту> (срочно)" in rf.check_bb(task.caption_bb)


def test_key_figures_in_captions(reports: dict[str, Report]) -> None:
    def text(name: str) -> str:
        plain = rf.telegram_text(reports[name].caption_html)
        return plain.replace("\u00a0", " ").replace("\u202f", " ")

    # thin space in thousands, ₽ kept on the line of its number
    assert "170\u202f001\u00a0₽" in rf.telegram_text(reports["plan"].caption_html)
    assert "1. Anna Orlova — 15 баллов" in text("rating")
    assert "Охвачено 2 из 5 клиентов (40 %) ▲ 40 п.п." in text("coverage")
    assert "Не перезвонили: 2" in text("missed")
    assert "+7 495 123-45-67" in text("missed")
    assert "Звонков 11" in text("calls")
    assert "🟠 Звонки: 10 из 30" in text("kpi")
    assert "Выполнено 1" in text("tasks")


def test_links_only_to_web_addresses(engine: Engine) -> None:
    conf = rf.settings(portal_url="")  # a portal address not configured: relative card URLs
    week = parse_period("week", now=rf.NOW, tz=MSK)
    with Session(engine) as session:
        scope = company_scope(session, conf)
        report = build_report(session, conf, "coverage", week, scope, now=rf.NOW, render=False)
    assert "<a " not in report.caption_html and "[url=" not in report.caption_bb
    assert "Дельта" in rf.telegram_text(report.caption_html)


# --- freshness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (rf.NOW - timedelta(minutes=4), "данные на 11:56"),
        (rf.NOW - timedelta(hours=3), "⚠️ данные на 09:00: синхронизация отстаёт"),
        (rf.NOW - timedelta(days=2), "⚠️ данные на 03.03 12:00: синхронизация отстаёт"),
        (None, "⚠️ данные ещё не загружены из Битрикс24"),
    ],
)
def test_freshness_line(as_of: Any, expected: str) -> None:
    figures = fx.tasks(3)
    figures = replace(figures, meta=replace(figures.meta, data_as_of=as_of))
    report = assemble("tasks", figures, make_settings(MSK), now=rf.NOW, render=False)
    assert rf.telegram_text(report.caption_html).splitlines()[-1] == expected
    if as_of is None or "⚠️" in expected:
        assert report.caption_html.endswith(f"<b>{expected}</b>")
        assert report.caption_bb.endswith(f"[b]{expected}[/b]")


# --- 200 employees with long names -----------------------------------------------------------


def _people(report: Any, count: int) -> Any:
    """``report`` with ``count`` copies of its first row as different, long-named people."""
    row = report.rows[0]
    rows = tuple(replace(row, employee_id=100 + n, employee=f"{n} {LONG}") for n in range(count))
    return replace(report, rows=rows)


NAMES = {100 + n: f"{n} {LONG}" for n in range(200)}


def _coverage() -> Any:
    report = rf.renamed(fx.coverage(200), NAMES)
    every = tuple(c for r in report.rows for c in r.uncovered)
    return replace(report, total=replace(report.total, uncovered=every))


def _tasks() -> Any:
    report = rf.renamed(fx.tasks(200), NAMES)
    every = tuple(t for r in report.rows for t in r.overdue_tasks)
    return replace(report, total=replace(report.total, overdue_tasks=every))


def _conversion() -> Any:
    report = fx.conversion(200)
    sources = tuple(replace(r, source=f"{r.source} {LONG}") for r in report.by_source)
    return replace(_people(report, 200), by_source=sources)


def _channels() -> Any:
    report = fx.channels(200)
    return replace(
        report, rows=tuple(replace(r, source=f"{r.source} {LONG}") for r in report.rows)
    )


def _lost() -> Any:
    report = fx.lost(200)
    return replace(report, reasons=tuple(replace(r, reason=LONG) for r in report.reasons))


def _abc() -> Any:
    report = fx.abc()
    row = report.rows[0]
    rows = tuple(replace(row, rank=n + 1, company_id=n, title=LONG) for n in range(200))
    return replace(report, rows=rows)


def _funnel() -> Any:
    report = fx.funnel()
    pipe = report.pipelines[0]
    stages = tuple(replace(pipe.rows[0], stage_id=str(n), stage=LONG) for n in range(200))
    return replace(report, pipelines=(replace(pipe, rows=stages),))


def huge(name: str) -> Any:
    """A report of ``name`` with 200 long-named people (or stages, sources, companies)."""
    makers: dict[str, Callable[[], Any]] = {
        "rating": lambda: rf.renamed(fx.rating(200), NAMES),
        "missed": lambda: rf.renamed(fx.missed(200), NAMES),
        "coverage": _coverage,
        "tasks": _tasks,
        "kpi": lambda: _people(fx.kpi(), 200),
        "calls": lambda: _people(fx.calls(), 200),
        "plan": lambda: _people(fx.plan(), 200),
        "conversion": _conversion,
        "lost": _lost,
        "abc": _abc,
        "funnel": _funnel,
        "streaks": lambda: _people(fx.streaks(100), 200),
        "channels": _channels,
    }
    return makers[name]()


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_200_long_names_stay_within_limits(name: str) -> None:
    report = assemble(name, huge(name), make_settings(MSK), now=fx.NOW, render=False)
    check_limits(report)
    short, full = rf.telegram_text(report.caption_html), rf.telegram_text(report.text_html)
    assert short.splitlines()[-1].startswith("данные на")  # the footer survives the cuts
    assert full.splitlines()[-1].startswith("данные на")
    assert full.splitlines()[0] == short.splitlines()[0]


def test_long_lists_say_how_many_are_left_out() -> None:
    report = assemble("coverage", huge("coverage"), make_settings(MSK), now=fx.NOW, render=False)
    uncovered = len(report.lists["uncovered"])
    assert uncovered > 1000
    text = rf.telegram_text(report.text_html)
    assert "… и ещё " in text
    shown = text.count("• ")
    assert f"… и ещё {uncovered - shown}" in text
    assert f"Без внимания ({uncovered:,}):".replace(",", "\u202f") in text


# --- the document model ----------------------------------------------------------------------


def test_fit_cuts_lists_before_anything_else() -> None:
    items = [line(f"item {n:03d}") for n in range(100)]
    blocks = [
        Block((line(b("Title")),), keep=True),
        listing(items, 250),
        Block((line("footer"),), keep=True),
    ]
    cut = fit(blocks, 200, visible_len)
    text = rf.telegram_text(to_html(cut))
    assert len(text) <= 200
    assert text.startswith("Title\nitem 000\n")
    shown = text.count("item ")
    assert f"… и ещё {250 - shown}\nfooter" in text


def test_fit_shortens_then_drops_but_keeps_title_and_footer() -> None:
    blocks = [
        Block((line(b("Title")),), keep=True),
        Block((line("x" * 500),)),
        Block((line("y" * 500),)),
        Block((line("footer"),), keep=True),
    ]
    text = rf.telegram_text(to_html(fit(blocks, 30, visible_len)))
    assert text.startswith("Title\n") and text.endswith("\nfooter")
    assert len(text) <= 30
    # a title longer than the limit: cut hard, still valid
    huge_title = [Block((line(b("T" * 5000)),), keep=True)]
    assert rf.telegram_len(to_html(fit(huge_title, 1024, visible_len))) <= 1024


def test_bb_measures_the_markup_itself() -> None:
    blocks = [listing([line(link("x" * 50, "https://e.ru/" + "a" * 50)) for _ in range(400)])]
    bb = to_bb(fit(blocks, BITRIX_MESSAGE, lambda ln: len(bb_line(ln))))
    assert len(bb) <= BITRIX_MESSAGE
    rf.check_bb(bb)


def test_visible_length_counts_utf16_units() -> None:
    assert visible_len(line("😀", b("ab"))) == 4  # an astral emoji is two units in Telegram


@dataclass(frozen=True)
class WithCurrency(KpiSettings):
    """Settings as they will be once the account currency is configurable."""

    currency: str = "USD"


def test_money_sign_follows_the_settings() -> None:
    base = make_settings(MSK)
    usd = WithCurrency(tz=base.tz, calendar=base.calendar)
    assert fmt_for(usd, rf.NOW).money(Decimal("1234.5")) == "1\u202f235\u00a0$"
    assert fmt_for(base, rf.NOW).money(Decimal(7)) == "7\u00a0₽"
