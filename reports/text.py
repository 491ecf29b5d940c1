"""Numbers, money, changes, dates and freshness as a reader on a phone expects them.

One place per layer writes figures (bot, jobs and web use these functions too), in the
language in force (``locales.language()``). Russian: thousands grouped with a narrow no-break
space ("1 234 567"), a decimal comma, a unit on the line of its number (no-break space),
"41 %", "1 234 567 ₽". English: "1,234,567", "12.5", "41%", "₽1,234,567". Times are 24-hour
("09:05") in both; dates are Babel's for the language. Everything here is plain text;
escaping for a chat is ``reports.markup``'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

import locales
from charts.theme import duration_text, phone_text
from charts.words import speaking
from locales import _, babel_locale, language, ngettext

THIN = "\u202f"  # narrow no-break space: the thousands separator of Russian typography
NBSP = "\u00a0"
UP, DOWN, SAME = "▲", "▼", "="
WARN = "⚠️"
# Older data than this gets a visible warning: the sync runs every few minutes.
STALE_AFTER = timedelta(hours=2)
CURRENCY_SIGNS = MappingProxyType({"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br"})


@dataclass(frozen=True)
class _Style:
    """How one language writes a number: grouping, decimal mark, minus, the percent's gap."""

    group: str
    decimal: str
    minus: str
    percent_gap: str


_STYLES = MappingProxyType(
    {
        "ru": _Style(group=THIN, decimal=",", minus="−", percent_gap=NBSP),
        "en": _Style(group=",", decimal=".", minus="-", percent_gap=""),
    }
)


def _style() -> _Style:
    return _STYLES.get(language(), _STYLES["ru"])


def count(value: float | Decimal) -> str:
    """1234567 -> '1 234 567' (en '1,234,567'), rounded half up to a whole number."""
    whole = int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))
    style = _style()
    return f"{whole:,}".replace(",", style.group).replace("-", style.minus)


