"""Sales charts: revenue against plan, the deal funnel, lead conversion, lost reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from charts.draw_bars import (
    BarLayout,
    bar_page,
)
from charts.draw_page import empty_page, new_page, report_header
from charts.draw_rows import BarRow, Cell, Segment
from charts.draw_time import EndMark, draw_cumulative
from charts.theme import (
    BLUE,
    GREEN,
    GREY_LIGHT,
    INK,
    MUTED,
    NBSP,
    RED,
    RED_LIGHT,
    count_text,
    day_text,
    money_text,
    percent_text,
    shorten,
)
from charts.words import _, ngettext, pgettext

if TYPE_CHECKING:
    from datetime import date

    from kpi.conversion import ConversionReport
    from kpi.funnel import FunnelReport, FunnelRow
    from kpi.lost import LostReport
    from kpi.plan import PlanReport

FAILURE_GREY = "#c9a8a6"  # failed stages: present, but not the red of a fresh loss
FAILURE_WORDS = frozenset({"failure", "apology"})


# --- plan -------------------------------------------------------------------------------


def plan_figure(report: PlanReport) -> Figure:
    total, meta = report.total, report.meta
    running = meta.period.running
    before = _("прошлый период {value}").format(value=money_text(report.previous_total.revenue))
    header = report_header(meta, _("Выручка и план"), before)
    pipeline_extra = total.forecast_pipeline - total.revenue
    if not total.revenue and total.plan is None and not pipeline_extra:
        return empty_page(header, _("Нет выигранных сделок и плана")).figure
    revenue, plan = float(total.revenue), None if total.plan is None else float(total.plan)
    run_rate = float(total.forecast_run_rate)
    expected = run_rate if running else revenue
    color = BLUE if plan is None else GREEN if expected >= plan else RED

    page = new_page(header)
    figures = [(_("факт"), money_text(revenue), INK)]
    if plan is not None:
        figures.append((_("план"), money_text(plan), INK))
        share = percent_text(revenue / plan if plan else None)
        figures.append((pgettext("share of plan", "выполнено"), share, color))
    if running:
        figures.append((_("прогноз по темпу"), money_text(run_rate), color))
    figures.append((_("сделок выиграно"), count_text(total.deals_won), INK))
    top = page.bottom + page.height
    page.big_numbers(figures, y=top)

    days = report.daily
    fact = [float(d.cumulative) for d in days if d.day <= report.as_of_day]
    marks = []
    if plan is not None:
        marks.append(EndMark(_("план {money}").format(money=_short(plan)), plan, INK, ""))
    if running:
        marks.append(EndMark(_("темп {money}").format(money=_short(run_rate)), run_rate, color))
        if pipeline_extra:
            pipeline = float(total.forecast_pipeline)
            marks.append(
                EndMark(_("воронка {money}").format(money=_short(pipeline)), pipeline, BLUE, "D")
            )
    elif fact:
        # over: the line ends at the period's end, and its end is the result
        marks.append(EndMark(_("факт {money}").format(money=_short(revenue)), revenue, color, ""))
    box = (page.left + 96, page.bottom + 34, page.width - 96 - 250, page.height - 120)
    draw_cumulative(
        page,
        box,
        [_day_label(d.day, len(days)) for d in days],
        fact,
        fact_color=color,
        plan=plan,
        marks=marks,
        money=lambda v: money_text(v, unit=False),
        forecast=run_rate if running else None,
    )
    return page.figure


def _short(money: float) -> str:
    """Money on the chart's own axis, where the unit would only repeat itself."""
    return money_text(money, unit=False)


def _day_label(day: date, days: int) -> str:
    return str(day.day) if days <= 31 else day_text(day)


# --- funnel -----------------------------------------------------------------------------


