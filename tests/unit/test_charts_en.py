"""Charts in English: no Russian left but the portal's own names, English number style, room
for the English words; and the same charts in Russian exactly as before."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from charts import render
from charts.draw_kpi import METRIC_NAMES, metric_name
from charts.kpi_words import KPI_WORDS, kpi_word
from charts.theme import (
    as_of_text,
    count_text,
    day_text,
    duration_text,
    fixed_text,
    money_text,
    more_text,
    number_text,
    percent_text,
    phone_text,
)
from charts.words import speaking
from kpi.conversion import NO_SOURCE, TYPE_NAMES
from kpi.deals import TOTAL_NAME
from kpi.missed import NULL_EMPLOYEE
from locales import words
from tests.unit import chart_fixtures as fx

EN = words("en")
RU = words("ru")
CYRILLIC = re.compile("[А-Яа-яЁё]")
NB = "\u00a0"


def _samples() -> dict[str, Any]:
    """Every chart kind with data and empty, plus the variants that draw differently."""
    out: dict[str, Any] = {n: fx.sample(n) for n in render.FIGURES}
    out |= {f"{n} empty": fx.empty(n) for n in render.FIGURES}
    out |= {
        "rating cut": fx.rating(20),
        "lost cut": fx.lost(30),
        "missed long": fx.missed(12),
        "kpi closed": fx.kpi(when="last_month"),
        "plan closed": fx.plan(when="last_month"),
        "calls today": fx.calls(when="today"),
        "calls week": fx.calls(when="week"),
        "calls quarter": fx.calls(when="quarter"),
        "calls year": fx.calls(when="year"),
    }
    return out


SAMPLES = _samples()


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a kpi result object: the data the portal gave the chart."""
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


def portal_names(report: Any) -> list[str]:
    """People, companies, stages, sources, reasons: Cyrillic the chart may show as it came.

    kpi's own words ("Компания", "Без источника") are not among them: charts translate those.
    """
    found = {s for s in _strings(report) if CYRILLIC.search(s) and s not in KPI_WORDS}
    return sorted(found, key=len, reverse=True)


def russian_left(fig: Figure, report: Any) -> list[str]:
    """The figure's texts that still hold Cyrillic once the portal's names are taken out."""
    names = portal_names(report)
    left = []
    for text in texts(fig):
        rest = text
        for name in names:
            rest = rest.replace(name, "")
        if rest.endswith("…") and any(n.startswith(rest[:-1].rstrip()) for n in names):
            rest = ""  # a long name cut to fit its column
        if CYRILLIC.search(rest):
            left.append(text)
    return left


# --- no Russian in English ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_english_chart_has_no_russian_but_the_portals_names(name: str) -> None:
    report = SAMPLES[name]
    assert russian_left(render.figure_for(report, words=EN), report) == []


@pytest.mark.parametrize("name", list(SAMPLES))
def test_the_check_would_see_russian(name: str) -> None:
    # the same chart in Russian is full of it: the English test above is not vacuous
    report = SAMPLES[name]
    assert russian_left(render.figure_for(report, words=RU), report)


def test_kpi_words_that_reach_a_chart_are_translated() -> None:
    assert {"Компания", TOTAL_NAME, NO_SOURCE, NULL_EMPLOYEE, *TYPE_NAMES.values()} <= KPI_WORDS
    with speaking(EN):
        assert [kpi_word(w) for w in ("Компания", NO_SOURCE, NULL_EMPLOYEE)] == [
            "Company",
            "No source",
            "Unassigned",
        ]
        assert kpi_word("Анна Орлова") == "Анна Орлова"


def test_an_unassigned_missed_call_row_is_named_in_english() -> None:
    report = fx.missed(8)
    row = dataclasses.replace(report.rows[0], employee=NULL_EMPLOYEE)
    report = dataclasses.replace(report, rows=(row, *report.rows[1:]))
    shown = texts(render.figure_for(report, words=EN))
    assert "Unassigned" in shown
    assert NULL_EMPLOYEE in texts(render.figure_for(report, words=RU))


# --- what the English says --------------------------------------------------------------------


def test_english_headers_say_what_when_and_how_fresh() -> None:
    shown = texts(render.figure_for(fx.rating(20), words=EN))
    assert "Leaderboard" in shown
    assert any(t.startswith("November 2026  ·  Company  ·  ") for t in shown)
    assert "as of Nov 22, 09:02" in shown
    assert "and 6 more" in shown
    assert {"successful", "emails", "meetings", "deals"} <= set(shown)


