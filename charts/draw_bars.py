"""Horizontal bar lists: one row per person, stage or reason, from plain values.

Rows (``draw_rows.BarRow``) are drawn top to bottom with text columns on the left (rank,
change, name), optional figure columns on the right, and an 'и ещё N' line when a list
longer than `limit` rows is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from matplotlib.axes import Axes
from matplotlib.transforms import Transform, blended_transform_factory

from charts.draw_page import Header, Page, new_page
from charts.draw_rows import BarRow, draw_row, label_room, reach, total
from charts.kpi_words import kpi_word
from charts.theme import (
    FONT,
    GREY,
    INK,
    LABEL_PX,
    LIST_HEIGHT_PX,
    MAX_ROWS,
    MUTED,
    ROW_PX,
    SMALL_PX,
    VALUE_PX,
    WIDTH_PX,
    fit,
    more_text,
    pt,
)


@dataclass(frozen=True)
class BarLayout:
    cell_px: Sequence[float] = ()
    label_px: float = 300
    # Right-hand table columns: (heading, width px); each row fills them from `columns`.
    columns: Sequence[tuple[str, float]] = ()
    row_px: float = ROW_PX
    # Bars longer than this are cut there (a fact at 300 % of plan must not squash the rest).
    cap: float | None = None


def rows_height(rows: int, hidden: int, layout: BarLayout) -> float:
    """Px a list of `rows` takes, with a line for 'и ещё N' when anything is hidden."""
    heading = 0.7 if layout.columns else 0.0
    return (rows + heading + (0.9 if hidden else 0.3)) * layout.row_px + 34


def draw_bar_list(
    page: Page,
    rows: Sequence[BarRow],
    *,
    box: tuple[float, float, float, float],
    hidden: int = 0,
    layout: BarLayout | None = None,
) -> Axes:
    """Draw the rows top to bottom inside `box` (px: left, bottom, width, height)."""
    layout = layout or BarLayout()
    left, bottom, width, height = box
    text_width = sum(layout.cell_px) + layout.label_px
    table_px = sum(w for _, w in layout.columns)
    axes_px = width - text_width - table_px
    ax = page.axes(left + text_width, bottom, axes_px, height)
    ax.tick_params(axis="both", left=False, labelleft=False, labelbottom=False)
    ax.spines["bottom"].set_visible(False)

    low = min((min(0.0, total(r.segments)) for r in rows), default=0.0)
    high = max((reach(r, layout.cap) for r in rows), default=0.0) or 1.0
    right_px = max((label_room(r) for r in rows), default=0.0) + 16
    left_px = max((label_room(r) for r in rows if total(r.segments) < 0), default=0.0)
    left_px = left_px + 16 if left_px else 0.0
    bar_px = max(axes_px - right_px - left_px, axes_px * 0.3)
    unit = (high - low) / bar_px
    ax.set_xlim(low - left_px * unit, high + right_px * unit)
    top = -1.3 if layout.columns else -0.6  # room for the column headings
    ax.set_ylim(height / layout.row_px + top, top)
    # the zero line, which sits inside the axes when some bars run negative
    ax.spines["left"].set_visible(False)
    if rows:
        ax.plot([0, 0], [-0.5, len(rows) - 0.5], color=GREY, linewidth=1)

    to_fig = blended_transform_factory(page.figure.transFigure, ax.transData)
    thick = 0.6 if any(r.under for r in rows) else 0.7
    for y, row in enumerate(rows):
        draw_row(ax, row, y, thick=thick, pad=8 * unit, cap=layout.cap)
        x = left
        for cell, cell_px in zip(row.cells, layout.cell_px, strict=False):
            _label(
                ax,
                (x + cell_px - 14) / WIDTH_PX,
                y,
                cell.text,
                transform=to_fig,
                color=cell.color,
                ha="right",
                bold=cell.bold,
            )
            x += cell_px
        name = fit(kpi_word(row.label), layout.label_px - 12, LABEL_PX, bold=row.bold)
        _label(ax, x / WIDTH_PX, y, name, transform=to_fig, color=INK, ha="left", bold=row.bold)
        _table(
            ax,
            layout,
            row.columns,
            y,
            right=left + width,
            transform=to_fig,
            color=INK,
            size=VALUE_PX,
        )
    if layout.columns:
        heads = [head for head, _ in layout.columns]
        _table(
            ax,
            layout,
            heads,
            -0.95,
            right=left + width,
            transform=to_fig,
            color=MUTED,
            size=SMALL_PX,
        )
    if hidden:
        _label(
            ax,
            (left + sum(layout.cell_px)) / WIDTH_PX,
            len(rows) + 0.1,
            more_text(hidden),
            transform=to_fig,
            color=MUTED,
            ha="left",
            bold=False,
        )
    return ax


def _table(
    ax: Axes,
    layout: BarLayout,
    texts: Sequence[str],
    y: float,
    *,
    right: float,
    transform: Transform,
    color: str,
    size: float,
) -> None:
    """Texts right-aligned in the layout's columns, which end at `right` px."""
    x = right - sum(w for _, w in layout.columns)
    for text, (_, column_px) in zip(texts, layout.columns, strict=False):
        x += column_px
        ax.text(
            x / WIDTH_PX,
            y,
            text,
            transform=transform,
            ha="right",
            va="center",
            fontsize=pt(size),
            fontfamily=FONT,
            color=color,
        )


def _label(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    *,
    transform: Transform,
    color: str,
    ha: str,
    bold: bool,
) -> None:
    ax.text(
        x,
        y,
        text,
        transform=transform,
        ha=ha,
        va="center",
        fontsize=pt(LABEL_PX),
        fontfamily=FONT,
        color=color,
        fontweight="bold" if bold else "normal",
    )


def bar_page(
    header: Header,
    rows: Sequence[BarRow],
    *,
    layout: BarLayout | None = None,
    legend: Sequence[tuple[str, str]] = (),
    limit: int = MAX_ROWS,
) -> Page:
    """A page with the first `limit` rows as a bar list (the rest counted), legend above."""
    layout = layout or BarLayout()
    shown = rows[:limit]
    hidden = len(rows) - len(shown)
    legend_px = 44 if legend else 0
    if len(shown) <= 8 and layout.row_px == ROW_PX:
        # few rows: thicker bars read better than a thin list in white space
        layout = replace(layout, row_px=ROW_PX + 10)
    height = rows_height(len(shown), hidden, layout)
    page = new_page(header, content_px=height + legend_px, least_px=LIST_HEIGHT_PX)
    top = page.bottom + page.height
    if legend:
        page.legend(page.left, top - 12, legend)
    box = (page.left, top - legend_px - height, page.width, height)
    draw_bar_list(page, shown, hidden=hidden, layout=layout, box=box)
    return page
