"""A contest's result as a podium: first in the middle and highest, second left, third right.

Unlike the rating chart (a ranked list of bars), the podium shows only the three places, big
enough to read on a phone, with the rest summed up in one line under it. Labels come in as
arguments (the caller words them); the drawing knows only places, names and value texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from charts.draw_page import Header, new_page
from charts.theme import (
    BASE_HEIGHT_PX,
    GREY,
    GREY_LIGHT,
    INK,
    LABEL_PX,
    MUTED,
    SMALL_PX,
    SUBTITLE_PX,
    TITLE_PX,
    WHITE,
    WIDTH_PX,
    fit,
    text_px,
)

GOLD, SILVER, BRONZE = "#e0a82e", "#9aa3ad", "#c07a45"
COLORS = (GOLD, SILVER, BRONZE)
# Where each place stands, left to right: second, first, third; and how high its step is.
ORDER = (1, 0, 2)
STEP_PX = (300.0, 225.0, 165.0)
NAME_PX = 28
VALUE_PX = 30
VALUE_LEAST_PX = 20
STEP_W = 300.0
GAP = 30.0


@dataclass(frozen=True)
class Place:
    name: str
    value: str  # "12 сделок", "1 250 000 ₽"


def podium_figure(
    header: Header, places: Sequence[Place], *, note: str = "", prize: str = ""
) -> Figure:
    """Up to three places on steps; ``note`` under the podium ("ещё 8 участников ...")."""
    page = new_page(header, least_px=BASE_HEIGHT_PX)
    ax = page.axes(0, 0, WIDTH_PX, page.height_px)
    ax.set_xlim(0, WIDTH_PX)
    ax.set_ylim(0, page.height_px)
    ax.axis("off")
    base = page.bottom + (40 if note else 6)
    total_w = 3 * STEP_W + 2 * GAP
    left0 = (WIDTH_PX - total_w) / 2
    for slot, place_index in enumerate(ORDER):
        x = left0 + slot * (STEP_W + GAP)
        height = STEP_PX[place_index]
        color = COLORS[place_index]
        ax.add_patch(
            FancyBboxPatch(
                (x, base),
                STEP_W,
                height,
                boxstyle="round,pad=0,rounding_size=14",
                facecolor=color if place_index < len(places) else GREY_LIGHT,
                edgecolor="none",
            )
        )
        cx = x + STEP_W / 2
        page.text(
            cx,
            base + height - 24,
            str(place_index + 1),
            size=64,
            color=WHITE if place_index < len(places) else GREY,
            ha="center",
            va="top",
            bold=True,
        )
        if place_index >= len(places):
            continue
        place = places[place_index]
        top = base + height
        ax.add_patch(Circle((cx, top + 46), 32, facecolor=WHITE, edgecolor=color, linewidth=6))
        page.text(
            cx,
            top + 46,
            _initials(place.name),
            size=LABEL_PX + 2,
            color=INK,
            ha="center",
            va="center",
            bold=True,
        )
        for n, part in enumerate(reversed(_name_lines(place.name, STEP_W + GAP - 8))):
            y = top + 96 + n * (NAME_PX + 8)
            page.text(cx, y, part, size=NAME_PX, color=INK, ha="center", va="baseline", bold=True)
        size = _fitting(place.value, STEP_W - 24)
        value = fit(place.value, STEP_W - 24, size, bold=True)
        page.text(
            cx, base + 26, value, size=size, color=WHITE, ha="center", va="baseline", bold=True
        )
    if note:
        page.text(
            WIDTH_PX / 2,
            page.bottom + 8,
            fit(note, WIDTH_PX - 80, SMALL_PX),
            size=SMALL_PX,
            color=MUTED,
            ha="center",
            va="baseline",
        )
    if prize:
        y = page.height_px - 22 - TITLE_PX - 16 - SUBTITLE_PX - 14
        page.text(
            36,
            y,
            fit(prize, WIDTH_PX - 72, LABEL_PX, bold=True),
            size=LABEL_PX,
            color=GOLD,
            va="top",
            bold=True,
        )
    return page.figure


def _name_lines(name: str, width: float) -> list[str]:
    """The name on one line when it fits, else first name over the rest (each cut to fit)."""
    if text_px(name, NAME_PX, bold=True) <= width:
        return [name]
    first, _, rest = name.partition(" ")
    return [fit(part, width, NAME_PX, bold=True) for part in (first, rest) if part]


def _fitting(text: str, width: float) -> float:
    """The value's size: as big as fits the step, down to a readable least."""
    size = float(VALUE_PX)
    while size > VALUE_LEAST_PX and text_px(text, size, bold=True) > width:
        size -= 2
    return size


def _initials(name: str) -> str:
    """'КС' for Кирилл Симонов; 'М' for a team such as 'Отдел продаж Москва' (its last word)."""
    parts = [p for p in name.split() if p]
    if len(parts) > 2:
        parts = parts[-1:]
    return "".join(p[0] for p in parts[:2]).upper() or "?"
