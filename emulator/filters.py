"""Filters, ordering and ``select`` of Bitrix24 legacy list methods, on raw rows.

A filter key is an operator prefix plus a field name (``">=DATE_CREATE"``, ``"!@STAGE_ID"``). As in
the portal, a key whose field the table does not know (or whose operator the method does not
accept, which leaves junk in the field name) is silently dropped: a typo returns every row.

Values are compared numerically when both sides are numbers, as instants when both parse as
ISO datetimes (an offset in the filter value is honoured; a naive value is read in the portal's
zone, as ``strtotime`` on a portal server does), as calendar days for date fields, else as
case-insensitive strings (MySQL's default collation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

Row = Mapping[str, Any]

# Longest first, so that "!><" wins over "!" (CAllSQLWhere::MakeOperation reads 3, 2, then 1 char).
OPERATORS: dict[str, str] = {
    "!><": "nbetween",
    "!=%": "nlike",
    "!%=": "nlike",
    "!==": "ne",
    "><": "between",
    ">=": "ge",
    "<=": "le",
    "=%": "like",
    "%=": "like",
    "!@": "nin",
    "==": "eq",
    "!=": "ne",
    "!%": "ncontains",
    "=": "eq",
    "%": "contains",
    "?": "contains",
    ">": "gt",
    "<": "lt",
    "!": "ne",
    "@": "in",
}
ALL_OPERATORS = frozenset(["", *OPERATORS])
# checkStatisticFilter (voximplant.statistic.get) knows only these.
CALL_OPERATORS = frozenset(["", "=", "!", "!=", "<", "<=", ">", ">=", "><", "!><", "?", "%", "!%"])
# Date-typed fields: the portal compares them by calendar day (unConvertDate).
DATE_FIELDS = frozenset(["BEGINDATE", "CLOSEDATE", "BIRTHDATE", "PERSONAL_BIRTHDAY"])
# Fields a plain "*" select leaves out: multi-fields and computed collections.
EXPLICIT_ONLY = frozenset(
    ["PHONE", "EMAIL", "WEB", "IM", "LINK", "COMMUNICATIONS", "FILES", "STORAGE_ELEMENT_IDS"]
)
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_RU_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")
_TRUE = frozenset(["y", "1", "true"])
_NEGATIVE = frozenset(["ne", "nin", "ncontains", "nlike", "nbetween"])


def split_key(key: str) -> tuple[str, str]:
    """``">=DATE_CREATE"`` -> (">=", "DATE_CREATE")."""
    for width in (3, 2, 1):
        if key[:width] in OPERATORS:
            return key[:width], key[width:]
    return "", key


def to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def to_datetime(value: Any, zone: tzinfo) -> datetime | None:
    """An ISO-8601 (or ``DD.MM.YYYY [HH:MI[:SS]]``) string as an aware datetime."""
    if not isinstance(value, str) or len(value) < 8 or ("-" not in value and "." not in value):
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
        match = _RU_DATE.match(value.strip())
        if match:
            day, month, year, hour, minute, second = match.groups()
            parsed = datetime(  # noqa: DTZ001 - a naive portal-local time, zone added below
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def to_day(value: Any, zone: tzinfo) -> date | None:
    """The calendar day of a row value: its first ten characters, as the portal prints it."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            parsed = to_datetime(value, zone)
            return parsed.astimezone(zone).date() if parsed else None
    return None


@dataclass(frozen=True)
class Operand:
    """One filter value with its numeric, instant and day readings worked out once."""

    raw: Any
    number: float | None
    instant: datetime | None
    day: date | None
    text: str

    @classmethod
    def of(cls, raw: Any, zone: tzinfo) -> Operand:
        instant = to_datetime(raw, zone)
        day = instant.astimezone(zone).date() if instant else None
        return cls(raw, to_number(raw), instant, day, str(raw).casefold())

    @property
    def empty(self) -> bool:
        return self.raw is None or self.raw == ""