def test_english_kpi_and_calls_words() -> None:
    kpi = texts(render.figure_for(fx.kpi(), words=EN))
    assert {"KPIs: plan vs actual", "on track", "behind", "plan", "expected by now"} <= set(kpi)
    assert "Successful calls" in kpi
    week = texts(render.figure_for(fx.calls(when="week"), words=EN))
    assert {"Mon 16", "Sun 22", "calls", "missed", "by hour"} <= set(week)
    year = texts(render.figure_for(fx.calls(when="year"), words=EN))
    assert {"Jan", "Nov", "Dec"} <= set(year)


def test_english_counts_agree_with_their_nouns() -> None:
    streaks = texts(render.figure_for(fx.streaks(), words=EN))
    assert any(re.fullmatch(rf"\d+{NB}days", t) for t in streaks)
    assert not any(re.fullmatch(rf"1{NB}days", t) for t in streaks)
    funnel = texts(render.figure_for(fx.funnel(), words=EN))
    assert any(re.search(rf"last period [\d,]+{NB}deals?$", t) for t in funnel)


def test_english_numbers_money_and_times() -> None:
    with speaking(EN):
        assert count_text(1234567) == "1,234,567"
        assert number_text(12.5) == "12.5"
        assert number_text(1234.25, 2) == "1,234.25"
        assert number_text(3.0) == "3"
        assert fixed_text(2) == "2.0"
        assert money_text(Decimal(950)) == "₽950"
        assert money_text(Decimal(845000)) == "₽845K"
        assert money_text(Decimal(1240000)) == "₽1.24M"
        assert money_text(Decimal(3_100_000_000)) == "₽3.1B"
        assert money_text(Decimal(-15000)) == "-₽15K"
        assert money_text(845000, unit=False) == "845K"
        assert percent_text(0.41) == "41%"
        assert percent_text(None) == "—"
        assert duration_text(45) == f"45{NB}s"
        assert duration_text(725) == f"12{NB}min"
        assert duration_text(7500) == f"2{NB}h 05{NB}min"
        assert duration_text(3 * 86400 + 4 * 3600) == f"3{NB}d 4{NB}h"
        assert as_of_text(None, fx.TZ) == "no data loaded yet"
        assert as_of_text(fx.AS_OF, fx.TZ) == "as of Nov 22, 09:02"
        assert day_text(date(2026, 3, 9), year=True) == "Mar 9, 2026"
        assert phone_text("") == "hidden number"
        assert more_text(6) == "and 6 more"
        assert metric_name("talk_minutes") == "Talk minutes"


def test_russian_numbers_and_words_as_before() -> None:
    with speaking(RU):
        assert money_text(Decimal(845000)) == f"845{NB}тыс.{NB}₽"
        assert money_text(Decimal(1240000)) == f"1,24{NB}млн{NB}₽"
        assert number_text(1234.25, 2) == f"1{NB}234,25"
        assert fixed_text(2) == "2,0"
        assert percent_text(0.41) == f"41{NB}%"
        assert duration_text(3 * 86400 + 4 * 3600) == f"3{NB}дн 4{NB}ч"
        assert more_text(6) == "и ещё 6"
        assert metric_name("talk_minutes") == "Минуты разговоров"
    shown = texts(render.figure_for(fx.rating(20), words=RU))
    assert "Рейтинг менеджеров" in shown
    assert {"и ещё 6", "данные на 22.11 09:02", "усп. звонки", "сделки"} <= set(shown)
    week = texts(render.figure_for(fx.calls(when="week"), words=RU))
    assert {"пн 16", "вс 22", "звонки", "пропущенные", "по часам"} <= set(week)


def test_outside_a_drawing_the_helpers_write_russian() -> None:
    # reports call duration_text and phone_text for captions: Russian unless they say otherwise
    assert duration_text(725) == f"12{NB}мин"
    assert phone_text("") == "номер скрыт"
    assert metric_name("calls") == METRIC_NAMES["calls"] == "Звонки"
    with speaking(EN):
        assert duration_text(725) == f"12{NB}min"


# --- room for the English words ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_text_stays_inside_the_image(name: str, language: str) -> None:
    fig = render.figure_for(SAMPLES[name], words=words(language))
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height = fig.bbox.width, fig.bbox.height
    for text in fig.findobj(Text):
        if not text.get_text() or not text.get_visible():
            continue
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, (text.get_text(), box.x0, box.x1)
        assert box.y0 >= 0 and box.y1 <= height, (text.get_text(), box.y0, box.y1)


@pytest.mark.parametrize("name", ["rating", "channels", "calls", "plan", "kpi", "coverage"])
def test_english_texts_on_one_line_do_not_overlap(name: str) -> None:
    """Legends, column heads and big numbers: the English words fit the room kept for them."""
    fig = render.figure_for(SAMPLES[name], words=EN)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in fig.findobj(Text)
        if t.get_text().strip() and t.get_visible()
    ]
    for n, (text, box) in enumerate(boxes):
        for other, other_box in boxes[n + 1 :]:
            assert not box.overlaps(other_box), (text, other)
