"""How the pages write figures and moments, in the language in force: the pages' one place.

Numbers and money follow ``reports.text`` (the posts' and captions' conventions): Russian
"1 234 567", "12,5", "41 %", "845 тыс. ₽"; English "1,234,567", "12.5", "41%", "₽845K".
Dates go through Babel's skeletons, so each language gets its own order and month names;
times are 24-hour in both ("09:05").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_skeleton

from locales import _, babel_locale, language

NBSP = "\u00a0"
# Short money for a wall: (at least, divisor, Russian unit, English suffix).
SCALES = (
    (Decimal("1e9"), Decimal("1e9"), "млрд", "B"),
    (Decimal("1e6"), Decimal("1e6"), "млн", "M"),
    (Decimal("1e4"), Decimal("1e3"), "тыс.", "K"),
)


def _english() -> bool:
    return language() == "en"


def count(value: float | Decimal) -> str:
    """1234567 -> '1 234 567' (ru, no-break spaces) or '1,234,567' (en)."""
    whole = int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))
    return f"{whole:,}" if _english() else f"{whole:,}".replace(",", NBSP)


def number(value: float | Decimal, digits: int = 1) -> str:
    """At most ``digits`` decimals, no trailing zeros: '12,5' (ru) or '12.5' (en)."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    if exact == exact.to_integral_value():
        return count(exact)
    text = f"{exact:,f}".rstrip("0").rstrip(".")
    return text if _english() else text.replace(",", NBSP).replace(".", ",")


def percent(share: float | None) -> str:
    """A share in [0, 1]: '78 %' (ru) or '78%' (en); None as '—'."""
    if share is None:
        return "—"
    whole = round(share * 100)
    return f"{whole}%" if _english() else f"{whole}{NBSP}%"


def money(amount: Decimal | float, sign: str = "₽") -> str:
    """Money short enough for a wall or a cell: '845 тыс. ₽', '1,24 млн ₽' / '₽845K', '₽1.24M'."""
    value = Decimal(str(amount))
    for least, divisor, unit, suffix in SCALES:
        if abs(value) >= least:
            digits = 0 if divisor == Decimal("1e3") else 2
            short = number(value / divisor, digits)
            return f"{sign}{short}{suffix}" if _english() else f"{short}{NBSP}{unit}{NBSP}{sign}"
    return f"{sign}{count(value)}" if _english() else f"{count(value)}{NBSP}{sign}"


def duration(seconds: float | None) -> str:
    """A delay for people: '45 с', '12 мин', '2 ч 05 мин', '3 дн 4 ч' (and in English)."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return _("{n}\u00a0с").format(n=total)
    minutes = total // 60
    if minutes < 60:
        return _("{n}\u00a0мин").format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("{hours}\u00a0ч {minutes}\u00a0мин").format(hours=hours, minutes=f"{minutes:02d}")
    days, hours = divmod(hours, 24)
    return _("{days}\u00a0дн {hours}\u00a0ч").format(days=days, hours=hours)


def day_month(day: date) -> str:
    """'04.12' (ru) or 'Dec 4' (en)."""
    return _skeleton("MMMd" if _english() else "dMM", day)


def full_day(day: date) -> str:
    """'04.12.2026' (ru) or 'Dec 4, 2026' (en)."""
    return _skeleton("yMMMd" if _english() else "yMd", day)


def moment(at: datetime, *, year: bool = False) -> str:
    """A local moment: '04.12 09:05' / 'Dec 4, 09:05' ('04.12.2026 09:05' with the year)."""
    day = full_day(at) if year else day_month(at)
    return f"{day}, {at:%H:%M}" if _english() else f"{day} {at:%H:%M}"


def _skeleton(skeleton: str, value: date) -> str:
    return format_skeleton(skeleton, value, locale=babel_locale(), fuzzy=True)
