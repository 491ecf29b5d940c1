"""One visual theme for every chart: sizes for a phone screen, colours with meaning, text.

Sizes are given in pixels of the final PNG (1280 px wide, read on a phone in a chat) and
converted to points here, so a chart module never thinks about dpi. The text helpers write
numbers, money, shares and delays the way a Russian-speaking reader expects them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

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


def count_text(value: float) -> str:
    """1234567 -> '1 234 567' with no-break spaces, Russian style."""
    return f"{round(value):,}".replace(",", NBSP)


def number_text(value: float, digits: int = 1) -> str:
    """A number with at most `digits` decimals and a decimal comma: 12.5 -> '12,5'."""
    if float(value).is_integer():
        return count_text(value)
    text = f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",")
    return text.rstrip("0").rstrip(",") if "," in text else text


def money_text(value: Decimal | float, *, unit: bool = True) -> str:
    """Money short enough for a bar label: '845 тыс.', '1,24 млн', '3,1 млрд'."""
    amount = float(value)
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


def percent_text(share: float | None) -> str:
    """A share in [0, 1] as '78 %'; None (nothing to divide by) as '—'."""
    return "—" if share is None else f"{round(share * 100)}{NBSP}%"


def duration_text(seconds: float | None) -> str:
    """A delay for people: '45 с', '12 мин', '2 ч 05 мин', '3 дн 4 ч'."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total}{NBSP}с"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}{NBSP}мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}{NBSP}ч {minutes:02d}{NBSP}мин"
    days, hours = divmod(hours, 24)
    return f"{days}{NBSP}дн {hours}{NBSP}ч"


def as_of_text(moment: datetime | None, tz: ZoneInfo) -> str:
    """The footer: 'данные на 22.11 09:05' in the portal's zone."""
    if moment is None:
        return "данные ещё не загружены"
    return "данные на " + moment.astimezone(tz).strftime("%d.%m %H:%M")


def subtitle(*parts: str) -> str:
    """Subtitle parts joined by a middle dot, empty parts dropped."""
    return "  ·  ".join(p for p in parts if p)


def plural(count: int, one: str, few: str, many: str) -> str:
    """'1 сделка', '3 сделки', '5 сделок': the Russian noun form that goes with a count."""
    tail = abs(count) % 100
    word = many if 11 <= tail <= 14 else {1: one, 2: few, 3: few, 4: few}.get(tail % 10, many)
    return f"{count_text(count)}{NBSP}{word}"


def phone_text(digits: str) -> str:
    """'79161234567' -> '+7 916 123-45-67'; anything else as it came."""
    if len(digits) == 11 and digits.isdigit() and digits[0] == "7":
        return f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
    return digits or "номер скрыт"


def more_text(hidden: int) -> str:
    return f"и ещё {hidden}"
