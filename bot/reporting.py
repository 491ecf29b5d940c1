"""What the chat front ends need from ``reports``, as structural types, and one build step.

The front ends depend on these shapes rather than on ``reports.build`` itself, so they
can be wired with the real builder by ``app`` and with a small fake in tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.args import Target
from bot.lookup import scope_of
from kpi.common import ReportMeta
from kpi.periods import Period, PeriodError
from kpi.scope import Scope, ScopeError
from kpi.settings import KpiSettings

log = logging.getLogger(__name__)

# The reports of DESIGN.md, in the order of the /help text and the command menu.
REPORT_NAMES: tuple[str, ...] = (
    "rating",
    "coverage",
    "calls",
    "missed",
    "kpi",
    "plan",
    "funnel",
    "conversion",
    "lost",
    "abc",
    "tasks",
    "streaks",
    "channels",
)
# Which report holds each drill-down list.
LIST_SOURCES: Mapping[str, str] = {
    "uncovered": "coverage",
    "open_missed": "missed",
    "overdue": "tasks",
}


class ListItemLike(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def detail(self) -> str: ...


class ReportLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def meta(self) -> ReportMeta: ...
    @property
    def png(self) -> bytes | None: ...
    @property
    def caption_html(self) -> str: ...  # <= 1024 visible characters
    @property
    def text_html(self) -> str: ...  # <= 4096 visible characters
    @property
    def lists(self) -> Mapping[str, Sequence[ListItemLike]]: ...


class ReportBuilder(Protocol):
    """``reports.build.build_report``: synchronous, so callers run it in a thread."""

    def __call__(
        self,
        session: Session,
        settings: KpiSettings,
        name: str,
        period: Period,
        scope: Scope,
        *,
        now: datetime,
        render: bool = True,
    ) -> ReportLike: ...


# ``reports.build.report_xlsx``: it is given back what the builder made (its own Report
# type, hence Any here: a Callable taking ReportLike would refuse the narrower function).
XlsxBuilder = Callable[[Any], bytes]


def build(  # noqa: PLR0917  (both front ends call it positionally, in this natural order)
    session: Session,
    settings: KpiSettings,
    builder: ReportBuilder,
    name: str,
    period: Period,
    target: Target,
    now: datetime,
    render: bool = True,
) -> ReportLike:
    """One report for a target; a chart that fails to render costs the chart, not the text."""
    scope = scope_of(session, settings, target)
    if not render:
        return builder(session, settings, name, period, scope, now=now, render=False)
    try:
        return builder(session, settings, name, period, scope, now=now, render=True)
    except (ScopeError, PeriodError):
        raise
    except Exception:
        log.exception("rendering the %s report failed; sending it as text", name)
        return builder(session, settings, name, period, scope, now=now, render=False)
