"""The reports there are: name -> how to compute the figures, their JSON, their title."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlmodel import Session

from kpi import (
    abc,
    calls,
    channels,
    conversion,
    coverage,
    funnel,
    kpiplan,
    lost,
    missed,
    plan,
    rating,
    streaks,
    tasks,
)
from kpi.periods import Period
from kpi.scope import Scope
from kpi.settings import KpiSettings
from locales import N_, _
from reports.game_rating import rating_with_streaks

Builder = Callable[..., Any]


@dataclass(frozen=True)
class Spec:
    name: str
    title: str  # with its emoji, a message id: ``label`` is what the caption shows
    build: Builder  # (session, scope, period, settings, *, now) -> the kpi result object
    to_json: Callable[[Any], dict[str, Any]]

    @property
    def label(self) -> str:
        """The title in the language in force ('🏆 Рейтинг' / '🏆 Leaderboard')."""
        return _(self.title)

    def figures(
        self, session: Session, scope: Scope, period: Period, settings: KpiSettings, now: datetime
    ) -> Any:
        return self.build(session, scope, period, settings, now=now)


def _specs() -> Mapping[str, Spec]:
    table = (
        # the rating's figures, with the leaders' running streaks for the caption's "🔥 N"
        Spec("rating", N_("🏆 Рейтинг"), rating_with_streaks, rating.to_json),
        Spec("coverage", N_("👥 Охват клиентов"), coverage.coverage_report, coverage.to_json),
        Spec("calls", N_("📞 Звонки"), calls.calls_report, calls.to_json),
        Spec("missed", N_("📵 Пропущенные звонки"), missed.missed_report, missed.to_json),
        Spec("kpi", N_("🎯 KPI: план и факт"), kpiplan.kpi_report, kpiplan.to_json),
        Spec("plan", N_("💰 Выручка и план"), plan.plan_report, plan.to_json),
        Spec("funnel", N_("🔻 Воронка сделок"), funnel.funnel_report, funnel.to_json),
        Spec(
            "conversion",
            N_("🔄 Конверсия лидов"),
            conversion.conversion_report,
            conversion.to_json,
        ),
        Spec("lost", N_("🚫 Потери"), lost.lost_report, lost.to_json),
        Spec("abc", N_("🔠 ABC/XYZ клиентов"), abc.abc_report, abc.to_json),
        Spec("tasks", N_("✅ Задачи"), tasks.tasks_report, tasks.to_json),
        Spec("streaks", N_("🔥 Серии"), streaks.streaks_report, streaks.to_json),
        Spec("channels", N_("📣 Каналы"), channels.channels_report, channels.to_json),
    )
    return MappingProxyType({spec.name: spec for spec in table})


SPECS: Mapping[str, Spec] = _specs()
# In DESIGN.md's order: the CLI, the commands and the tests list them so.
REPORT_NAMES: tuple[str, ...] = tuple(SPECS)
