"""Portal time for the generator: epoch seconds to the portal's ISO strings, and its calendar.

The generator keeps every instant as integer epoch seconds (cheap to compare and add) and
formats it only when a row is written. Formatting goes through ``zoneinfo`` once per hour
of the timeline and is cached, so a million timestamps stay fast and still carry the offset
that was in force at that very instant (DST-aware).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DAY = 86400
HOUR = 3600
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Fixed Russian public holidays (month, day): the office is closed, the phones mostly quiet.
HOLIDAYS = (
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
)


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


def month_start(day: dt.date, shift: int = 0) -> dt.date:
    """The first day of ``day``'s month moved by ``shift`` months."""
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return month_start(day, 1) - dt.timedelta(days=1)


class Clock:
    """Converts between epoch seconds and wall time in one time zone."""

    def __init__(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)
        self._hour_offset: dict[int, int | None] = {}
        self._hour_text: dict[int, str] = {}  # local hour -> "YYYY-MM-DDThh:"
        self._offset_text: dict[int, str] = {}
        # date ordinal -> (epoch of local midnight, whether the whole day has one offset)
        self._midnight: dict[int, tuple[int, bool]] = {}

    def _offset_at(self, ts: int) -> int:
        delta = dt.datetime.fromtimestamp(ts, self.tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    def offset(self, ts: int) -> int:
        """The zone's UTC offset in seconds at instant ``ts``."""
        hour = ts // HOUR
        try:
            cached = self._hour_offset[hour]
        except KeyError:
            first = self._offset_at(hour * HOUR)
            last = self._offset_at(hour * HOUR + HOUR - 1)
            # An hour that holds a transition is never cached: each instant asks zoneinfo.
            cached = first if first == last else None
            self._hour_offset[hour] = cached
        return self._offset_at(ts) if cached is None else cached

    def _offset_string(self, off: int) -> str:
        text = self._offset_text.get(off)
        if text is None:
            sign = "+" if off >= 0 else "-"
            hours, rest = divmod(abs(off), HOUR)
            minutes, seconds = divmod(rest, 60)
            text = f"{sign}{hours:02d}:{minutes:02d}"
            if seconds:
                text += f":{seconds:02d}"
            self._offset_text[off] = text
        return text

    def iso(self, ts: int) -> str:
        """``YYYY-MM-DDThh:mm:ss+hh:mm`` in the portal's zone, as Bitrix24 writes datetimes."""
        off = self.offset(ts)
        local_hour, rest = divmod(ts + off, HOUR)
        prefix = self._hour_text.get(local_hour)
        if prefix is None:
            days, hours = divmod(local_hour, 24)
            day_text = dt.date.fromordinal(days + _EPOCH_ORDINAL).isoformat()
            prefix = f"{day_text}T{hours:02d}:"
            self._hour_text[local_hour] = prefix
        minutes, seconds = divmod(rest, 60)
        return f"{prefix}{minutes:02d}:{seconds:02d}{self._offset_string(off)}"

    def local_day(self, ts: int) -> dt.date:
        return dt.date.fromordinal((ts + self.offset(ts)) // DAY + _EPOCH_ORDINAL)

    def _day_info(self, day: dt.date) -> tuple[int, bool]:
        key = day.toordinal()
        info = self._midnight.get(key)
        if info is None:
            start = int(dt.datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())
            nxt = day + dt.timedelta(days=1)
            end = int(dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=self.tz).timestamp())
            uniform = end - start == DAY and self.offset(start) == self.offset(end - 1)
            info = (start, uniform)
            self._midnight[key] = info
        return info

    def at(self, day: dt.date, secs: int) -> int:
        """The instant of wall time ``secs`` seconds after midnight on ``day``."""
        start, uniform = self._day_info(day)
        if uniform:
            return start + secs
        hours, rest = divmod(secs, HOUR)
        wall = dt.datetime.combine(day, dt.time(hours, rest // 60, rest % 60), tzinfo=self.tz)
        return int(wall.timestamp())

    def date_iso(self, day: dt.date) -> str:
        """A date-only field (deal CLOSEDATE, BEGINDATE): local midnight with its offset."""
        start, _ = self._day_info(day)
        return f"{day.isoformat()}T00:00:00{self._offset_string(self.offset(start))}"
