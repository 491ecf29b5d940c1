"""The page every chart is drawn on: header, footer, plain axes, and the PNG it becomes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from charts.kpi_words import kpi_word
from charts.theme import (
    BASE_HEIGHT_PX,
    BIG_PX,
    DPI,
    FONT,
    FOOTER_PX,
    GREY,
    GRID,
    HEADER_PX,
    INK,
    LABEL_PX,
    LIST_HEIGHT_PX,
    MARGIN_PX,
    MUTED,
    SMALL_PX,
    SUBTITLE_PX,
    TITLE_PX,
    WHITE,
    WIDTH_PX,
    as_of_text,
    pt,
    subtitle,
    text_px,
)
from charts.words import language

if TYPE_CHECKING:
    # Type names only: charts read kpi's result objects and never run a query.
    from kpi.common import ReportMeta


@dataclass(frozen=True)
class Header:
    """What every image says about itself: what, when, for whom, and how fresh."""

    title: str
    subtitle: str
    footer: str


@dataclass(frozen=True)
class Page:
    """A figure with its header and footer drawn, and the free box for the chart in px."""

    figure: Figure
    height_px: int
    left: float
    bottom: float
    width: float
    height: float

    def axes(self, left: float, bottom: float, width: float, height: float) -> Axes:
        """Axes at a box in px from the page's bottom-left corner, styled plainly."""
        h = self.height_px
        ax = self.figure.add_axes((left / WIDTH_PX, bottom / h, width / WIDTH_PX, height / h))
        plain_axes(ax)
        return ax

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = LABEL_PX,
        color: str = INK,
        ha: str = "left",
        va: str = "baseline",
        bold: bool = False,
    ) -> None:
        """Text at a point in px from the page's bottom-left corner."""
        self.figure.text(
            x / WIDTH_PX,
            y / self.height_px,
            text,
            fontsize=pt(size),
            fontfamily=FONT,
            color=color,
            ha=ha,
            va=va,
            fontweight="bold" if bold else "normal",
        )

    def legend(
        self, x: float, y: float, items: Sequence[tuple[str, str]], *, symbol: str = "■"
    ) -> float:
        """Coloured symbols with labels in one line from (x, y) px; returns the end x."""
        for label, color in items:
            self.text(x, y, symbol, size=LABEL_PX, color=color, va="center")
            x += LABEL_PX + 6
            self.text(x, y, label, size=SMALL_PX, color=MUTED, va="center")
            x += text_px(label, SMALL_PX) + 26
        return x

    def big_numbers(self, items: Sequence[tuple[str, str, str]], *, y: float) -> None:
        """Key figures in a row at height y px: a big value over a small caption each."""
        x = self.left
        for caption, value, color in items:
            self.text(x, y, value, size=BIG_PX, color=color, va="top", bold=True)
            self.text(x, y - BIG_PX - 12, caption, size=SMALL_PX, color=MUTED, va="top")
            x += max(text_px(value, BIG_PX, bold=True), text_px(caption, SMALL_PX)) + 56


def report_header(meta: ReportMeta, title: str, *extra: str) -> Header:
    """Title, then period and scope (and any extra figure) in the subtitle, freshness below."""
    period = meta.period
    label = period.label_en if language() == "en" else period.label_ru
    return Header(
        title=title,
        subtitle=subtitle(label, kpi_word(meta.scope.name), *extra),
        footer=as_of_text(meta.data_as_of, period.tz),
    )


def empty_page(header: Header, message: str) -> Page:
    """A page that says there is nothing to draw, so a chat never gets a blank chart."""
    page = new_page(header, least_px=LIST_HEIGHT_PX)
    middle = page.bottom + page.height / 2
    page.text(WIDTH_PX / 2, middle, message, size=TITLE_PX, color=MUTED, ha="center", va="center")
    return page


def new_page(header: Header, *, content_px: float = 0, least_px: int = BASE_HEIGHT_PX) -> Page:
    """A white page tall enough for `content_px` of chart (at least `least_px` in all)."""
    height = max(least_px, round(content_px + HEADER_PX + FOOTER_PX + 24))
    fig = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI, facecolor=WHITE)
    FigureCanvasAgg(fig)
    page = Page(
        figure=fig,
        height_px=height,
        left=MARGIN_PX,
        bottom=FOOTER_PX + 12,
        width=WIDTH_PX - 2 * MARGIN_PX,
        height=height - HEADER_PX - FOOTER_PX - 24,
    )
    top = height - 22
    page.text(MARGIN_PX, top, header.title, size=TITLE_PX, va="top", bold=True)
    page.text(
        MARGIN_PX, top - TITLE_PX - 16, header.subtitle, size=SUBTITLE_PX, color=MUTED, va="top"
    )
    page.text(MARGIN_PX, 18, header.footer, size=SMALL_PX, color=MUTED)
    return page


def plain_axes(ax: Axes) -> None:
    """No chart junk: no top/right spines, muted ticks, transparent background."""
    ax.set_facecolor("none")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GREY)
    ax.tick_params(colors=MUTED, labelsize=pt(SMALL_PX), labelfontfamily=FONT, length=0, pad=6)


def value_grid(ax: Axes, axis: str) -> None:
    """A light grid on the value axis only, behind the data."""
    ax.grid(visible=True, axis=axis, color=GRID, linewidth=1.0)  # type: ignore[arg-type]
    ax.set_axisbelow(True)


def boxes(ax: Axes, rects: Sequence[tuple[float, float, float, float]], color: str) -> None:
    """Filled rectangles (x, y, width, height in data units) as one collection.

    One patch per bar costs a path walk each for the data limits; every chart sets its
    limits itself, so a single collection without autoscaling draws the same for less.
    """
    verts = [((x, y), (x + w, y), (x + w, y + h), (x, y + h)) for x, y, w, h in rects if w and h]
    if verts:
        shapes = PolyCollection(verts, facecolors=color, linewidths=0, zorder=1)
        ax.add_collection(shapes, autolim=False)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, with no software or time stamp, so equal input gives equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=DPI,
        facecolor=WHITE,
        metadata={"Software": None, "Creation Time": None},
    )
    return buffer.getvalue()


# --- text -------------------------------------------------------------------------------
