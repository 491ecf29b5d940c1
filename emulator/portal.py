"""One emulated portal: its records, its clock, mutation helpers and request counters."""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from emulator.chat import ChatState
from emulator.data import DEAL_CATEGORIES, ID_KEY, MODIFIED_KEY, PortalData
from emulator.filters import known_fields, to_datetime

Row = dict[str, Any]
# A change listener: (table, kind "add" | "update" | "delete", record id, the row now or None).
ChangeListener = Callable[[str, str, int, Row | None], None]

# The ``auth_connector`` of the application whose request is changing records right now ("" for
# an application that sent none; None: not an application, e.g. the webhook or a test). Set
# around each REST call and by the test hooks; the offline queue reads it in its listener.
WRITER: ContextVar[str | None] = ContextVar("emulator_writer", default=None)

log = logging.getLogger(__name__)


@dataclass
class Stats:
    """What the server has been asked; batch sub-calls are counted per method as well."""

    requests: int = 0
    per_method: Counter[str] = field(default_factory=Counter)
    per_status: Counter[int] = field(default_factory=Counter)
    http_503: int = 0

    def reset(self) -> None:
        self.requests = 0
        self.per_method.clear()
        self.per_status.clear()
        self.http_503 = 0


class Portal:
    """A ``PortalData`` served over REST, with an injectable clock.

    Tables stay sorted by id; a parallel list of int ids per table makes lookups and keyset
    scans a bisection. Rows are never mutated in place: ``update`` swaps in a new dict, so a
    reply being serialised never sees a half-applied change.

    Every ``add``, ``update`` and ``delete`` is told to ``listeners`` after it is applied (the
    event sender, the offline queue); a listener that raises is logged and skipped, the change
    stands.
    """

    def __init__(self, data: PortalData, *, now: Callable[[], datetime] | None = None) -> None:
        self.data = data
        self.zone = ZoneInfo(data.timezone)
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(tz=self.zone))
        self.stats = Stats()
        self.chat = ChatState()
        self.listeners: list[ChangeListener] = []
        self._ids: dict[str, list[int]] = {}
        self._fields: dict[str, frozenset[str]] = {}
        self._instants: dict[tuple[str, str], tuple[list[float], list[int]]] = {}

    # -- reading -------------------------------------------------------------------------------

    def rows(self, table: str) -> list[Row]:
        return self.data.tables[table]

    def ids(self, table: str) -> list[int]:
        """Int ids of ``table`` in stored order (rebuilt if the table was changed behind us)."""
        rows = self.data.tables[table]
        ids = self._ids.get(table)
        if ids is None or len(ids) != len(rows):
            key = ID_KEY[table]
            ids = [int(row[key]) for row in rows]
            self._ids[table] = ids
        return ids

    def fields(self, table: str) -> frozenset[str]:
        """Every field name the table's rows carry (what a filter may name)."""
        cached = self._fields.get(table)
        rows = self.data.tables[table]
        if cached is None:
            # Rows of one table share a shape; a sample from both ends covers late additions.
            cached = frozenset(known_fields([*rows[:200], *rows[-200:]]))
            self._fields[table] = cached
        return cached

    def instants(self, table: str, field: str) -> tuple[list[float], list[int]]:
        """A date index: the field's instants ascending and the row positions they are at.

        Lets a date range (telephony windows) find its rows by bisection, not a table scan.
        Rows whose field is not a date are left out; mutations drop the index.
        """
        key = (table, field)
        index = self._instants.get(key)
        if index is None:
            pairs = sorted(
                (moment.timestamp(), position)
                for position, row in enumerate(self.data.tables[table])
                if (moment := to_datetime(row.get(field), self.zone)) is not None
            )
            index = ([stamp for stamp, _ in pairs], [position for _, position in pairs])
            self._instants[key] = index
        return index

    def get(self, table: str, record_id: int) -> Row | None:
        index = self._index(table, record_id)
        return None if index is None else self.data.tables[table][index]

    def _index(self, table: str, record_id: int) -> int | None:
        ids = self.ids(table)
        index = bisect_left(ids, record_id)
        return index if index < len(ids) and ids[index] == record_id else None

    # -- time ----------------------------------------------------------------------------------

    def local_now(self) -> datetime:
        return self.now().astimezone(self.zone)

    def iso(self, moment: datetime | None = None) -> str:
        """A datetime as the portal prints it: seconds and the portal's offset."""
        return (moment or self.now()).astimezone(self.zone).isoformat(timespec="seconds")

    # -- mutation ------------------------------------------------------------------------------

    def add(self, table: str, record: Row) -> int:
        """Insert a record (assigning the next id if it has none); returns its id."""
        key = ID_KEY[table]
        ids = self.ids(table)
        row = dict(record)
        if row.get(key) in (None, ""):
            record_id = (ids[-1] if ids else 0) + 1
            row[key] = record_id if table == DEAL_CATEGORIES else str(record_id)
        record_id = int(row[key])
        if self._index(table, record_id) is not None:
            msg = f"{table} already has id {record_id}"
            raise ValueError(msg)
        modified = MODIFIED_KEY[table]
        if modified is not None and not row.get(modified):
            row[modified] = self.iso()
        position = bisect_left(ids, record_id)
        self.data.tables[table].insert(position, row)
        ids.insert(position, record_id)
        self._fields.pop(table, None)
        self._instants.clear()
        self._tell(table, "add", record_id, row)
        return record_id

    def update(self, table: str, record_id: int, **fields: Any) -> Row:
        """Change fields of a record and bump its modified stamp to now (unless given)."""
        index = self._index(table, record_id)
        if index is None:
            msg = f"{table} has no id {record_id}"
            raise KeyError(msg)
        rows = self.data.tables[table]
        row = {**rows[index], **fields}
        modified = MODIFIED_KEY[table]
        if modified is not None and modified not in fields:
            row[modified] = self.iso()
        rows[index] = row
        self._fields.pop(table, None)
        self._instants.clear()
        self._tell(table, "update", record_id, row)
        return row

    def delete(self, table: str, record_id: int) -> None:
        index = self._index(table, record_id)
        if index is None:
            msg = f"{table} has no id {record_id}"
            raise KeyError(msg)
        del self.data.tables[table][index]
        del self._ids[table][index]
        self._instants.clear()
        self._tell(table, "delete", record_id, None)

    def _tell(self, table: str, kind: str, record_id: int, row: Row | None) -> None:
        for listener in list(self.listeners):
            try:
                listener(table, kind, record_id, row)
            except Exception:
                log.exception(
                    "emulator: a change listener failed on %s %s %s", kind, table, record_id
                )
