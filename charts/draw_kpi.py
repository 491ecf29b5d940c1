"""KPI plan against fact: one bullet bar per metric, with the plan and the pace by now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from charts.draw_bars import (
    BarLayout,
    draw_bar_list,
    rows_height,
)
from charts.draw_page import empty_page, new_page, report_header
from charts.draw_rows import BarRow, Mark, Segment
from charts.theme import (
    GREEN,
    INK,
    LIST_HEIGHT_PX,
    RED,
    ROW_PX,
    money_text,
    number_text,
    percent_text,
)
from charts.words import N_, _, say

if TYPE_CHECKING:
    from decimal import Decimal

    from kpi.kpiplan import KpiReport, Metric

# The metrics' names: Russian message ids, shared with the captions (reports.caption_people,
# reports.tables), which translate them where they show them; ``metric_name`` does it here.
METRIC_NAMES = {
    "calls": N_("Звонки"),
    "successful_calls": N_("Успешные звонки"),
    "talk_minutes": N_("Минуты разговоров"),
    "meetings": N_("Встречи"),
    "emails": N_("Письма"),
    "new_deals": N_("Новые сделки"),
    "revenue": N_("Выручка"),
}
GOOD = frozenset({"met", "on_track"})
CAP = 1.5  # a fact far over plan is drawn to 150 % and labelled with its real share


def metric_name(key: str) -> str:
    """A metric's name in the language of the words in force (Russian outside a drawing)."""
    name = METRIC_NAMES.get(key)
    return key if name is None else say(name)


def kpi_figure(report: KpiReport) -> Figure:
    metrics = report.total.metrics
    met = sum(1 for m in metrics.values() if m.status in GOOD)
    planned = sum(1 for m in metrics.values() if m.plan)
    header = report_header(
        report.meta,
        _("KPI: план и факт"),
        _("в норме {met} из {planned}").format(met=met, planned=planned)
        if planned
        else _("планы не заданы"),
    )
    if not planned and not any(m.fact for m in metrics.values()):
        return empty_page(header, _("Нет ни планов, ни фактов за период")).figure
    rows = [_row(name, metric) for name, metric in metrics.items()]
    layout = BarLayout(label_px=290, row_px=ROW_PX + 18, cap=CAP)
    height = rows_height(len(rows), 0, layout)
    legend_px = 44
    page = new_page(header, content_px=height + legend_px, least_px=LIST_HEIGHT_PX)
    top = page.bottom + page.height
    running = report.meta.period.running
    good, bad = (_("в норме"), _("отстаёт")) if running else (_("выполнен"), _("не выполнен"))
    x = page.legend(page.left, top - 12, [(good, GREEN), (bad, RED)])
    x = page.legend(x, top - 12, [(_("план"), INK)], symbol="|")
    if running:
        page.legend(x, top - 12, [(_("ожидалось к этому моменту"), INK)], symbol="▼")
    box = (page.left, top - legend_px - height, page.width, height)
    draw_bar_list(page, rows, box=box, layout=layout)
    return page.figure


def _row(name: str, metric: Metric) -> BarRow:
    label = metric_name(name)
    fact = _figure(name, metric.fact)
    if not metric.plan:
        return BarRow(label, (), empty_text=_("{fact}, плана нет").format(fact=fact))
    plan = float(metric.plan)
    share = float(metric.fact) / plan
    color = GREEN if metric.status in GOOD else RED
    marks = [Mark(1.0, "plan")]
    if metric.expected_by_now is not None and metric.status in ("on_track", "behind"):
        marks.append(Mark(float(metric.expected_by_now) / plan, "pace"))
    return BarRow(
        label,
        (Segment(share, color),),
        percent_text(share),
        value_color=color,
        detail=_("{fact} из {plan}").format(fact=fact, plan=_figure(name, metric.plan)),
        track=1.0,
        marks=tuple(marks),
    )


def _figure(name: str, value: Decimal) -> str:
    if name == "revenue":
        return money_text(value)
    return number_text(round(float(value)))
