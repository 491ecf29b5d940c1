"""Contests, streaks and badges as plain values (``app`` builds them from [contests] and
[badges]; nothing in ``jobs`` reads the config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

BADGE_RULES: tuple[str, ...] = (
    "first_deal_month",
    "calls_day",
    "best_week",
    "plan_months",
    "fastest_callback",
)


@dataclass(frozen=True)
class GameSettings:
    # At most one "new leader" post per contest within this long.
    leader_every: timedelta = timedelta(minutes=60)
    nudges: bool = True
    # Results of contests that ended longer ago than this are history, not news.
    result_lookback: timedelta = timedelta(days=7)
    broken_streak_days: int = 5
    badges: tuple[str, ...] = BADGE_RULES
    calls_per_day: int = 100
    plan_months: int = 3
    plan_metric: str = "revenue"
