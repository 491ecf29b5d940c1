"""The ABC/XYZ matrix: companies and revenue in each class pair, with the top companies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from charts.draw_page import Page, empty_page, new_page, report_header
from charts.theme import (
    BLUE,
    FONT,
    INK,
    LABEL_PX,
    MUTED,
    SMALL_PX,
    VALUE_PX,
    WHITE,
    count_text,
    day_text,
    fit,
    money_text,
    percent_text,
    pt,
)
from charts.words import N_, _, ngettext

if TYPE_CHECKING:
    from kpi.abc import AbcReport

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
ABC_WORDS = {"A": N_("до 80 % выручки"), "B": N_("следующие 15 %"), "C": N_("остальные 5 %")}
XYZ_WORDS = {"X": N_("стабильно"), "Y": N_("колеблется"), "Z": N_("разово")}
TOP_COMPANIES = 10
PALE = "#f3f6fb"
INK_TURNS_WHITE = 0.7  # past this depth of blue, dark text stops reading well


def abc_figure(report: AbcReport) -> Figure:
    total = report.total
    window = f"{day_text(report.first_day, year=True)}–{day_text(report.last_day, year=True)}"
    counted = ngettext("{n}\u00a0компания", "{n}\u00a0компаний", total.companies)
    header = report_header(
        report.meta,
        _("ABC/XYZ клиентов"),
        _("за {months} мес. ({window})").format(months=report.months, window=window),
        f"{counted.format(n=count_text(total.companies))}, {money_text(total.revenue)}",
    )
    if not total.companies:
        return empty_page(header, _("Нет выручки за эти месяцы")).figure
    page = new_page(header)
    top = page.bottom + page.height
    cells = {(c.abc, c.xyz): c for c in report.matrix}
    whole = float(total.revenue) or 1.0
    grid_left, grid_top = page.left + 250, top - 56
    cell_w, cell_h = 170, (grid_top - page.bottom - 20) / 3
    for col, xyz in enumerate(XYZ):
        x = grid_left + col * cell_w + cell_w / 2
        page.text(x, grid_top + 34, xyz, size=LABEL_PX, bold=True, ha="center", va="center")
        page.text(
            x,
            grid_top + 10,
            _(XYZ_WORDS[xyz]),
            size=SMALL_PX,
            color=MUTED,
            ha="center",
            va="center",
        )
    ax = page.axes(grid_left, grid_top - 3 * cell_h, 3 * cell_w, 3 * cell_h)
    ax.set_axis_off()
    ax.set_xlim(0, 3)
    ax.set_ylim(3, 0)
    for row, abc in enumerate(ABC):
        y = grid_top - row * cell_h - cell_h / 2
        share = sum(float(c.revenue) for c in report.matrix if c.abc == abc) / whole
        page.text(
            page.left,
            y + 14,
            f"{abc}  {percent_text(share)}",
            size=LABEL_PX,
            bold=True,
            va="center",
        )
        page.text(page.left, y - 16, _(ABC_WORDS[abc]), size=SMALL_PX, color=MUTED, va="center")
        for col, xyz in enumerate(XYZ):
            cell = cells.get((abc, xyz))
            companies = cell.companies if cell else 0
            revenue = float(cell.revenue) if cell else 0.0
            # a cell with 40 % of all revenue or more is full blue
            depth = 0.06 + 0.94 * min(revenue / whole * 2.5, 1.0)
            ax.add_patch(_cell(col, row, _shade(depth)))
            ink = WHITE if depth > INK_TURNS_WHITE else INK
            ax.text(
                col + 0.5,
                row + 0.4,
                count_text(companies),
                ha="center",
                va="center",
                fontsize=pt(LABEL_PX + 6),
                fontfamily=FONT,
                fontweight="bold",
                color=ink,
            )
            ax.text(
                col + 0.5,
                row + 0.68,
                money_text(revenue) if revenue else "—",
                ha="center",
                va="center",
                fontsize=pt(SMALL_PX),
                fontfamily=FONT,
                color=ink,
            )
    _top_list(page, report, grid_left + 3 * cell_w + 60, grid_top + 34)
    return page.figure


def _shade(depth: float) -> tuple[float, float, float]:
    """Between pale and our blue: a deeper cell holds more revenue."""
    low, high = to_rgb(PALE), to_rgb(BLUE)
    r, g, b = (a + (z - a) * depth for a, z in zip(low, high, strict=True))
    return (r, g, b)


def _cell(col: int, row: int, color: tuple[float, float, float]) -> Rectangle:
    return Rectangle((col + 0.03, row + 0.03), 0.94, 0.94, facecolor=color, linewidth=0)


def _top_list(page: Page, report: AbcReport, x: float, y: float) -> None:
    """The biggest companies by revenue with their classes, right of the matrix."""
    page.text(x, y, _("Крупнейшие клиенты"), size=VALUE_PX, bold=True, va="center")
    line = y - 44
    for row in report.rows[:TOP_COMPANIES]:
        page.text(
            x, line, f"{row.abc}{row.xyz}", size=SMALL_PX, color=MUTED, va="center", bold=True
        )
        page.text(x + 40, line, fit(row.title, 230, SMALL_PX), size=SMALL_PX, va="center")
        page.text(
            page.left + page.width,
            line,
            money_text(row.revenue),
            size=SMALL_PX,
            ha="right",
            va="center",
        )
        line -= 36
