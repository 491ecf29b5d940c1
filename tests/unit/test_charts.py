"""Charts: PNG bytes that are stable, phone-sized, labelled, truncated and never blank."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from charts import render
from charts.draw_page import Header, empty_page, png_bytes
from charts.theme import (
    GREEN,
    RED,
    WIDTH_PX,
    as_of_text,
    count_text,
    duration_text,
    money_text,
    phone_text,
    shorten,
)
from charts.words import ngettext, speaking
from locales import words
from tests.unit import chart_fixtures as fx

NAMES = tuple(render.FIGURES)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]
FOOTER = "данные на 22.11 09:02"  # fx.AS_OF in Moscow time
RU = words("ru")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format puts first."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def renderer(name: str) -> Callable[[Any], bytes]:
    draw: Callable[..., bytes] = getattr(render, f"render_{name}")
    return lambda report: draw(report, words=RU)


@pytest.fixture(scope="module")
def pngs() -> dict[str, bytes]:
    """Each sample rendered once by its public entry point, any warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {name: renderer(name)(fx.sample(name)) for name in NAMES}


# --- every chart ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_renders_a_phone_sized_png(name: str, pngs: dict[str, bytes]) -> None:
    width, height = png_size(pngs[name])
    assert width == WIDTH_PX
    assert 480 <= height <= 1400


@pytest.mark.parametrize("name", NAMES)
def test_same_input_same_bytes(name: str, pngs: dict[str, bytes]) -> None:
    assert renderer(name)(fx.sample(name)) == pngs[name]
    assert b"Software" not in pngs[name]
    assert b"Creation Time" not in pngs[name]


@pytest.mark.parametrize("name", NAMES)
def test_different_input_different_bytes(name: str) -> None:
    assert render.render_report(fx.sample(name), words=RU) != render.render_report(
        fx.empty(name), words=RU
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_image_says_what_when_and_how_fresh(name: str) -> None:
    shown = texts(render.figure_for(fx.sample(name), words=RU))
    assert any("ноябрь 2026" in t and "Компания" in t for t in shown)
    assert FOOTER in shown


@pytest.mark.parametrize("name", NAMES)
def test_empty_report_gets_the_empty_page(name: str) -> None:
    fig = render.figure_for(fx.empty(name), words=RU)
    shown = texts(fig)
    assert fig.axes == []  # no chart at all, only words
    assert FOOTER in shown
    assert any("ноябрь 2026" in t for t in shown)
    assert len(shown) == 4  # title, subtitle, footer, the message


def test_render_empty_says_so() -> None:
    data = render.render_empty("Звонки", "ноябрь 2026", "Звонков не было", words=RU, footer=FOOTER)
    assert png_size(data)[0] == WIDTH_PX
    shown = texts(render.empty_figure("Звонки", "ноябрь 2026", "Звонков не было", words=RU))
    assert shown == ["Звонки", "ноябрь 2026", "Звонков не было"]


def test_unknown_report_is_named() -> None:
    report = replace(fx.tasks(), meta=replace(fx.meta("nope"), report="nope"))
    with pytest.raises(render.UnknownReportError, match="nope.*rating"):
        render.figure_for(report, words=RU)


def test_threads_render_the_same_bytes(pngs: dict[str, bytes]) -> None:
    names = ["tasks", "lost", "tasks", "lost"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: render.render_report(fx.sample(n), words=RU), names))
    assert results == [pngs[n] for n in names]


