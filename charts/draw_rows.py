"""One row of a bar list, from plain values: stacked segments over an optional grey track,
a thin second bar under it, tick marks (a plan, the pace), and a value label at the end
with a small detail after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.text import Text

from charts.draw_page import boxes
from charts.theme import FONT, GREY_LIGHT, INK, MUTED, SMALL_PX, VALUE_PX, pt, text_px


@dataclass(frozen=True)
class Segment:
    value: float
    color: str


@dataclass(frozen=True)
class Cell:
    """A text column left of the name (a rank, a change arrow)."""

    text: str
    color: str = INK
    bold: bool = False


@dataclass(frozen=True)
class Mark:
    """A tick across the bar: the plan (a solid bar) or the pace by now (dashed, arrowed)."""

    value: float
    kind: Literal["plan", "pace"]


@dataclass(frozen=True)
class BarRow:
    label: str
    segments: tuple[Segment, ...]
    value_text: str = ""
    value_color: str = INK
    detail: str = ""  # muted text after the value ("12 из 40")
    detail_color: str = MUTED
    cells: tuple[Cell, ...] = ()
    bold: bool = False
    # Shown in place of the bar when the row has nothing to draw ("нет клиентов").
    empty_text: str = ""
    # A thin bar under the main one (key clients under all clients), with its own label.
    under: tuple[Segment, ...] = ()
    under_text: str = ""
    # Drawn first, as the full length behind the segments (all leads behind converted ones).
    track: float | None = None
    marks: tuple[Mark, ...] = ()
    columns: tuple[str, ...] = ()  # figures in the layout's right-hand columns


def draw_row(
    ax: Axes, row: BarRow, y: float, *, thick: float, pad: float, cap: float | None
) -> None:
    main_y = y - 0.12 if row.under else y
    if row.empty_text:
        ax.text(
            pad,
            main_y,
            row.empty_text,
            va="center",
            ha="left",
            color=MUTED,
            fontsize=pt(VALUE_PX),
            fontfamily=FONT,
            fontstyle="italic",
        )
        return
    if row.track:
        boxes(ax, [(0.0, main_y - thick / 2, _capped(row.track, cap), thick)], GREY_LIGHT)
    _stack(ax, row.segments, main_y, thick, cap)
    for mark in row.marks:
        _mark(ax, _capped(mark.value, cap), main_y, thick, mark.kind)
    end = reach(row, cap, under=False)
    if row.value_text:
        negative = total(row.segments) < 0
        value = ax.text(
            total(row.segments) - pad if negative else end + pad,
            main_y,
            row.value_text,
            va="center",
            ha="right" if negative else "left",
            color=row.value_color,
            fontsize=pt(VALUE_PX),
            fontfamily=FONT,
            fontweight="bold" if row.bold else "normal",
        )
        if row.detail and not negative:
            _after(ax, value, row.detail, row.detail_color)
    if row.under:
        under_y = y + thick / 2 + 0.03
        _stack(ax, row.under, under_y, 0.16, cap)
        if row.under_text:
            ax.text(
                total(row.under) + pad,
                under_y,
                row.under_text,
                va="center",
                ha="left",
                color=MUTED,
                fontsize=pt(SMALL_PX),
                fontfamily=FONT,
            )


def _after(ax: Axes, anchor: Text, text: str, color: str) -> None:
    """Small text right after another text, placed by its real rendered extent."""
    ax.annotate(
        text,
        xy=(1, 0.5),
        xycoords=anchor,
        xytext=(10, 0),
        textcoords="offset pixels",
        va="center",
        ha="left",
        color=color,
        fontsize=pt(SMALL_PX),
        fontfamily=FONT,
    )


def _mark(ax: Axes, x: float, y: float, thick: float, kind: str) -> None:
    half = thick / 2 + 0.08
    if kind == "plan":
        ax.plot([x, x], [y - half, y + half], color=INK, linewidth=3.5, solid_capstyle="butt")
        return
    ax.plot([x, x], [y - half, y + half], color=INK, linewidth=1.6, linestyle=(0, (2, 2)))
    ax.plot([x], [y - half], marker="v", markersize=9, color=INK, clip_on=False)


def _stack(
    ax: Axes, segments: Sequence[Segment], y: float, thick: float, cap: float | None
) -> None:
    start = 0.0
    for segment in segments:
        if segment.value:
            stop = _capped(start + segment.value, cap)
            boxes(ax, [(start, y - thick / 2, stop - start, thick)], segment.color)
            start += segment.value


def _capped(value: float, cap: float | None) -> float:
    return value if cap is None else min(value, cap)


def total(segments: Sequence[Segment]) -> float:
    return float(sum(s.value for s in segments))


def reach(row: BarRow, cap: float | None, *, under: bool = True) -> float:
    """How far right anything of the row is drawn, in data units."""
    ends = [0.0, total(row.segments), row.track or 0.0, *(m.value for m in row.marks)]
    if under:
        ends.append(total(row.under))
    return _capped(max(ends), cap)


def label_room(row: BarRow) -> float:
    value = text_px(row.value_text or row.empty_text, VALUE_PX, bold=row.bold)
    if row.detail:
        value += 10 + text_px(row.detail, SMALL_PX)
    return max(value, text_px(row.under_text, SMALL_PX))
