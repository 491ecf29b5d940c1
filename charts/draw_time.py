"""Charts over time, from plain sequences: stacked columns per day, a cumulative line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from charts.draw_page import Page, boxes, value_grid
from charts.theme import (
    FONT,
    GREY,
    INK,
    MUTED,
    SMALL_PX,
    VALUE_PX,
    count_text,
    pt,
    text_px,
)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    color: str


@dataclass(frozen=True)
class EndMark:
    """A labelled point at the right end of a line chart (plan, forecast)."""

    label: str
    value: float
    color: str
    marker: str = "o"


def tick_positions(count: int, most: int) -> list[int]:
    """Every k-th index so that at most `most` labels show, the last one always."""
    if count <= most:
        return list(range(count))
    step = -(-count // most)
    picks = list(range(0, count, step))
    if picks[-1] != count - 1:
        if count - 1 - picks[-1] <= step / 2:
            picks[-1] = count - 1
        else:
            picks.append(count - 1)
    return picks


def _room_for_ticks(width_px: float, labels: Sequence[str]) -> int:
    """How many tick labels fit side by side in `width_px` without touching."""
    widest = max((text_px(label, SMALL_PX) for label in labels), default=0.0)
    return max(2, min(16, int(width_px / (widest + 28))))


def draw_columns(
    page: Page,
    box: tuple[float, float, float, float],
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    totals: bool = True,
) -> Axes:
    """Stacked columns, one per label, series bottom to top; the total above each column."""
    ax = page.axes(*box)
    value_grid(ax, "y")
    count = len(labels)
    positions = list(range(count))
    base = [0.0] * count
    for one in series:
        rects = [
            (x - 0.36, b, 0.72, v) for x, b, v in zip(positions, base, one.values, strict=True)
        ]
        boxes(ax, rects, one.color)
        base = [b + v for b, v in zip(base, one.values, strict=True)]
    top = max(base, default=0.0)
    ax.set_ylim(0, max(top * 1.15, 1.0))
    ax.set_xlim(-0.6, count - 0.4)
    ticks = tick_positions(count, _room_for_ticks(box[2], labels))
    ax.set_xticks(ticks, [labels[i] for i in ticks])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: count_text(v)))
    ax.spines["left"].set_visible(False)
    if totals and count <= 24:
        size = VALUE_PX if count <= 8 else SMALL_PX
        for x, total in zip(positions, base, strict=True):
            if total:
                ax.text(
                    x,
                    total + top * 0.02,
                    count_text(total),
                    ha="center",
                    va="bottom",
                    fontsize=pt(size),
                    fontfamily=FONT,
                    color=INK,
                )
    return ax


def draw_cumulative(
    page: Page,
    box: tuple[float, float, float, float],
    labels: Sequence[str],
    fact: Sequence[float],
    *,
    fact_color: str,
    plan: float | None,
    marks: Sequence[EndMark],
    money: Callable[[float], str],
    forecast: float | None = None,
) -> Axes:
    """A cumulative line over `labels` (days); `fact` may stop early (a running period).

    The point x = i + 1 is the end of day i, x = 0 the period's start, so the plan is a
    straight line from (0, 0) to (n, plan) and each end mark sits at x = n.
    """
    ax = page.axes(*box)
    value_grid(ax, "y")
    count = len(labels)
    xs = list(range(len(fact) + 1))
    ys = [0.0, *fact]
    if plan is not None:
        ax.plot([0, count], [0, plan], color=GREY, linewidth=2.5, linestyle=(0, (6, 4)))
    if forecast is not None and len(fact) < count:
        ax.plot(
            [xs[-1], count],
            [ys[-1], forecast],
            color=fact_color,
            linewidth=2.5,
            linestyle=(0, (4, 4)),
        )
    ax.fill_between(xs, ys, color=fact_color, alpha=0.12, linewidth=0)
    ax.plot(xs, ys, color=fact_color, linewidth=4, solid_capstyle="round")
    ax.plot([xs[-1]], [ys[-1]], marker="o", markersize=10, color=fact_color)
    highest = max([*ys, plan or 0.0, *(m.value for m in marks)], default=0.0)
    ax.set_ylim(0, max(highest * 1.12, 1.0))
    ax.set_xlim(0, count)
    ticks = tick_positions(count, _room_for_ticks(box[2], labels))
    ax.set_xticks([i + 1 for i in ticks], [labels[i] for i in ticks])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))
    ax.spines["left"].set_visible(False)
    for mark in marks:
        if not mark.marker:
            continue
        ax.plot(
            [count],
            [mark.value],
            marker=mark.marker,
            markersize=13,
            color=mark.color,
            clip_on=False,
            zorder=5,
        )
    _end_labels(ax, count, marks, highest)
    return ax


def _end_labels(ax: Axes, x: float, marks: Sequence[EndMark], highest: float) -> None:
    """Labels right of the end marks, pushed apart so that none overlaps another."""
    ordered = sorted(marks, key=lambda m: m.value)
    gap = max(highest, 1.0) * 0.075
    placed: list[float] = []
    for mark in ordered:
        y = mark.value if not placed else max(mark.value, placed[-1] + gap)
        placed.append(y)
        ax.text(
            x,
            y,
            f"   {mark.label}",
            ha="left",
            va="center",
            color=mark.color,
            fontsize=pt(VALUE_PX),
            fontfamily=FONT,
            fontweight="bold",
            clip_on=False,
        )


def draw_hours(
    page: Page,
    box: tuple[float, float, float, float],
    hours: Sequence[int],
    counts: Sequence[float],
    *,
    color: str,
) -> Axes:
    """A small column panel of calls per hour of the day."""
    ax = page.axes(*box)
    value_grid(ax, "y")
    boxes(ax, [(h - 0.375, 0.0, 0.75, n) for h, n in zip(hours, counts, strict=True)], color)
    ax.set_xlim(min(hours, default=0) - 0.6, max(hours, default=23) + 0.6)
    step = 2 if len(hours) > 8 else 1
    ticks = [h for h in hours if h % step == 0]
    ax.set_xticks(ticks, [str(h) for h in ticks])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: count_text(v)))
    ax.spines["left"].set_visible(False)
    ax.set_ylim(0, max(max(counts, default=0.0) * 1.1, 1.0))
    ax.tick_params(labelsize=pt(SMALL_PX - 2))
    ax.spines["bottom"].set_color(GREY)
    ax.xaxis.label.set_color(MUTED)
    return ax