def compare(value: Any, operand: Operand, zone: tzinfo, *, by_day: bool = False) -> int | None:
    """-1, 0 or 1 like SQL would order ``value`` against the operand; None for NULL."""
    if value is None:
        return None
    if operand.number is not None:
        number = to_number(value)
        if number is not None:
            return (number > operand.number) - (number < operand.number)
    if operand.instant is not None and isinstance(value, str):
        if by_day or (len(value) == 10 and "T" not in value):
            day = to_day(value, zone)
            if day is not None and operand.day is not None:
                return (day > operand.day) - (day < operand.day)
        instant = to_datetime(value, zone)
        if instant is not None:
            return (instant > operand.instant) - (instant < operand.instant)
    text = str(value).casefold()
    return (text > operand.text) - (text < operand.text)


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile("^" + "".join(parts) + "$", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    """One compiled filter entry: ``field``, a canonical ``kind`` and its operands."""

    field: str
    kind: str
    operands: tuple[Operand, ...]
    zone: tzinfo
    by_day: bool = False

    def test(self, row: Row) -> bool:
        value = row.get(self.field)
        if isinstance(value, list):
            hit = any(self._positive(item) for item in value)
            return not hit if self.kind in _NEGATIVE else hit
        if self.kind in _NEGATIVE:
            return not self._positive(value)
        return self._positive(value)

    def _positive(self, value: Any) -> bool:
        """The match of the non-negated form of this condition."""
        kind = self.kind
        if kind in ("eq", "ne", "in", "nin"):
            return any(self._equal(value, operand) for operand in self.operands)
        if kind in ("contains", "ncontains"):
            return value is not None and self.operands[0].text in str(value).casefold()
        if kind in ("like", "nlike"):
            return value is not None and bool(_like(str(self.operands[0].raw)).match(str(value)))
        if kind in ("between", "nbetween"):
            low = compare(value, self.operands[0], self.zone, by_day=self.by_day)
            high = compare(value, self.operands[1], self.zone, by_day=self.by_day)
            return low is not None and high is not None and low >= 0 and high <= 0
        order = compare(value, self.operands[0], self.zone, by_day=self.by_day)
        if order is None:
            return False
        return {"gt": order > 0, "ge": order >= 0, "lt": order < 0, "le": order <= 0}[kind]

    def _equal(self, value: Any, operand: Operand) -> bool:
        if operand.empty:
            return value is None or value == "" or to_number(value) == 0
        if isinstance(value, bool):
            return value == (operand.text in _TRUE)
        return compare(value, operand, self.zone, by_day=self.by_day) == 0


def _operand_values(value: Any) -> list[Any] | None:
    """A PHP array (list or dict) as its values; None for a scalar."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return None


def _first_scalar(values: list[Any]) -> Any:
    """What ``$FIELD_VALUE[0]`` of ``array_map('intval', $value)`` gives for a range operator."""
    first = values[0]
    if isinstance(first, (list, dict)):
        return 1 if first else 0
    return first


def compile_condition(
    kind: str, field: str, value: Any, zone: tzinfo, *, by_day: bool = False
) -> Condition | None:
    """One condition, or None when the portal would ignore it."""
    values = _operand_values(value)
    if kind in ("eq", "ne") and values is not None:
        kind = "in" if kind == "eq" else "nin"
    if kind in ("in", "nin"):
        if values is None:
            values = [v for v in str(value).split(",")] if value not in (None, "") else []
        return Condition(field, kind, tuple(Operand.of(v, zone) for v in values), zone, by_day)
    if kind in ("between", "nbetween"):
        if values is None or len(values) < 2:
            return None
        pair = (Operand.of(values[0], zone), Operand.of(values[1], zone))
        return Condition(field, kind, pair, zone, by_day)
    if values is not None:
        if not values:
            return None
        # The SQL builder keeps only the first element of an array given to a range operator.
        # A batch reference to a missing row (``$result[c0][49][ID]`` on a short page) arrives
        # here as the page's row list, so ``>ID`` becomes ``ID > 1``: the chain restarts.
        value = _first_scalar(values)
    operand = Operand.of(value, zone)
    if (
        kind in ("gt", "ge", "lt", "le", "contains", "ncontains", "like", "nlike")
        and operand.empty
    ):
        # ``>ID=""`` is ``ID > intval("") = 0`` in the portal's SQL and an empty date fails
        # unConvertDateTime: either way no condition. An unresolved batch reference that PHP
        # turned into "" therefore silently restarts a keyset chain from the first row.
        return None
    return Condition(field, kind, (operand,), zone, by_day)


def compile_filter(
    raw: Any,
    known: Collection[str],
    zone: tzinfo,
    *,
    rename: Callable[[str], str] = str.upper,
    operators: Collection[str] = ALL_OPERATORS,
) -> list[Condition]:
    """Compile a ``filter`` parameter; unknown fields and operators are dropped silently."""
    if not isinstance(raw, dict):
        return []
    conditions: list[Condition] = []
    for key, value in raw.items():
        prefix, name = split_key(str(key))
        field = rename(name)
        if prefix not in operators or field not in known:
            continue
        kind = "eq" if prefix == "" else OPERATORS[prefix]
        condition = compile_condition(kind, field, value, zone, by_day=field in DATE_FIELDS)
        if condition is not None:
            conditions.append(condition)
    return conditions


def sort_key(value: Any, zone: tzinfo) -> tuple[int, float, str]:
    """An ordering key that puts NULL first, as MySQL does in ascending order."""
    if value is None or value == "":
        return (0, 0.0, "")
    number = to_number(value) if not isinstance(value, bool) else float(value)
    if number is not None:
        return (1, number, "")
    instant = to_datetime(value, zone)
    if instant is not None:
        return (2, instant.timestamp(), "")
    return (3, 0.0, str(value).casefold())


def parse_order(
    raw: Any, known: Collection[str], *, rename: Callable[[str], str] = str.upper
) -> list[tuple[str, bool]]:
    """``{"DATE_CREATE": "DESC", "ID": "ASC"}`` -> [(field, descending)]; drops unknown fields."""
    if not isinstance(raw, dict):
        return []
    order: list[tuple[str, bool]] = []
    for key, direction in raw.items():
        field = rename(str(key))
        if field in known:
            order.append((field, str(direction).upper() == "DESC"))
    return order


def sort_rows(rows: Sequence[Row], order: Sequence[tuple[str, bool]], zone: tzinfo) -> list[Row]:
    """Stable multi-key sort; ties keep the stored (id ascending) order."""
    result = list(rows)
    for field, descending in reversed(order):

        def key(row: Row, name: str = field) -> Any:
            return sort_key(row.get(name), zone)

        result.sort(key=key, reverse=descending)
    return result


def selector(raw: Any, id_key: str) -> Callable[[Row], Row] | None:
    """A projection for ``select``; None when every (standard and user) field is wanted."""
    names = _operand_values(raw)
    if not names:
        return None
    wanted = {str(name).upper() for name in names}
    star = "*" in wanted
    user_fields = "UF_*" in wanted

    def project(row: Row) -> Row:
        return {
            key: value
            for key, value in row.items()
            if key == id_key
            or key in wanted
            or (star and not key.startswith("UF_") and key not in EXPLICIT_ONLY)
            or (user_fields and key.startswith("UF_"))
        }

    return project


def default_projection(row: Row) -> Row:
    """No ``select``: ``*`` plus ``UF_*``, without multi-fields (those must be named)."""
    if not any(key in EXPLICIT_ONLY for key in row):
        return row
    return {key: value for key, value in row.items() if key not in EXPLICIT_ONLY}


def known_fields(rows: Iterable[Row]) -> set[str]:
    names: set[str] = set()
    for row in rows:
        names.update(row)
    return names
