"""The channels chart: revenue per lead source as bars, leads and cost per lead beside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from charts.draw_bars import BarLayout, bar_page
from charts.draw_page import empty_page, report_header
from charts.draw_rows import BarRow, Segment
from charts.theme import GREEN, count_text, fixed_text, money_text
from charts.words import _

if TYPE_CHECKING:
    from kpi.channels import ChannelsReport


def _spend(value: object) -> str:
    return "—" if value is None else fixed_text(float(str(value))) + "×"


def channels_figure(report: ChannelsReport) -> Figure:
    total = report.total
    cost = money_text(total.cost) if total.cost is not None else _("не заданы")
    header = report_header(
        report.meta,
        _("Каналы: лиды, продажи и расходы"),
        _("лидов {leads}, продаж {sales}, выручка {revenue}").format(
            leads=count_text(total.leads),
            sales=count_text(total.deals_won),
            revenue=money_text(total.revenue),
        ),
        _("расходы {cost}").format(cost=cost),
    )
    if not report.rows:
        return empty_page(header, _("Нет лидов и продаж в этом периоде")).figure
    rows = [
        BarRow(
            row.source,
            (Segment(float(row.revenue), GREEN),),
            money_text(row.revenue),
            columns=(
                count_text(row.leads),
                "—" if row.cost_per_lead is None else money_text(row.cost_per_lead),
                _spend(row.return_on_spend),
            ),
        )
        for row in report.rows
    ]
    layout = BarLayout(
        label_px=280,
        columns=((_("лиды"), 90), (_("цена лида"), 170), (_("окупаемость"), 150)),
    )
    return bar_page(header, rows, layout=layout, legend=[(_("выручка"), GREEN)]).figure