def test_no_pyplot_no_store_and_bytes_stable_across_processes(pngs: dict[str, bytes]) -> None:
    code = (
        "import hashlib, json, sys\n"
        "from charts import render\n"
        "from locales import words\n"
        "ru = words('ru')\n"
        "banned = ('kpi', 'store', 'crm', 'reports', 'sqlalchemy', 'sqlmodel')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "from tests.unit import chart_fixtures as fx\n"
        "out = {n: hashlib.sha256(render.render_report(fx.sample(n), words=ru)).hexdigest()"
        " for n in render.FIGURES}\n"
        "render.render_empty('a', 'b', 'c', words=ru)\n"
        "out['pyplot'] = 'matplotlib.pyplot' in sys.modules\n"
        "out['loaded'] = loaded\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    out = json.loads(done.stdout)
    assert out.pop("pyplot") is False
    assert out.pop("loaded") == []  # charts read kpi's objects; they import none of it
    assert out == {n: hashlib.sha256(data).hexdigest() for n, data in pngs.items()}


# --- content ----------------------------------------------------------------------------


def test_long_lists_are_cut_and_counted() -> None:
    shown = texts(render.figure_for(fx.rating(20), words=RU))
    assert "и ещё 6" in shown  # 14 rows shown of 20
    names = [t for t in shown if t in fx.NAMES or t.endswith("…")]
    assert len(names) == 14


def test_short_lists_are_not_cut() -> None:
    shown = texts(render.figure_for(fx.rating(5), words=RU))
    assert not any(t.startswith("и ещё") for t in shown)


def test_lost_reasons_cut_too() -> None:
    shown = texts(render.figure_for(fx.lost(30), words=RU))
    assert "и ещё 16" in shown


def test_long_names_end_in_an_ellipsis() -> None:
    shown = texts(render.figure_for(fx.rating(3), words=RU))
    long_name = fx.NAMES[1]
    assert long_name not in shown
    cut = [t for t in shown if t.endswith("…")]
    assert len(cut) == 1
    assert long_name.startswith(cut[0][:-1])


def test_rank_changes_are_coloured() -> None:
    fig = render.figure_for(fx.rating(12), words=RU)
    arrows = {t.get_text(): t.get_color() for t in fig.findobj(Text)}
    ups = [c for s, c in arrows.items() if s.startswith("▲")]
    downs = [c for s, c in arrows.items() if s.startswith("▼")]
    assert ups and set(ups) == {GREEN}
    assert downs and set(downs) == {RED}


def test_employee_without_clients_is_shown_as_such() -> None:
    assert "нет клиентов" in texts(render.figure_for(fx.coverage(5), words=RU))


def test_kpi_pace_marker_only_inside_a_running_period() -> None:
    def pace_marks(fig: Figure) -> int:
        return sum(1 for line in fig.findobj(Line2D) if line.get_marker() == "v")

    running = render.figure_for(fx.kpi(), words=RU)
    closed = render.figure_for(fx.kpi(when="last_month"), words=RU)
    assert "ожидалось к этому моменту" in texts(running)
    assert pace_marks(running) > 0
    assert "ожидалось к этому моменту" not in texts(closed)
    assert pace_marks(closed) == 0


def test_plan_shows_the_big_numbers() -> None:
    report = fx.plan()
    shown = texts(render.figure_for(report, words=RU))
    assert money_text(report.total.revenue) in shown
    assert money_text(Decimal(3_000_000)) in shown
    assert "прогноз по темпу" in shown


def test_missed_lists_the_open_calls() -> None:
    shown = texts(render.figure_for(fx.missed(4), words=RU))
    assert any(t.startswith("Не перезвонили:") for t in shown)
    assert any("+7 916" in t for t in shown)


def test_one_day_of_calls_shows_the_hours_only() -> None:
    fig = render.figure_for(fx.calls(when="today"), words=RU)
    assert len(fig.axes) == 1
    assert "звонки по часам" in texts(fig)


# --- glyphs -----------------------------------------------------------------------------


def test_cyrillic_has_every_glyph(pngs: dict[str, bytes]) -> None:
    # `pngs` rendered every sample with warnings as errors: a missing glyph would have raised
    for name in NAMES:
        shown = texts(render.figure_for(fx.sample(name), words=RU))
        assert any(any("а" <= ch <= "я" for ch in t) for t in shown), name
    assert len(pngs) == len(NAMES)


def test_a_missing_glyph_would_be_caught() -> None:
    page = empty_page(Header("漢字", "", ""), "нет")
    with pytest.warns(UserWarning, match="missing from font"):
        png_bytes(page.figure)


# --- text helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1\u00a0сделка"),
        (3, "3\u00a0сделки"),
        (5, "5\u00a0сделок"),
        (11, "11\u00a0сделок"),
        (21, "21\u00a0сделка"),
        (112, "112\u00a0сделок"),
        (1024, "1\u00a0024\u00a0сделки"),
    ],
)
def test_plural(count: int, expected: str) -> None:
    # theme.plural gave way to ngettext and the Russian catalog's three forms
    with speaking(RU):
        counted = ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", count)
        assert counted.format(n=count_text(count)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("950"), "950\u00a0₽"),
        (Decimal("845000"), "845\u00a0тыс.\u00a0₽"),
        (Decimal("1240000"), "1,24\u00a0млн\u00a0₽"),
        (Decimal("3000000"), "3\u00a0млн\u00a0₽"),
        (Decimal("-15000"), "-15\u00a0тыс.\u00a0₽"),
    ],
)
def test_money_text(value: Decimal, expected: str) -> None:
    assert money_text(value) == expected


def test_small_texts() -> None:
    assert duration_text(None) == "—"
    assert duration_text(45) == "45\u00a0с"
    assert duration_text(725) == "12\u00a0мин"
    assert duration_text(7500) == "2\u00a0ч 05\u00a0мин"
    assert phone_text("79161234567") == "+7 916 123-45-67"
    assert phone_text("") == "номер скрыт"
    assert shorten("Анна   Орлова") == "Анна Орлова"
    assert shorten("x" * 40, 10) == "x" * 9 + "…"
    assert as_of_text(None, fx.TZ) == "данные ещё не загружены"
    assert as_of_text(fx.AS_OF, fx.TZ) == FOOTER
