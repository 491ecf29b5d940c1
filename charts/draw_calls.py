"""Telephony: calls per day with the missed ones, busiest hours, missed calls and callbacks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from charts.draw_bars import (
    BarLayout,
    draw_bar_list,
    rows_height,
)
from charts.draw_page import Page, empty_page, new_page, report_header
from charts.draw_rows import BarRow, Segment
from charts.draw_time import Series, draw_columns, draw_hours
from charts.kpi_words import kpi_word
from charts.theme import (
    BLUE,
    BLUE_LIGHT,
    GREEN,
    INK,
    LIST_HEIGHT_PX,
    MAX_ROWS,
    MUTED,
    RED,
    SMALL_PX,
    VALUE_PX,
    count_text,
    day_text,
    duration_text,
    fit,
    moment_text,
    month_text,
    more_text,
    percent_text,
    phone_text,
    unit_text,
    weekday_text,
)
from charts.words import _, ngettext

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from zoneinfo import ZoneInfo

    from kpi.calls import CallsReport, DayCalls
    from kpi.missed import MissedReport, MissedRow, OpenCall

OPEN_LINES = 9  # oldest open missed calls listed beside the bars
OPEN_LINE_PX = 48


# --- calls ------------------------------------------------------------------------------


def calls_figure(report: CallsReport) -> Figure:
    total, before = report.total, report.previous_total
    header = report_header(
        report.meta,
        _("Звонки"),
        _("прошлый период {calls}, пропущено {missed}").format(
            calls=ngettext("{n}\u00a0звонок", "{n}\u00a0звонков", before.calls).format(
                n=count_text(before.calls)
            ),
            missed=count_text(before.missed),
        ),
    )
    if not total.calls:
        return empty_page(header, _("Звонков за период не было")).figure
    page = new_page(header)
    top = page.bottom + page.height
    share = total.successful / total.calls
    page.big_numbers(
        [
            (_("звонков"), count_text(total.calls), INK),
            (
                _("успешных, {share}").format(share=percent_text(share)),
                count_text(total.successful),
                GREEN,
            ),
            (_("пропущено"), count_text(total.missed), RED if total.missed else INK),
            (_("потеряно"), count_text(total.missed_lost), RED if total.missed_lost else INK),
            (_("разговоров"), _hours_text(total.talk_seconds), INK),
        ],
        y=top,
    )
    chart_top = top - 118
    legend_y = chart_top - 4
    bottom = page.bottom + 30
    height = chart_top - 28 - bottom
    hours = _hour_window(report.by_hour)
    counts = [float(report.by_hour[h]) for h in hours]
    if len(report.by_day) <= 1:
        # one day has no days to compare: the hours take the whole width
        page.text(
            page.left, legend_y, _("звонки по часам"), size=SMALL_PX, color=MUTED, va="center"
        )
        draw_hours(
            page, (page.left + 60, bottom, page.width - 60, height), hours, counts, color=BLUE
        )
        return page.figure
    labels, answered, missed = _buckets(report.by_day)
    calls, missed_calls = _("звонки"), _("пропущенные")
    page.legend(page.left, legend_y, [(calls, BLUE_LIGHT), (missed_calls, RED)])
    days_width = page.width * 0.66
    draw_columns(
        page,
        (page.left + 56, bottom, days_width - 56, height),
        labels,
        [Series(calls, answered, BLUE_LIGHT), Series(missed_calls, missed, RED)],
    )
    hours_left = page.left + days_width + 90
    page.text(hours_left - 40, legend_y, _("по часам"), size=SMALL_PX, color=MUTED, va="center")
    draw_hours(
        page,
        (hours_left, bottom, page.left + page.width - hours_left, height),
        hours,
        counts,
        color=BLUE,
    )
    return page.figure


def _hour_window(by_hour: tuple[int, ...]) -> list[int]:
    """The hours worth showing: from the first to the last busy one, at least 9 to 18."""
    busy = [h for h, n in enumerate(by_hour) if n]
    first = min([9, *busy])
    last = max([18, *busy])
    return list(range(first, last + 1))


def _buckets(days: Sequence[DayCalls]) -> tuple[list[str], tuple[float, ...], tuple[float, ...]]:
    """Column labels, answered and missed calls: per day, per week past two months, per
    month past half a year, so a column never gets thinner than a line."""
    count = len(days)
    key: Callable[[date], date]
    label: Callable[[date], str]
    if count <= 7:
        key, label = (lambda d: d), (lambda d: f"{weekday_text(d)} {d.day}")
    elif count <= 62:
        key, label = (lambda d: d), (lambda d: str(d.day))
    elif count <= 190:
        key, label = (lambda d: d - timedelta(days=d.weekday())), day_text
    else:
        key, label = (lambda d: d.replace(day=1)), (lambda d: month_text(d.month))
    answered: dict[date, float] = {}
    missed: dict[date, float] = {}
    for day in days:
        bucket = key(day.day)
        answered[bucket] = answered.get(bucket, 0.0) + day.calls - day.missed
        missed[bucket] = missed.get(bucket, 0.0) + day.missed
    return [label(b) for b in answered], tuple(answered.values()), tuple(missed.values())


def _hours_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if hours >= 10:
        return unit_text(count_text(hours), "h")
    return duration_text(seconds) if hours else unit_text(rest // 60, "min")


# --- missed -----------------------------------------------------------------------------


def missed_figure(report: MissedReport) -> Figure:
    total = report.total
    header = report_header(
        report.meta,
        _("Пропущенные звонки: {n}").format(n=count_text(total.missed)),
        _("перезвонили {share}").format(
            share=percent_text(_share(total.missed_called_back, total.missed))
        ),
        _("в среднем за {time}").format(time=duration_text(total.avg_callback_seconds)),
        _("прошлый период {value}").format(value=count_text(report.previous_total.missed)),
    )
    if not total.missed:
        return empty_page(header, _("Пропущенных звонков нет")).figure
    ordered = sorted(report.rows, key=lambda r: (-r.missed_lost, -r.missed, r.employee))
    rows = [_missed_row(row) for row in ordered if row.missed]
    shown = rows[:MAX_ROWS]
    hidden = len(rows) - len(shown)
    layout = BarLayout(label_px=270)
    legend_px = 44
    height = rows_height(len(shown), hidden, layout)
    opened = total.open
    open_px = (min(len(opened), OPEN_LINES) + 1) * OPEN_LINE_PX + 44 if opened else 0
    page = new_page(header, content_px=max(height, open_px) + legend_px, least_px=LIST_HEIGHT_PX)
    top = page.bottom + page.height
    page.legend(page.left, top - 12, [(_("перезвонили вовремя"), GREEN), (_("потеряны"), RED)])
    bars_width = page.width * 0.64 if opened else page.width
    box = (page.left, top - legend_px - height, bars_width, height)
    draw_bar_list(page, shown, box=box, hidden=hidden, layout=layout)
    if opened:
        _open_list(
            page, opened, page.left + bars_width + 36, top - legend_px - 10, report.meta.period.tz
        )
    return page.figure


def _missed_row(row: MissedRow) -> BarRow:
    in_time = row.missed - row.missed_lost
    detail = _("перезвон за {time}").format(time=duration_text(row.avg_callback_seconds))
    if row.avg_callback_seconds is None:
        detail = _("не перезвонили")
    return BarRow(
        row.employee,
        (Segment(float(in_time), GREEN), Segment(float(row.missed_lost), RED)),
        f"{count_text(row.missed)}",
        detail=detail,
    )


def _open_list(page: Page, calls: tuple[OpenCall, ...], x: float, y: float, tz: ZoneInfo) -> None:
    """The oldest missed calls nobody called back, one per line."""
    page.text(
        x,
        y,
        _("Не перезвонили: {n}").format(n=count_text(len(calls))),
        size=VALUE_PX,
        bold=True,
        va="top",
    )
    line = y - 44
    for call in calls[:OPEN_LINES]:
        when = moment_text(call.at, tz)
        page.text(x, line, f"{when}  {phone_text(call.phone)}", size=SMALL_PX, va="top")
        page.text(
            x + 12,
            line - 21,
            fit(kpi_word(call.employee), 300, SMALL_PX - 3),
            size=SMALL_PX - 3,
            color=MUTED,
            va="top",
        )
        line -= OPEN_LINE_PX
    if len(calls) > OPEN_LINES:
        page.text(
            x, line, more_text(len(calls) - OPEN_LINES), size=SMALL_PX, color=MUTED, va="top"
        )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
