"""Words of contests, streaks and badges, in one place, in the language in force.

The tables hold message ids (``N_``); the functions below look them up when a text is
shown. ``bot.game_texts`` reads the same tables for its own replies.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from locales import N_, _, ngettext
from reports.text import Fmt, count, number

KIND_TITLES = MappingProxyType(
    {"top": N_("Кто больше"), "target": N_("Гонка до цели"), "teams": N_("Команда на команду")}
)
STATUS_TITLES = MappingProxyType(
    {
        "scheduled": N_("ещё не начался"),
        "running": N_("идёт"),
        "finished": N_("завершён"),
        "stopped": N_("остановлен"),
    }
)
BADGE_TITLES = MappingProxyType(
    {
        "first_deal_month": N_("Первая сделка месяца"),
        "calls_day": N_("Сотня звонков"),
        "best_week": N_("Лучшая неделя"),
        "plan_months": N_("План три месяца подряд"),
        "fastest_callback": N_("Самый быстрый перезвон"),
    }
)
STREAK_TITLE = N_("🔥 Серии")


def kind_title(kind: str) -> str:
    title = KIND_TITLES.get(kind)
    return kind if title is None else _(title)


def quoted(name: str) -> str:
    """A contest's or badge's name in the language's quotes: '«Рывок»' / '“Sprint”'."""
    return _("«{name}»").format(name=name)


def badge_title(rule: str) -> str:
    title = BADGE_TITLES.get(rule)
    return rule if title is None else _(title)


def _counted(metric: str, n: int) -> str | None:
    """A whole count with its noun, or None for a metric counted in no noun.

    Each call is written out so that the catalog extractor sees both forms.
    """
    if metric == "calls":
        return ngettext("{n}\u00a0звонок", "{n}\u00a0звонков", n)
    if metric == "successful_calls":
        return ngettext("{n}\u00a0успешный звонок", "{n}\u00a0успешных звонков", n)
    if metric == "meetings":
        return ngettext("{n}\u00a0встреча", "{n}\u00a0встреч", n)
    if metric == "emails":
        return ngettext("{n}\u00a0письмо", "{n}\u00a0писем", n)
    if metric in ("new_deals", "deals_won"):
        return ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", n)
    return None


def value_text(metric: str, value: Decimal, fmt: Fmt) -> str:
    """A contest value with its unit: '1 250 000 ₽', '12 звонков', '45,5 мин', '37,5 б.'."""
    if metric == "revenue":
        return fmt.money(value)
    if metric == "talk_minutes":
        return _("{n} мин").format(n=number(value))
    if metric == "points":
        return _("{n} б.").format(n=number(value))
    if value == value.to_integral_value():
        whole = int(value)
        counted = _counted(metric, whole)
        if counted is not None:
            return counted.format(n=count(whole))
    return count(value)


def days_text(days: int) -> str:
    """'3 дня' / '3 days'."""
    return ngettext("{n}\u00a0день", "{n}\u00a0дней", days).format(n=count(days))
