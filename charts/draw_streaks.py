"""The streaks report: each employee's longest running streak against their record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from charts.draw_bars import BarLayout, bar_page
from charts.draw_kpi import metric_name
from charts.draw_page import empty_page, report_header
from charts.draw_rows import BarRow, Segment
from charts.theme import GREY_LIGHT, count_text
from charts.words import _, ngettext

if TYPE_CHECKING:
    from kpi.streaks import StreakRow, StreaksReport

FLAME = "#f08c2e"


def streaks_figure(report: StreaksReport) -> Figure:
    header = report_header(report.meta, _("Серии выполненного дневного плана"))
    best: dict[int, StreakRow] = {}
    for row in report.rows:  # rows come longest current first
        if row.employee_id is not None and row.employee_id not in best:
            best[row.employee_id] = row
    if not best:
        return empty_page(header, _("Ни у кого нет плана на месяц: серий нет")).figure
    rows = [
        BarRow(
            row.employee,
            (Segment(float(row.current), FLAME),),
            ngettext("{n}\u00a0день", "{n}\u00a0дней", row.current).format(
                n=count_text(row.current)
            ),
            detail=_("рекорд {best} · {metric}").format(
                best=row.best, metric=metric_name(row.metric)
            ),
            track=float(row.best),
            bold=row.current > 0 and row.current == report.total.current,
        )
        for row in sorted(best.values(), key=lambda r: (-r.current, -r.best, r.employee))
    ]
    layout = BarLayout(label_px=340)
    legend = ((_("серия сейчас"), FLAME), (_("рекорд"), GREY_LIGHT))
    return bar_page(header, rows, layout=layout, legend=legend).figure