def funnel_figure(report: FunnelReport) -> Figure:
    total = report.total
    before = report.previous_total
    header = report_header(
        report.meta,
        _("Воронка сделок"),
        _("в работе {deals} на {money}").format(
            deals=count_text(total.open_deals), money=money_text(total.open_amount)
        ),
        _("прошлый период {value}").format(
            value=ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", before.deals).format(
                n=count_text(before.deals)
            )
        ),
    )
    if not total.deals:
        return empty_page(header, _("Нет сделок в воронке")).figure
    several = len(report.pipelines) > 1
    rows: list[BarRow] = []
    for pipeline in report.pipelines:
        if several:
            rows.append(BarRow(shorten(pipeline.pipeline, 40), (), bold=True))
        ordered = sorted(pipeline.rows, key=lambda r: r.semantics in FAILURE_WORDS)
        rows.extend(_stage_row(row) for row in ordered)
    layout = BarLayout(label_px=330)
    legend = [(_("в работе"), BLUE), (_("успех"), GREEN), (_("провал"), FAILURE_GREY)]
    return bar_page(header, rows, layout=layout, legend=legend).figure


def _stage_row(row: FunnelRow) -> BarRow:
    color = (
        GREEN
        if row.semantics == "success"
        else FAILURE_GREY
        if row.semantics in FAILURE_WORDS
        else BLUE
    )
    value = count_text(row.deals)
    if row.amount:
        value += f"  ·  {money_text(row.amount)}"
    return BarRow(row.stage, (Segment(float(row.deals), color),), value, value_color=INK)


# --- conversion -------------------------------------------------------------------------


def conversion_figure(report: ConversionReport) -> Figure:
    total, before = report.total, report.previous_total
    header = report_header(
        report.meta,
        _("Конверсия лидов по источникам"),
        _("всего {share} ({part} из {whole})").format(
            share=percent_text(total.conversion),
            part=count_text(total.converted),
            whole=count_text(total.leads),
        ),
        _("прошлый период {value}").format(value=percent_text(before.conversion)),
    )
    if not total.leads:
        return empty_page(header, _("Нет новых лидов в этом периоде")).figure
    rows = [
        BarRow(
            source.source,
            (Segment(float(source.converted), GREEN),),
            _("{part} из {whole}").format(
                part=count_text(source.converted), whole=count_text(source.leads)
            )
            + f"  ·  {percent_text(source.conversion)}",
            track=float(source.leads),
        )
        for source in report.by_source
    ]
    legend = [(_("лиды"), GREY_LIGHT), (_("сконвертированы"), GREEN)]
    return bar_page(header, rows, layout=BarLayout(label_px=330), legend=legend).figure


# --- lost -------------------------------------------------------------------------------


def lost_figure(report: LostReport) -> Figure:
    total, before = report.total, report.previous_total
    header = report_header(
        report.meta,
        _("Причины потерь"),
        _("лидов {leads}, сделок {deals}").format(
            leads=count_text(total.leads), deals=count_text(total.deals)
        ),
        _("прошлый период {value}").format(value=count_text(before.count)),
    )
    if not report.reasons:
        return empty_page(header, _("Нет проигранных лидов и сделок")).figure
    ordered = sorted(report.reasons, key=lambda r: (-r.count, r.entity, r.reason))
    rows = []
    for reason in ordered:
        deal = reason.entity == "deal"
        value = count_text(reason.count)
        if deal and reason.amount:
            value += f"  ·  {money_text(reason.amount)}"
        tag = _("сделка") if deal else _("лид")
        rows.append(
            BarRow(
                reason.reason,
                (Segment(float(reason.count), RED if deal else RED_LIGHT),),
                value,
                cells=(_tag(tag),),
            )
        )
    legend = [(_("лиды"), RED_LIGHT), (_("сделки"), RED)]
    layout = BarLayout(cell_px=(110,), label_px=320)
    return bar_page(header, rows, layout=layout, legend=legend).figure


def _tag(text: str) -> Cell:
    return Cell(text.replace(" ", NBSP), MUTED)
