"""One visual theme for every chart: sizes for a phone screen, colours with meaning, text.

Sizes are given in pixels of the final PNG (1280 px wide, read on a phone in a chat) and
converted to points here, so a chart module never thinks about dpi. The text helpers write
numbers, money, shares, dates and delays the way the reader of the words in force expects
them (``charts.words``): Russian "1 234 567", "845 тыс. ₽", "12 мин"; English "1,234,567",
"₽845K", "12 min". They are the one place in charts/ that knows these conventions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton

from charts.words import in_force
from charts.words import say as _

DPI = 100
WIDTH_PX = 1280
BASE_HEIGHT_PX = 720
LIST_HEIGHT_PX = 520  # a short list makes a shorter image rather than white space
FONT = "DejaVu Sans"  # ships with matplotlib and covers Cyrillic, so no glyph goes missing

# Colours carry meaning, nothing else does.
GREEN = "#2f9e5a"  # met, on track, successful, covered
RED = "#d64541"  # behind, missed, lost, uncovered
RED_LIGHT = "#eea8a5"  # the lighter share of something bad (uncovered, lead losses)
GREY = "#b9bec7"  # the previous period, the empty part of a track
GREY_LIGHT = "#eceef1"
BLUE = "#3a78c3"  # plain volumes
BLUE_LIGHT = "#a9c4e6"
INK = "#1f2328"
MUTED = "#6b7280"
GRID = "#e6e8eb"
WHITE = "#ffffff"

# Type sizes in px of the final image.
TITLE_PX = 30
SUBTITLE_PX = 21
LABEL_PX = 20
VALUE_PX = 19
SMALL_PX = 17
BIG_PX = 36

# Page layout in px.
MARGIN_PX = 36
HEADER_PX = 112
FOOTER_PX = 52
ROW_PX = 46
MAX_ROWS = 14
NAME_CHARS = 24
# Mean advance of a DejaVu Sans letter in ems (Cyrillic runs wide), to reserve room for text.
CHAR_EM = 0.62
BOLD_EM = 0.7


def pt(px: float) -> float:
    """Font size in points that renders `px` pixels tall at our dpi."""
    return px * 72 / DPI


NBSP = "\u00a0"


def shorten(text: str, limit: int = NAME_CHARS) -> str:
    """Cut a long name to `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_px(text: str, size_px: float, *, bold: bool = False) -> float:
    """Rough rendered width of a text: enough to reserve room and cut names in time."""
    return len(text) * size_px * (BOLD_EM if bold else CHAR_EM)


def fit(text: str, width_px: float, size_px: float, *, bold: bool = False) -> str:
    """Shorten a text so that it fits in `width_px` at `size_px`."""
    per_char = size_px * (BOLD_EM if bold else CHAR_EM)
    return shorten(text, max(4, int(width_px / per_char)))


# --- language -----------------------------------------------------------------------------
# Russian is written here as it always was; every other language in English style, with
# Babel's locale data for names of days and months.

RUSSIAN = "ru"
WEEKDAYS_RU = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
MONTHS_RU = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


def _language() -> str:
    """The drawing's language; Russian for a caller outside a drawing (see ``in_force``)."""
    words = in_force()
    return RUSSIAN if words is None else words.language


def _russian() -> bool:
    return _language() == RUSSIAN


@lru_cache(maxsize=4)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


# --- numbers ------------------------------------------------------------------------------


def count_text(value: float) -> str:
    """1234567 -> '1 234 567' with no-break spaces (Russian), '1,234,567' (English)."""
    text = f"{round(value):,}"
    return text.replace(",", NBSP) if _russian() else text


def number_text(value: float, digits: int = 1) -> str:
    """A number with at most `digits` decimals: 12.5 -> '12,5' (Russian), '12.5' (English)."""
    if float(value).is_integer():
        return count_text(value)
    text = f"{value:,.{digits}f}"
    if _russian():
        text = text.replace(",", NBSP).replace(".", ",")
        return text.rstrip("0").rstrip(",") if "," in text else text
    return text.rstrip("0").rstrip(".") if "." in text else text


def fixed_text(value: float, digits: int = 1) -> str:
    """Exactly `digits` decimals, no grouping: '2,0' (Russian), '2.0' (English)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if _russian() else text


def money_text(value: Decimal | float, *, unit: bool = True) -> str:
    """Money short enough for a bar label: '845 тыс. ₽', '1,24 млн ₽'; '₽845K', '₽1.24M'."""
    amount = float(value)
    if not _russian():
        return _money_english(amount, unit=unit)
    size = abs(amount)
    if size >= 1e9:
        text = f"{number_text(amount / 1e9, 2)}{NBSP}млрд"
    elif size >= 1e6:
        text = f"{number_text(amount / 1e6, 2)}{NBSP}млн"
    elif size >= 1e4:
        text = f"{number_text(amount / 1e3, 0)}{NBSP}тыс."
    else:
        text = count_text(amount)
    return f"{text}{NBSP}₽" if unit else text


def _money_english(amount: float, *, unit: bool) -> str:
    size = abs(amount)
    if size >= 1e9:
        text = f"{number_text(size / 1e9, 2)}B"
    elif size >= 1e6:
        text = f"{number_text(size / 1e6, 2)}M"
    elif size >= 1e4:
        text = f"{number_text(size / 1e3, 0)}K"
    else:
        text = count_text(size)
    sign = "-" if amount < 0 and text.strip("0.,") else ""
    return f"{sign}₽{text}" if unit else f"{sign}{text}"


def percent_text(share: float | None) -> str:
    """A share in [0, 1] as '78 %' (Russian), '78%' (English); None (nothing to divide by) '—'."""
    if share is None:
        return "—"
    return f"{round(share * 100)}{NBSP}%" if _russian() else f"{round(share * 100)}%"


# Units of a delay: (Russian, English), each after a no-break space.
_UNITS = {"s": ("с", "s"), "min": ("мин", "min"), "h": ("ч", "h"), "d": ("дн", "d")}


def unit_text(value: int | str, unit: str) -> str:
    """'12 мин' / '12 min': a figure and a unit of time ('s', 'min', 'h', 'd')."""
    ru, en = _UNITS[unit]
    return f"{value}{NBSP}{ru if _russian() else en}"


def duration_text(seconds: float | None) -> str:
    """A delay for people: '45 с', '12 мин', '2 ч 05 мин', '3 дн 4 ч' ('2 h 05 min', '3 d 4 h')."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return unit_text(total, "s")
    minutes = total // 60
    if minutes < 60:
        return unit_text(minutes, "min")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{unit_text(hours, 'h')} {unit_text(f'{minutes:02d}', 'min')}"
    days, hours = divmod(hours, 24)
    return f"{unit_text(days, 'd')} {unit_text(hours, 'h')}"


# --- dates --------------------------------------------------------------------------------


def weekday_text(day: date) -> str:
    """The day of the week, short: 'пн' / 'Mon'."""
    if _russian():
        return WEEKDAYS_RU[day.weekday()]
    return str(_locale(_language()).days["format"]["abbreviated"][day.weekday()])


def month_text(month: int) -> str:
    """A month (1..12), short: 'янв' / 'Jan'."""
    if _russian():
        return MONTHS_RU[month - 1]
    return str(_locale(_language()).months["stand-alone"]["abbreviated"][month])


def day_text(day: date, *, year: bool = False) -> str:
    """'22.11' or '22.11.2026' (Russian); 'Nov 22' or 'Nov 22, 2026' (English)."""
    if _russian():
        return day.strftime("%d.%m.%Y" if year else "%d.%m")
    return format_skeleton("yMMMd" if year else "MMMd", day, locale=_locale(_language()))


def moment_text(moment: datetime, tz: ZoneInfo) -> str:
    """'22.11 09:05' (Russian), 'Nov 22, 09:05' (English): 24-hour time in both."""
    local = moment.astimezone(tz)
    if _russian():
        return local.strftime("%d.%m %H:%M")
    return f"{day_text(local.date())}, {local:%H:%M}"


def as_of_text(moment: datetime | None, tz: ZoneInfo) -> str:
    """The footer: 'данные на 22.11 09:05' in the portal's zone."""
    if moment is None:
        return _("данные ещё не загружены")
    return _("данные на {moment}").format(moment=moment_text(moment, tz))


# --- other texts --------------------------------------------------------------------------


def subtitle(*parts: str) -> str:
    """Subtitle parts joined by a middle dot, empty parts dropped."""
    return "  ·  ".join(p for p in parts if p)


def phone_text(digits: str) -> str:
    """'79161234567' -> '+7 916 123-45-67'; anything else as it came."""
    if len(digits) == 11 and digits.isdigit() and digits[0] == "7":
        return f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
    return digits or _("номер скрыт")


def more_text(hidden: int) -> str:
    """The line under a cut list: 'и ещё 6' / 'and 6 more'."""
    return _("и ещё {n}").format(n=hidden)
