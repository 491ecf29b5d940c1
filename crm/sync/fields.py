"""Tolerant readers for one raw portal row: every bad value becomes None and one warning.

The portal sends numbers as strings, ``""`` or ``null`` for "no value", ``Y``/``N`` or JSON
booleans for flags, and ISO datetimes with the portal's offset (§5, §9, §11 of the
reference). A value that cannot be read is logged at WARNING with the entity, the record id
and the field, and read as None: bad data never raises out of the mapping.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

log = logging.getLogger("crm.sync")

_FLAGS = {"y": True, "n": False, "1": True, "0": False, "true": True, "false": False}
_DAY_FORMATS = ("%d.%m.%Y",)
_MOMENT_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")


@dataclass(frozen=True)
class MapContext:
    """What a mapping needs beyond the row itself.

    ``portal_tz`` reads the odd naive datetime (the portal's own zone); ``known_users``, when
    given, turns a reference to a user the portal did not list into None with a warning.
    """

    portal_tz: tzinfo = UTC
    known_users: Container[int] | None = None


def _blank(value: Any) -> bool:
    # Empty containers stand for "nothing" too (§11.2: [] and {} for empty values).
    return value is None or value == "" or (isinstance(value, list | dict) and not value)


def parse_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a numeric string; raises ValueError."""
    if isinstance(value, bool):
        msg = "a boolean is not a number"
        raise ValueError(msg)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            msg = "not a whole number"
            raise ValueError(msg)
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)  # "12.0" is still 12; "abc" raises ValueError
            if not number.is_integer():
                raise
            return int(number)
    msg = "not a number"
    raise ValueError(msg)


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        msg = "not an amount"
        raise ValueError(msg)
    if isinstance(value, float) and not math.isfinite(value):
        msg = "not a finite amount"
        raise ValueError(msg)
    text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        msg = "not an amount"
        raise ValueError(msg) from exc
    if not amount.is_finite():
        msg = "not a finite amount"
        raise ValueError(msg)
    return amount


def parse_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _FLAGS:
        return _FLAGS[value.strip().lower()]
    msg = "not a Y/N flag"
    raise ValueError(msg)


def parse_moment(value: Any, portal_tz: tzinfo = UTC) -> datetime:
    """An aware UTC datetime; a naive value is read in the portal's zone."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        msg = "not a datetime"
        raise ValueError(msg)
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _strptime(text, _MOMENT_FORMATS)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=portal_tz)
    return moment.astimezone(UTC)


def parse_day(value: Any) -> date:
    """The calendar day of a date-only field: its first ten characters, never via UTC (§9)."""
    if not isinstance(value, str):
        msg = "not a date"
        raise ValueError(msg)
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return _strptime(text[:10], _DAY_FORMATS).date()


def _strptime(text: str, formats: tuple[str, ...]) -> datetime:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - the caller attaches the zone
        except ValueError:
            continue
    msg = "not a datetime"
    raise ValueError(msg)


class Fields:
    """One raw row read field by field; problems are logged, never raised."""

    def __init__(
        self, entity: str, raw: Mapping[str, Any], ctx: MapContext, *, id_key: str = "ID"
    ) -> None:
        self.entity = entity
        self.raw = raw
        self.ctx = ctx
        self.record_id: Any = raw.get(id_key)
        self.problems = 0

    def warn(self, key: str, problem: str, value: Any = None) -> None:
        self.problems += 1
        shown = repr(value)
        log.warning(
            "sync %s id=%s: field %s %s: %s",
            self.entity,
            self.record_id,
            key,
            problem,
            shown if len(shown) <= 80 else shown[:77] + "...",
        )

    def _value(self, key: str, required: bool) -> Any:
        if key not in self.raw:
            if required:
                self.warn(key, "missing")
            return None
        value = self.raw[key]
        if _blank(value):
            if required:
                self.warn(key, "empty", value)
            return None
        return value

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self._value(key, required)
        if value is None:
            return None
        try:
            return parse_int(value)
        except (ValueError, OverflowError):
            self.warn(key, "is not a number", value)
            return None

    def ref(self, key: str) -> int | None:
        """A link to another record; the portal writes 0 for "none"."""
        number = self.integer(key)
        if number is not None and number < 0:
            self.warn(key, "is not an id", number)
            return None
        return number or None

    def user(self, key: str) -> int | None:
        """A user id; one the portal did not list (when we know the list) reads as None."""
        user_id = self.ref(key)
        known = self.ctx.known_users
        if user_id is not None and known is not None and user_id not in known:
            self.warn(key, "names an unknown user", user_id)
            return None
        return user_id

    def text(self, key: str, *, required: bool = False) -> str:
        return self.opt_text(key, required=required) or ""

    def opt_text(self, key: str, *, required: bool = False) -> str | None:
        value = self._value(key, required)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.warn(key, "is not text", value)
        return None

    def flag(self, key: str, *, default: bool = False) -> bool:
        value = self._value(key, False)
        if value is None:
            return default
        try:
            return parse_flag(value)
        except ValueError:
            self.warn(key, "is not a Y/N flag", value)
            return default

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._value(key, required)
        if value is None:
            return None
        try:
            return parse_moment(value, self.ctx.portal_tz)
        except (ValueError, OverflowError, OSError):
            self.warn(key, "is not a datetime", value)
            return None

    def day(self, key: str) -> date | None:
        value = self._value(key, False)
        if value is None:
            return None
        try:
            return parse_day(value)
        except ValueError:
            self.warn(key, "is not a date", value)
            return None

    def money(self, key: str) -> Decimal | None:
        value = self._value(key, False)
        if value is None:
            return None
        try:
            return parse_decimal(value)
        except ValueError:
            self.warn(key, "is not an amount", value)
            return None
