"""Numbers, money, changes and freshness as a Russian reader on a phone expects them.

Thousands are grouped with a narrow no-break space ("1 234 567"), decimals take a comma,
a unit stays on the line of its number (no-break space). Everything here is plain text;
escaping for a chat is ``reports.markup``'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

THIN = "\u202f"  # narrow no-break space: the thousands separator of Russian typography
NBSP = "\u00a0"
UP, DOWN, SAME = "▲", "▼", "="
WARN = "⚠️"
# Older data than this gets a visible warning: the sync runs every few minutes.
STALE_AFTER = timedelta(hours=2)
CURRENCY_SIGNS = MappingProxyType({"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br"})


def count(value: float | Decimal) -> str:
    """1234567 -> '1 234 567' (rounded half up to a whole number)."""
    whole = int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))
    return f"{whole:,}".replace(",", THIN).replace("-", "−")


def number(value: float | Decimal, digits: int = 1) -> str:
    """At most ``digits`` decimals, a decimal comma, no trailing zeros: 12.50 -> '12,5'."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    if exact == exact.to_integral_value():
        return count(exact)
    whole, _, fraction = f"{abs(exact):f}".partition(".")
    sign = "−" if exact < 0 else ""
    return f"{sign}{int(whole):,}".replace(",", THIN) + "," + fraction.rstrip("0")


def percent(share: float | None) -> str:
    """A share in [0, 1] as '41 %'; None (nothing to divide by) as '—'."""
    return "—" if share is None else f"{count(share * 100)}{NBSP}%"


def ratio(part: float | Decimal, whole: float | Decimal | None) -> float | None:
    return None if whole is None or whole == 0 else float(part) / float(whole)


def plural(value: int, one: str, few: str, many: str) -> str:
    """'1 сделка', '3 сделки', '5 сделок'."""
    tail = abs(value) % 100
    word = many if 11 <= tail <= 14 else {1: one, 2: few, 3: few, 4: few}.get(tail % 10, many)
    return f"{count(value)}{NBSP}{word}"


def points(value: Decimal) -> str:
    """Points with their noun: '1 балл', '12 баллов', '42,5 балла' (a fraction takes 'балла')."""
    if value != value.to_integral_value():
        return f"{number(value)}{NBSP}балла"
    return plural(int(value), "балл", "балла", "баллов")


def change(
    current: float | Decimal,
    before: float | Decimal | None,
    *,
    kind: str = "pct",
    show: Callable[[Decimal], str] | None = None,
) -> str:
    """The change against the previous period: '▲ 12 %', '▼ 3', '▲ 5 п.п.', '= 0 %'.

    ``kind``: "pct" relative (absolute when the previous value is 0), "abs" absolute,
    "pp" percentage points of two shares. Empty when there is nothing to compare with.
    ``show`` writes an absolute change (money: '▲ 170 001 ₽'); a plain number by default.
    """
    if before is None:
        return ""
    now, then = Decimal(str(current)), Decimal(str(before))
    diff = now - then
    arrow = UP if diff > 0 else DOWN if diff < 0 else SAME
    if kind == "pp":
        return f"{arrow}{NBSP}{number(abs(diff) * 100)}{NBSP}п.п."
    if kind == "pct" and then != 0:
        share = abs(diff) / abs(then) * 100
        if diff and share < 1:
            # "▲ 0 %" reads as a contradiction; a change under one percent is "about the same".
            return f"≈{NBSP}0{NBSP}%"
        return f"{arrow}{NBSP}{count(share)}{NBSP}%"
    if kind == "pct" and diff == 0:
        return ""  # zero against zero says nothing
    return f"{arrow}{NBSP}{(show or number)(abs(diff))}"


def rank_change(value: int | None) -> str:
    """'▲2' for two places up, '▼1' down, '' unchanged or new."""
    if not value:
        return ""
    return f"{UP}{value}" if value > 0 else f"{DOWN}{-value}"


@dataclass(frozen=True)
class Fmt:
    """What every caption needs besides the figures: the zone, the clock and the currency."""

    tz: ZoneInfo
    now: datetime
    currency: str = "₽"

    def money(self, amount: Decimal | float | None) -> str:
        """'1 234 567 ₽' in whole units; None as '—'."""
        if amount is None:
            return "—"
        return f"{count(amount)}{NBSP}{self.currency}"

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def when(self, moment: datetime) -> str:
        """'10:05' today, '21.11 10:05' another day, '21.11.2025 10:05' another year."""
        local, today = self.local(moment), self.local(self.now)
        if local.date() == today.date():
            return local.strftime("%H:%M")
        if local.year == today.year:
            return local.strftime("%d.%m %H:%M")
        return local.strftime("%d.%m.%Y %H:%M")

    def freshness(self, as_of: datetime | None) -> tuple[str, bool]:
        """The footer line and whether it is a warning (no data yet, or older than 2 h)."""
        if as_of is None:
            return f"{WARN} данные ещё не загружены из Битрикс24", True
        text = f"данные на {self.when(as_of)}"
        if self.now - as_of > STALE_AFTER:
            return f"{WARN} {text}: синхронизация отстаёт", True
        return text, False


def currency_sign(code: str | None) -> str:
    """'RUB' -> '₽'; an unknown code as it is; nothing -> '₽' (the product's home market)."""
    if not code:
        return "₽"
    return CURRENCY_SIGNS.get(code.upper(), code)


def spaced(text: str) -> str:
    """' ' + text, or nothing for an empty text (a change that says nothing)."""
    return f" {text}" if text else ""


# A name longer than this is cut with an ellipsis in captions (the full one is in Excel).
NAME_CHARS = 40


def short(text: str, limit: int = NAME_CHARS) -> str:
    """A name for a caption line: spaces collapsed, cut to ``limit`` with '…'."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
