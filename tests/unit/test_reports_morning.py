"""The morning post on working days, and the weekly summary in its place on Mondays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.scope import Scope, company_scope
from kpi.settings import KpiSettings
from reports.markup import BITRIX_MESSAGE, TELEGRAM_CAPTION
from reports.morning import (
    Post,
    is_weekly_day,
    morning_post,
    previous_workday_period,
    weekly_post,
)
from tests.kpi_data import MSK, at
from tests.kpi_sales_data import sales_team
from tests.unit import reports_fixtures as rf

THURSDAY = at(MSK, 2026, 3, 5, 9)
MONDAY = at(MSK, 2026, 3, 9, 9)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("morning") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def scope(session: Session) -> Scope:
    return company_scope(session, rf.settings())


def with_holidays(*days: date) -> KpiSettings:
    conf = rf.settings()
    return replace(conf, calendar=replace(conf.calendar, holidays=frozenset(days)))


def check(post: Post) -> str:
    text = rf.telegram_text(post.caption_html)
    assert rf.telegram_len(post.caption_html) <= TELEGRAM_CAPTION
    assert len(post.caption_bb) <= BITRIX_MESSAGE
    rf.check_bb(post.caption_bb)
    return text


def test_working_day_morning(session: Session, scope: Scope) -> None:
    post = morning_post(session, rf.settings(), scope, now=THURSDAY, render=False)
    assert post.kind == "morning"
    assert post.key == "morning:2026-03-05"
    assert [r.name for r in post.reports] == ["rating", "missed", "plan"]
    rating, missed, plan = post.reports
    assert rating.meta.period.name == "yesterday"
    assert missed.meta.period.name == "yesterday"
    assert plan.meta.period.name == "month"
    assert all(r.png is None for r in post.reports)
    text = check(post)
    lines = text.splitlines()
    assert lines[0] == "☀️ Доброе утро! Итоги: вчера, 4 марта"
    assert "1. Vera Sidorova — 10\u00a0баллов" in lines
    # Anna's missed call of 4 March at 12:00 was never called back
    assert "📵 Не перезвонили: 1 из 1\u00a0пропущенного" in lines
    assert any("+7 495 123-45-67" in ln for ln in lines)
    assert any(ln.startswith("💰 Выручка, март 2026: 170\u202f001\u00a0₽ из ") for ln in lines)
    assert any(ln.startswith("Прогноз: по темпу ") for ln in lines)
    assert lines[-1] == "данные на 11:56"  # the store was synced later than this "now"


def test_monday_morning_is_the_weekly_summary(session: Session, scope: Scope) -> None:
    post = morning_post(session, rf.settings(), scope, now=MONDAY, render=False)
    assert post.kind == "weekly"
    assert post.key == "weekly:2026-03-09"
    assert [r.name for r in post.reports] == ["rating", "calls", "plan", "coverage"]
    week = post.reports[0].meta
    assert week.period.name == "last_week"
    assert (week.period.start, week.period.end) == (at(MSK, 2026, 3, 2), at(MSK, 2026, 3, 9))
    assert (week.previous.start, week.previous.end) == (at(MSK, 2026, 2, 23), week.period.start)
    text = check(post)
    lines = text.splitlines()
    assert lines[0] == "📅 Итоги недели 2–8 марта 2026 (к 23 февраля – 1 марта 2026)"
    assert "1. Anna Orlova — 15\u00a0баллов" in lines
    assert any(ln.startswith("📞 Звонков 11 ") for ln in lines)
    assert any(ln.startswith("💰 Выручка 170\u202f001\u00a0₽ ▲") for ln in lines)
    assert any(ln.startswith("👥 Охват клиентов 40\u00a0%") for ln in lines)
    # the data is four days old on Monday morning: the post says so
    assert lines[-1].startswith("⚠️ данные на 05.03 11:56")


def test_weekly_post_is_the_same_summary(session: Session, scope: Scope) -> None:
    direct = weekly_post(session, rf.settings(), scope, now=MONDAY, render=False)
    via_morning = morning_post(session, rf.settings(), scope, now=MONDAY, render=False)
    assert direct.caption_html == via_morning.caption_html
    assert direct.key == via_morning.key


def test_after_a_holiday_monday_tuesday_gets_the_weekly(session: Session, scope: Scope) -> None:
    conf = with_holidays(date(2026, 3, 9))
    assert not is_weekly_day(conf.calendar, date(2026, 3, 9))
    assert is_weekly_day(conf.calendar, date(2026, 3, 10))
    assert not is_weekly_day(conf.calendar, date(2026, 3, 11))
    tuesday = at(MSK, 2026, 3, 10, 9)
    assert morning_post(session, conf, scope, now=tuesday, render=False).kind == "weekly"
    assert morning_post(session, rf.settings(), scope, now=tuesday, render=False).kind == (
        "morning"
    )


@pytest.mark.parametrize(
    ("now", "holidays", "first", "last"),
    [
        (THURSDAY, (), date(2026, 3, 4), date(2026, 3, 4)),
        # a holiday Wednesday: Thursday reports Tuesday and Wednesday together
        (THURSDAY, (date(2026, 3, 4),), date(2026, 3, 3), date(2026, 3, 4)),
        # Monday's previous working day is Friday, the weekend comes with it
        (MONDAY, (), date(2026, 3, 6), date(2026, 3, 8)),
    ],
)
def test_previous_working_day(
    now: datetime, holidays: tuple[date, ...], first: date, last: date
) -> None:
    period = previous_workday_period(with_holidays(*holidays), now=now)
    assert period.start == at(MSK, first.year, first.month, first.day)
    end = date.fromordinal(last.toordinal() + 1)
    assert period.end == at(MSK, end.year, end.month, end.day)
    assert not period.running


def test_morning_after_a_holiday_names_the_days(session: Session, scope: Scope) -> None:
    post = morning_post(
        session, with_holidays(date(2026, 3, 4)), scope, now=THURSDAY, render=False
    )
    assert post.reports[0].meta.period.name == "2026-03-03..2026-03-04"
    assert check(post).splitlines()[0] == "☀️ Доброе утро! Итоги: 3–4 марта 2026"


def test_morning_renders_charts(session: Session, scope: Scope) -> None:
    post = morning_post(session, rf.settings(), scope, now=THURSDAY)
    assert all(r.png and r.png.startswith(b"\x89PNG") for r in post.reports)


def test_nobody_scored(tmp_path: Path) -> None:
    engine = rf.open_store(tmp_path / "empty.db", data=sales_team())
    try:
        with Session(engine) as session:
            scope = company_scope(session, rf.settings())
            post = morning_post(session, rf.settings(), scope, now=THURSDAY, render=False)
    finally:
        engine.dispose()
    lines = check(post).splitlines()
    assert "🏆 Баллов никто не набрал" in lines
    assert "📵 Пропущенных звонков не было" in lines
