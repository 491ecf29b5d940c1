"""How the pages write figures and moments, in the language in force: the pages' one place.

Numbers, percents, money and days are ``reports.text``'s (the posts' conventions): Russian
"1 234 567", "12,5", "41 %"; English "1,234,567", "12.5", "41%". What only pages need is
built on them here: money short enough for a wall ("845 тыс. ₽" / "₽845K"), delays
("2 ч 05 мин" / "2 h 05 min") and a day with its time. Times are 24-hour in both languages.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from locales import _, language
from reports.text import clock, count, day, duration, money_text, number, percent

__all__ = ["count", "day_month", "duration", "full_day", "moment", "money", "number", "percent"]


def money(amount: Decimal | float, sign: str = "₽") -> str:
    """Money short enough for a wall or a cell: '845 тыс. ₽', '1,24 млн ₽' / '₽845K', '₽1.24M'."""
    value = Decimal(str(amount))
    size = abs(value)
    if size >= Decimal("1e9"):
        return _("{n}\u00a0млрд\u00a0{sign}").format(
            n=number(value / Decimal("1e9"), 2), sign=sign
        )
    if size >= Decimal("1e6"):
        return _("{n}\u00a0млн\u00a0{sign}").format(n=number(value / Decimal("1e6"), 2), sign=sign)
    if size >= Decimal("1e4"):
        return _("{n}\u00a0тыс.\u00a0{sign}").format(n=number(value / 1000, 0), sign=sign)
    return money_text(value, sign)


def day_month(value: date) -> str:
    """'04.12' (ru) or 'Dec 4' (en)."""
    return day(value, year=False)


def full_day(value: date) -> str:
    """'04.12.2026' (ru) or 'Dec 4, 2026' (en)."""
    return day(value, year=True)


def moment(at: datetime, *, year: bool = False) -> str:
    """A local moment: '04.12 09:05' / 'Dec 4, 09:05' ('04.12.2026 09:05' with the year)."""
    when = day(at.date(), year=year)
    return f"{when}, {clock(at)}" if language() == "en" else f"{when} {clock(at)}"
