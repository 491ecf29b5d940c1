"""Words of contests, streaks and badges, in one place (for gettext later)."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from reports.text import Fmt, count, number, plural

METRIC_TITLES = MappingProxyType(
    {
        "calls": "Звонки",
        "successful_calls": "Успешные звонки",
        "talk_minutes": "Минуты разговоров",
        "meetings": "Встречи",
        "emails": "Письма",
        "new_deals": "Новые сделки",
        "deals_won": "Выигранные сделки",
        "revenue": "Выручка",
        "points": "Баллы",
    }
)
KIND_TITLES = MappingProxyType(
    {"top": "Кто больше", "target": "Гонка до цели", "teams": "Команда на команду"}
)
STATUS_TITLES = MappingProxyType(
    {
        "scheduled": "ещё не начался",
        "running": "идёт",
        "finished": "завершён",
        "stopped": "остановлен",
    }
)
BADGE_TITLES = MappingProxyType(
    {
        "first_deal_month": "Первая сделка месяца",
        "calls_day": "Сотня звонков",
        "best_week": "Лучшая неделя",
        "plan_months": "План три месяца подряд",
        "fastest_callback": "Самый быстрый перезвон",
    }
)
STREAK_TITLE = "🔥 Серии"


def metric_title(metric: str) -> str:
    return METRIC_TITLES.get(metric, metric)


def value_text(metric: str, value: Decimal, fmt: Fmt) -> str:
    """A contest value with its unit: '1 250 000 ₽', '12 звонков', '45,5 мин', '37,5 балла'."""
    if metric == "revenue":
        return fmt.money(value)
    if metric == "talk_minutes":
        return f"{number(value)} мин"
    if metric == "points":
        return f"{number(value)} б."
    units = {
        "calls": ("звонок", "звонка", "звонков"),
        "successful_calls": ("успешный звонок", "успешных звонка", "успешных звонков"),
        "meetings": ("встреча", "встречи", "встреч"),
        "emails": ("письмо", "письма", "писем"),
        "new_deals": ("сделка", "сделки", "сделок"),
        "deals_won": ("сделка", "сделки", "сделок"),
    }
    if metric in units and value == value.to_integral_value():
        return plural(int(value), *units[metric])
    return count(value)


def days_text(days: int) -> str:
    return plural(days, "день", "дня", "дней")