def number(value: float | Decimal, digits: int = 1) -> str:
    """At most ``digits`` decimals, no trailing zeros: 12.50 -> '12,5' (en '12.5')."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    if exact == exact.to_integral_value():
        return count(exact)
    style = _style()
    whole, _dot, fraction = f"{abs(exact):f}".partition(".")
    sign = style.minus if exact < 0 else ""
    grouped = f"{int(whole):,}".replace(",", style.group)
    return f"{sign}{grouped}{style.decimal}{fraction.rstrip('0')}"


def percent(share: float | None) -> str:
    """A share in [0, 1] as '41 %' (en '41%'); None (nothing to divide by) as '—'."""
    return "—" if share is None else f"{count(share * 100)}{_style().percent_gap}%"


def ratio(part: float | Decimal, whole: float | Decimal | None) -> float | None:
    return None if whole is None or whole == 0 else float(part) / float(whole)


def points(value: Decimal) -> str:
    """Points with their noun: '1 балл', '12 баллов', '42,5 балла' (en '42.5 points')."""
    if value != value.to_integral_value():
        # a fraction takes the genitive singular in Russian, the plural in English
        return _("{n}\u00a0балла").format(n=number(value))
    whole = int(value)
    # the form follows the size: "−1 балл", "-1 point" (gettext's formula misreads negatives)
    return ngettext("{n}\u00a0балл", "{n}\u00a0баллов", abs(whole)).format(n=count(whole))


def change(
    current: float | Decimal,
    before: float | Decimal | None,
    *,
    kind: str = "pct",
    show: Callable[[Decimal], str] | None = None,
) -> str:
    """The change against the previous period: '▲ 12 %', '▼ 3', '▲ 5 п.п.', '= 0 %'.

    ``kind``: "pct" relative (absolute when the previous value is 0), "abs" absolute,
    "pp" percentage points of two shares (en '▲ 5 pp'). Empty when there is nothing to
    compare with. ``show`` writes an absolute change (money: '▲ 170 001 ₽'); a plain
    number by default.
    """
    if before is None:
        return ""
    now, then = Decimal(str(current)), Decimal(str(before))
    diff = now - then
    arrow = UP if diff > 0 else DOWN if diff < 0 else SAME
    gap = _style().percent_gap
    if kind == "pp":
        unit = _("п.п.")
        return f"{arrow}{NBSP}{number(abs(diff) * 100)}{NBSP}{unit}"
    if kind == "pct" and then != 0:
        share = abs(diff) / abs(then) * 100
        if diff and share < 1:
            # "▲ 0 %" reads as a contradiction; a change under one percent is "about the same".
            return f"≈{NBSP}0{gap}%"
        return f"{arrow}{NBSP}{count(share)}{gap}%"
    if kind == "pct" and diff == 0:
        return ""  # zero against zero says nothing
    return f"{arrow}{NBSP}{(show or number)(abs(diff))}"


def rank_change(value: int | None) -> str:
    """'▲2' for two places up, '▼1' down, '' unchanged or new (the same in every language)."""
    if not value:
        return ""
    return f"{UP}{value}" if value > 0 else f"{DOWN}{-value}"


def money_text(amount: Decimal | float, sign: str = "₽") -> str:
    """Whole units with the currency's sign: ru '1 234 567 ₽'; en '₽1,234,567', '-$5,000'.

    A sign of letters ('Br', 'CNY') reads as a code in English: 'CNY 1,234'.
    """
    text = count(amount)
    if language() == "ru":
        return f"{text}{NBSP}{sign}"
    minus = _style().minus
    negative = text.startswith(minus)
    digits = text.removeprefix(minus)
    lead = f"{sign}{NBSP}" if sign.isalpha() or len(sign) > 1 else sign
    return f"{minus if negative else ''}{lead}{digits}"


def day(value: date, *, year: bool = True) -> str:
    """A calendar day: ru '21.11.2025' ('21.11' without the year); en 'Nov 21, 2025'."""
    if language() == "ru":
        return value.strftime("%d.%m.%Y" if year else "%d.%m")
    return format_skeleton("yMMMd" if year else "MMMd", value, locale=babel_locale())


def clock(moment: datetime) -> str:
    """A time of day, 24-hour in every language: '09:05'."""
    return moment.strftime("%H:%M")


@dataclass(frozen=True)
class Fmt:
    """What every caption needs besides the figures: the zone, the clock and the currency."""

    tz: ZoneInfo
    now: datetime
    currency: str = "₽"

    def money(self, amount: Decimal | float | None) -> str:
        """'1 234 567 ₽' (en '₽1,234,567') in whole units; None as '—'."""
        if amount is None:
            return "—"
        return money_text(amount, self.currency)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def when(self, moment: datetime) -> str:
        """'10:05' today, '21.11 10:05' another day, '21.11.2025 10:05' another year.

        English: '10:05', 'Nov 21, 10:05', 'Nov 21, 2025, 10:05'.
        """
        local, today = self.local(moment), self.local(self.now)
        time = clock(local)
        if local.date() == today.date():
            return time
        date_part = day(local.date(), year=local.year != today.year)
        if language() == "ru":
            return f"{date_part} {time}"
        return f"{date_part}, {time}"

    def freshness(self, as_of: datetime | None) -> tuple[str, bool]:
        """The footer line and whether it is a warning (no data yet, or older than 2 h)."""
        if as_of is None:
            return WARN + " " + _("данные ещё не загружены из Битрикс24"), True
        when = self.when(as_of)
        if self.now - as_of > STALE_AFTER:
            late = _("данные на {when}: синхронизация отстаёт").format(when=when)
            return f"{WARN} {late}", True
        return _("данные на {when}").format(when=when), False


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


def duration(seconds: float | None) -> str:
    """charts' duration ('12 мин', '2 ч 05 мин') in the reader's language, not a chart's."""
    with speaking(locales.words()):
        return duration_text(seconds)


def phone(digits: str) -> str:
    """charts' phone ('+7 916 123-45-67'; 'номер скрыт' for none) in the reader's language."""
    with speaking(locales.words()):
        return phone_text(digits)
