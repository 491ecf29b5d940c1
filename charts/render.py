"""Public entry points: a kpi result object in, PNG bytes out.

Rendering is CPU work for a worker thread (callers use ``asyncio.to_thread``). One lock
serialises it: matplotlib's font and text caches are not thread-safe. Equal input gives
equal bytes (no time stamps in the PNG, no randomness anywhere).

Every entry point takes the caller's ``words`` (``locales.words()``) and draws inside
``charts.words.speaking(words)``: charts never choose a language themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from charts.draw_badge import badge_figure
from charts.draw_calls import calls_figure, missed_figure
from charts.draw_channels import channels_figure
from charts.draw_kpi import kpi_figure
from charts.draw_matrix import abc_figure
from charts.draw_page import Header, empty_page, png_bytes
from charts.draw_people import coverage_figure, rating_figure, tasks_figure
from charts.draw_podium import Place, podium_figure
from charts.draw_sales import conversion_figure, funnel_figure, lost_figure, plan_figure
from charts.draw_streaks import streaks_figure
from charts.theme import (
    subtitle,
)
from charts.words import Words, speaking

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kpi.abc import AbcReport
    from kpi.calls import CallsReport
    from kpi.channels import ChannelsReport
    from kpi.conversion import ConversionReport
    from kpi.coverage import CoverageReport
    from kpi.funnel import FunnelReport
    from kpi.kpiplan import KpiReport
    from kpi.lost import LostReport
    from kpi.missed import MissedReport
    from kpi.plan import PlanReport
    from kpi.rating import RatingReport
    from kpi.streaks import StreaksReport
    from kpi.tasks import TasksReport

R = TypeVar("R")

_LOCK = threading.Lock()

# Report name (``report.meta.report``, as in DESIGN.md) -> the function that draws it.
FIGURES: Mapping[str, Callable[[Any], Figure]] = MappingProxyType(
    {
        "rating": rating_figure,
        "coverage": coverage_figure,
        "kpi": kpi_figure,
        "calls": calls_figure,
        "missed": missed_figure,
        "plan": plan_figure,
        "funnel": funnel_figure,
        "conversion": conversion_figure,
        "lost": lost_figure,
        "abc": abc_figure,
        "tasks": tasks_figure,
        "streaks": streaks_figure,
        "channels": channels_figure,
    }
)


class UnknownReportError(ValueError):
    """A report name with no chart; the message lists the ones there are."""


def _render(draw: Callable[[R], Figure], report: R, words: Words) -> bytes:
    with _LOCK, speaking(words):
        return png_bytes(draw(report))


def _figure(report: Any) -> Figure:
    name = report.meta.report
    draw = FIGURES.get(name)
    if draw is None:
        msg = f"no chart for report {name!r}; charts exist for: {', '.join(FIGURES)}"
        raise UnknownReportError(msg)
    return draw(report)


def figure_for(report: Any, *, words: Words) -> Figure:
    """The figure of any report object, by its ``meta.report`` name (for tests and tools)."""
    with speaking(words):
        return _figure(report)


def render_report(report: Any, *, words: Words) -> bytes:
    """PNG of any report object, by its ``meta.report`` name, in ``words``' language."""
    return _render(_figure, report, words)


def render_rating(report: RatingReport, *, words: Words) -> bytes:
    return _render(rating_figure, report, words)


def render_coverage(report: CoverageReport, *, words: Words) -> bytes:
    return _render(coverage_figure, report, words)


def render_kpi(report: KpiReport, *, words: Words) -> bytes:
    return _render(kpi_figure, report, words)


def render_calls(report: CallsReport, *, words: Words) -> bytes:
    return _render(calls_figure, report, words)


def render_missed(report: MissedReport, *, words: Words) -> bytes:
    return _render(missed_figure, report, words)


def render_plan(report: PlanReport, *, words: Words) -> bytes:
    return _render(plan_figure, report, words)


def render_funnel(report: FunnelReport, *, words: Words) -> bytes:
    return _render(funnel_figure, report, words)


def render_conversion(report: ConversionReport, *, words: Words) -> bytes:
    return _render(conversion_figure, report, words)


def render_lost(report: LostReport, *, words: Words) -> bytes:
    return _render(lost_figure, report, words)


def render_abc(report: AbcReport, *, words: Words) -> bytes:
    return _render(abc_figure, report, words)


def render_tasks(report: TasksReport, *, words: Words) -> bytes:
    return _render(tasks_figure, report, words)


def render_streaks(report: StreaksReport, *, words: Words) -> bytes:
    return _render(streaks_figure, report, words)


def render_channels(report: ChannelsReport, *, words: Words) -> bytes:
    return _render(channels_figure, report, words)


def render_podium(
    header: Header,
    places: Sequence[Place],
    *,
    words: Words,
    note: str = "",
    prize: str = "",
) -> bytes:
    """A contest's podium (``charts.draw_podium``); the caller words header, note and prize."""
    with _LOCK, speaking(words):
        return png_bytes(podium_figure(header, places, note=note, prize=prize))


def render_badge(rule: str, title: str, person: str, detail: str, *, words: Words) -> bytes:
    """A badge card (``charts.draw_badge``); the caller words title and detail."""
    with _LOCK, speaking(words):
        return png_bytes(badge_figure(rule, title, person, detail))


def empty_figure(
    title: str, period_label: str, message: str, *, words: Words, footer: str = ""
) -> Figure:
    with speaking(words):
        return empty_page(Header(title, subtitle(period_label), footer), message).figure


def render_empty(
    title: str, period_label: str, message: str, *, words: Words, footer: str = ""
) -> bytes:
    """A 'nothing in this period' image, so a chat never gets a blank chart.

    ``footer`` is the freshness line ("данные на 22.11 09:05", see ``theme.as_of_text``).
    """
    with _LOCK, speaking(words):
        return png_bytes(empty_figure(title, period_label, message, words=words, footer=footer))
