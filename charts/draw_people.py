"""Per-employee lists: the leaderboard, client coverage, tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from charts.draw_bars import (
    BarLayout,
    bar_page,
)
from charts.draw_page import empty_page, report_header
from charts.draw_rows import BarRow, Cell, Segment
from charts.theme import (
    BLUE,
    BLUE_LIGHT,
    GREEN,
    GREY,
    INK,
    MUTED,
    RED,
    RED_LIGHT,
    count_text,
    number_text,
    percent_text,
)
from charts.words import _, ngettext

if TYPE_CHECKING:
    from decimal import Decimal

    from kpi.coverage import CoverageReport, CoverageRow
    from kpi.rating import RatingReport, RatingRow
    from kpi.tasks import TasksReport

PODIUM = 3


# --- rating -----------------------------------------------------------------------------


def rating_figure(report: RatingReport) -> Figure:
    total, before = report.total.points, report.previous_total.points
    header = report_header(
        report.meta,
        _("Рейтинг менеджеров"),
        _("всего {points}, прошлый период {before}").format(
            points=_points(total), before=_points(before)
        ),
    )
    if not report.rows or not any(row.points for row in report.rows):
        return empty_page(header, _("Пока ни у кого нет баллов")).figure
    rows = [_rating_row(row) for row in report.rows]
    columns = (
        (_("усп. звонки"), 124),
        (_("письма"), 92),
        (_("встречи"), 100),
        (_("сделки"), 92),
    )
    layout = BarLayout(cell_px=(58, 78), label_px=340, columns=columns)
    return bar_page(header, rows, layout=layout).figure


def _rating_row(row: RatingRow) -> BarRow:
    podium = row.rank is not None and row.rank <= PODIUM
    rank = Cell("" if row.rank is None else str(row.rank), INK, bold=podium)
    points = float(row.points)
    return BarRow(
        row.employee,
        (Segment(points, BLUE if podium else BLUE_LIGHT),),
        number_text(points),
        value_color=RED if points < 0 else INK,
        columns=tuple(
            count_text(n) for n in (row.successful_calls, row.emails, row.meetings, row.deals_won)
        ),
        cells=(rank, _change(row.rank_change, row.previous_rank)),
        bold=podium,
    )


def _change(change: int | None, before: int | None) -> Cell:
    """▲2 green, ▼1 red, — grey; 'нов.' for someone who had no rank last period."""
    if before is None or change is None:
        return Cell(_("нов."), MUTED)
    if change > 0:
        return Cell(f"▲{change}", GREEN)
    if change < 0:
        return Cell(f"▼{-change}", RED)
    return Cell("—", GREY)


def _points(value: Decimal) -> str:
    if value != int(value):
        return _("{n} балла").format(n=number_text(float(value)))
    points = int(value)
    return ngettext("{n}\u00a0балл", "{n}\u00a0баллов", points).format(n=count_text(points))


# --- coverage ---------------------------------------------------------------------------


def coverage_figure(report: CoverageReport) -> Figure:
    total = report.total
    key = _("ключевые {share}").format(
        share=percent_text(_share(total.key_covered, total.key_clients))
    )
    header = report_header(
        report.meta,
        _("Охват клиентов: {share}").format(share=percent_text(total.coverage)),
        key if total.key_clients else "",
        _("прошлый период {value}").format(value=percent_text(report.previous_total.coverage)),
    )
    if not total.clients:
        return empty_page(header, _("У сотрудников нет клиентов")).figure
    ordered = sorted(report.rows, key=_coverage_order)
    rows = [_coverage_row(row) for row in ordered]
    legend = [(_("с контактом"), GREEN), (_("без внимания"), RED_LIGHT)]
    if total.key_clients:
        legend.append((_("ключевые без внимания (тонкая полоса)"), RED))
    return bar_page(header, rows, layout=BarLayout(label_px=300), legend=legend).figure


def _coverage_order(row: CoverageRow) -> tuple[bool, float, str]:
    # the least covered first: that is where attention is needed; no clients at the end
    return (row.coverage is None, row.coverage or 0.0, row.employee)


def _coverage_row(row: CoverageRow) -> BarRow:
    if not row.clients:
        return BarRow(row.employee, (), empty_text=_("нет клиентов"))
    segments = (
        Segment(float(row.covered), GREEN),
        Segment(float(row.clients - row.covered), RED_LIGHT),
    )
    detail = _("{part} из {whole}").format(
        part=count_text(row.covered), whole=count_text(row.clients)
    )
    under: tuple[Segment, ...] = ()
    if row.key_clients:
        under = (
            Segment(float(row.key_covered), GREEN),
            Segment(float(row.key_clients - row.key_covered), RED),
        )
        detail += "  ·  " + _("ключевые {covered}/{clients}").format(
            covered=row.key_covered, clients=row.key_clients
        )
    return BarRow(row.employee, segments, percent_text(row.coverage), detail=detail, under=under)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- tasks ------------------------------------------------------------------------------


def tasks_figure(report: TasksReport) -> Figure:
    total, before = report.total, report.previous_total
    header = report_header(
        report.meta,
        _("Задачи"),
        _("выполнено {done}, просрочено {overdue}").format(
            done=count_text(total.completed), overdue=count_text(total.overdue)
        ),
        _("прошлый период {value}").format(
            value=f"{count_text(before.completed)} / {count_text(before.overdue)}"
        ),
    )
    if not total.completed and not total.overdue:
        return empty_page(header, _("Нет выполненных и просроченных задач")).figure
    ordered = sorted(report.rows, key=lambda r: (-r.overdue, -r.completed, r.employee))
    rows = [
        BarRow(
            row.employee,
            (Segment(float(row.completed), GREEN), Segment(float(row.overdue), RED)),
            _("{n} выполнено").format(n=count_text(row.completed)),
            detail=_("{n} просрочено").format(n=count_text(row.overdue)) if row.overdue else "",
            detail_color=RED,
        )
        for row in ordered
    ]
    legend = [(_("выполнено"), GREEN), (_("просрочено"), RED)]
    return bar_page(header, rows, layout=BarLayout(label_px=300), legend=legend).figure
