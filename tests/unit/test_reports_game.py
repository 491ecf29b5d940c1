"""Game texts and images: the rating's "🔥 N", the streaks caption, podium and badge cards."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest

from charts.draw_page import Header
from charts.draw_podium import Place
from charts.render import render_badge, render_podium
from locales import words
from reports.caption import captions
from reports.game_badges import badge_detail
from reports.game_rating import StreakRating
from reports.game_texts import value_text
from reports.text import Fmt
from tests.kpi_data import MSK
from tests.unit import chart_fixtures as fx


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def fmt() -> Fmt:
    return Fmt(MSK, fx.NOW)


def test_the_rating_caption_marks_the_leaders_running_streaks() -> None:
    base = fx.rating()
    leader = base.rows[0]
    third = base.rows[2]
    assert leader.employee_id is not None
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    report = StreakRating(**values, streaks=MappingProxyType({leader.employee_id: "7"}))
    text = captions("rating", "🏆 Рейтинг", report, fmt(), {}).caption_html
    first_line = next(ln for ln in text.splitlines() if ln.startswith("1. "))
    assert first_line.endswith("🔥7")
    assert "🔥" not in next(ln for ln in text.splitlines() if ln.startswith("3. "))
    assert third.employee_id != leader.employee_id
    plain = captions("rating", "🏆 Рейтинг", base, fmt(), {}).caption_html
    assert "🔥" not in plain


def test_the_streaks_caption_lists_running_streaks_longest_first() -> None:
    report = fx.streaks()
    text = captions("streaks", "🔥 Серии", report, fmt(), {}).caption_html
    running = [r for r in report.rows if r.current > 0]
    first = running[0]
    assert f"<b>{first.employee}</b> — {first.current}" in text.replace("\xa0", " ")
    empty = captions("streaks", "🔥 Серии", fx.streaks(0), fmt(), {}).caption_html
    assert "серий нет" in empty


def test_values_read_as_people_say_them() -> None:
    f = fmt()
    assert value_text("calls", Decimal(12), f) == "12\xa0звонков"
    assert value_text("deals_won", Decimal(1), f) == "1\xa0сделка"
    assert value_text("revenue", Decimal("1250000.00"), f).endswith("₽")
    assert value_text("talk_minutes", Decimal("45.5"), f) == "45,5 мин"
    detail = badge_detail("calls_day", Decimal(104), date(2026, 11, 3), date(2026, 11, 3), f)
    assert detail.replace("\xa0", " ") == "3 ноября 2026: 104 звонка за день"


def test_podium_and_badge_cards_are_images_of_their_size() -> None:
    header = Header("Итоги конкурса «Рывок»", "Выручка · ноябрь 2026 · Компания", "итоги")
    places = [Place("Александра Белоусова", "1 250 000 ₽"), Place("Пётр Харитонов", "900 ₽")]
    assert png_size(
        render_podium(header, places, words=words("ru"), note="ещё 5", prize="Приз: ужин")
    ) == (1280, 720)
    assert png_size(
        render_badge("calls_day", "Сотня звонков", "Анна", "104 звонка", words=words("ru"))
    ) == (800, 400)


def test_without_their_images_the_posts_still_read_as_tables_in_bitrix24() -> None:
    from bot.bitrix.attach import reports_attach
    from reports.game_badges import badge_post

    post = badge_post(
        "badge:1", "calls_day", "Анна Орлова", "104 звонка", fx.meta("badge").scope,
        now=fx.NOW, scope_tz=MSK, render=False,
    )  # fmt: skip
    (report,) = post.reports
    assert report.png is None
    attach = reports_attach([report])
    assert "Анна Орлова" in str(attach) and "Сотня звонков" in str(attach)


@pytest.mark.parametrize(
    "rule", ["first_deal_month", "calls_day", "best_week", "plan_months", "fastest_callback"]
)
def test_every_badge_card_draws_its_symbol(rule: str) -> None:
    # a glyph DejaVu Sans lacks would warn, and warnings fail the tests
    card = render_badge(
        rule,
        "Значок",
        "Константин Константинопольский-Задунайский",
        "x " * 80,
        words=words("ru"),
    )
    assert png_size(card) == (800, 400)
