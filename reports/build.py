"""One report, built the same way for a command, a schedule and the CLI.

``build_report`` computes the figures (kpi), draws the chart (charts), writes the captions
for both chats and keeps the drill-down lists beside them; the JSON is built on first use
(the chats never ask for it). It is synchronous and CPU-bound: async callers run it in a
worker thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlmodel import Session

import locales
from charts.render import render_report
from kpi.common import ReportMeta
from kpi.periods import Period
from kpi.scope import Scope
from kpi.settings import KpiSettings
from locales import _
from reports.caption import captions
from reports.excel import workbook_bytes
from reports.kpi_words import kpi_word, period_label, scope_kind
from reports.lists import ListItem, drill_down
from reports.registry import REPORT_NAMES, SPECS
from reports.tables import report_tables
from reports.text import Fmt, currency_sign

log = logging.getLogger(__name__)

__all__ = [
    "REPORT_NAMES",
    "ListItem",
    "Report",
    "ReportError",
    "build_report",
    "fmt_for",
    "report_json",
    "report_xlsx",
]


class ReportError(ValueError):
    """A report name we do not have; the message lists the ones there are."""


@dataclass(frozen=True)
class Report:
    name: str
    title: str  # "🏆 Рейтинг", in the language it was built in
    figures: Any  # the kpi result object
    meta: ReportMeta
    png: bytes | None  # None when not rendered or when rendering failed
    caption_html: str  # Telegram photo caption, <= 1024 visible characters
    caption_bb: str  # Bitrix24 BB-code, the same short text
    text_html: str  # Telegram text message, <= 4096 visible characters
    text_bb: str  # Bitrix24 BB-code, the long text
    lists: Mapping[str, tuple[ListItem, ...]]  # "uncovered", "open_missed", "overdue"
    built_at: datetime  # the ``now`` it was built for
    language: str = locales.DEFAULT_LANGUAGE  # the language it was built in

    @cached_property
    def data(self) -> dict[str, Any]:
        """DESIGN.md "Machine-readable output": built when first asked for, as a chat never
        does (for coverage on a large portal it is 5,000 dicts, ~30 ms).

        Keys, ids and figures never change with the language; the few labels kpi writes
        itself ("Итого", "Без сотрудника", the company scope's name) are in the language
        the report was built in, like every other text of it.
        """
        with locales.use(self.language):
            data: dict[str, Any] = _labels(SPECS[self.name].to_json(self.figures))
        return data

    @property
    def filename(self) -> str:
        """A file name stem: 'rating_2026-11-01..2026-11-30' style, safe on every disk."""
        return f"{self.name}_{self.meta.period.name}".replace("..", "_").replace("/", "-")


def fmt_for(settings: KpiSettings, now: datetime) -> Fmt:
    # KpiSettings has no currency yet; amounts are in the account currency, rubles by default
    return Fmt(settings.tz, now, currency_sign(getattr(settings, "currency", None)))


def check_name(name: str) -> str:
    key = name.strip().lower().lstrip("/")
    if key not in SPECS:
        msg = f"unknown report {name!r}; reports: {', '.join(REPORT_NAMES)}"
        raise ReportError(msg)
    return key


def build_report(
    session: Session,
    settings: KpiSettings,
    name: str,
    period: Period,
    scope: Scope,
    *,
    now: datetime,
    render: bool = True,
) -> Report:
    """Figures, chart, captions, JSON and lists of the report ``name``."""
    spec = SPECS[check_name(name)]
    figures = spec.figures(session, scope, period, settings, now)
    return assemble(spec.name, figures, settings, now=now, render=render)


def assemble(
    name: str, figures: Any, settings: KpiSettings, *, now: datetime, render: bool = True
) -> Report:
    """A report from figures already computed (the morning post reuses them)."""
    spec = SPECS[check_name(name)]
    fmt = fmt_for(settings, now)
    lists = drill_down(spec.name, figures, fmt)
    texts = captions(spec.name, spec.label, figures, fmt, lists)
    return Report(
        name=spec.name,
        title=spec.label,
        figures=figures,
        meta=figures.meta,
        png=_png(figures) if render else None,
        caption_html=texts.caption_html,
        caption_bb=texts.caption_bb,
        text_html=texts.text_html,
        text_bb=texts.text_bb,
        lists=lists,
        built_at=now,
        language=locales.language(),
    )


def _labels(value: Any) -> Any:
    """``value`` with kpi's own words (not the portal's names) in the language in force."""
    if isinstance(value, str):
        return kpi_word(value)
    if isinstance(value, dict):
        return {key: _labels(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_labels(item) for item in value]
    return value


def _png(figures: Any) -> bytes | None:
    try:
        return render_report(figures, words=locales.words())
    except Exception:
        # The figures and the text still go out; a chart bug must not silence a report.
        log.exception("could not draw the %s chart", figures.meta.report)
        return None


def report_json(report: Report) -> str:
    return json.dumps(report.data, ensure_ascii=False, indent=2)


def _summary(report: Report) -> list[tuple[str, Any]]:
    meta = report.meta
    return [
        (_("Отчёт"), f"{report.title} ({report.name})"),
        (_("Период"), period_label(meta.period)),
        (_("Начало"), meta.period.start),
        (_("Конец (не включая)"), meta.period.end),
        (_("Предыдущий период"), period_label(meta.previous)),
        (_("Предыдущий: начало"), meta.previous.start),
        (_("Предыдущий: конец"), meta.previous.end),
        (_("Выборка"), f"{scope_kind(meta.scope.kind)}: {kpi_word(meta.scope.name)}"),
        (_("Сотрудников"), len(meta.scope.employees)),
        (_("Данные на"), meta.data_as_of if meta.data_as_of is not None else _("не загружены")),
        (_("Сформирован"), report.built_at),
    ]


def report_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook (summary, tables, drill-down lists)."""
    tables = report_tables(report.name, report.figures, report.lists)
    stamp = report.meta.data_as_of
    return workbook_bytes(_summary(report), tables, tz=report.meta.period.tz, stamp=stamp)
