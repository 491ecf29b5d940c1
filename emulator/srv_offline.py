"""The application's event bindings and the portal's offline event queue (reference §7.3).

Mirrors ``Bitrix\\Rest\\EventOfflineTable`` as the portal runs it:

- a change fires the event's ``data`` (``srv_events.event_payload``) into the queue of every
  offline binding of that event, unless the application itself made the change with the
  binding's ``auth_connector`` (``portal.WRITER``);
- a row is keyed by (``MESSAGE_ID``, connector, ``PROCESS_ID``) where ``MESSAGE_ID`` is
  md5(event name | JSON of the data): a later change to the same object under the same event
  moves the free row's ``TIMESTAMP_X`` instead of adding one (1000 updates of a deal stay one
  row); a change to a row already reserved by a drain adds a new free row, so nothing is lost;
- ``reserve`` marks up to ``limit`` free rows with a fresh process id (parallel drains get
  disjoint sets), ``clear`` deletes a process's rows (all, or some ``MESSAGE_ID``/``ID``),
  ``mark_error`` turns reserved rows into free error rows (drained with ``error=1`` only).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.portal import WRITER, Portal, Row
from emulator.srv_core import ApiError, Settings
from emulator.srv_event_data import event_name, event_payload


@dataclass
class Binding:
    id: int
    event: str  # upper case
    handler: str  # "" for offline bindings
    connector: str
    user: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def offline(self) -> bool:
        return not self.handler


@dataclass
class QueueRow:
    id: int
    timestamp: datetime
    message_id: str
    event: str
    data: Any
    additional: Any
    connector: str
    process_id: str = ""
    error: int = 0

    def reply(self, portal: Portal, *, full: bool = False) -> dict[str, Any]:
        """As ``event.offline.get`` shows it (``full``: with the columns ``.list`` adds)."""
        out = {
            "ID": str(self.id),
            "TIMESTAMP_X": portal.iso(self.timestamp),
            "EVENT_NAME": self.event,
            "EVENT_DATA": self.data,
            "EVENT_ADDITIONAL": self.additional,
            "MESSAGE_ID": self.message_id,
        }
        if full:
            out |= {"PROCESS_ID": self.process_id, "ERROR": str(self.error)}
        return out


def message_id(event: str, data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.md5(f"{event}|{text}".encode(), usedforsecurity=False).hexdigest()


def argument_error(message: str) -> ApiError:
    return ApiError(400, "ERROR_ARGUMENT", message)


_OPS = ("<=", ">=", "!=", "=", "<", ">", "!")
FILTER_FIELDS = ("ID", "TIMESTAMP_X", "EVENT_NAME", "MESSAGE_ID")
LIST_FIELDS = (*FILTER_FIELDS, "PROCESS_ID", "ERROR")


def _value(row: QueueRow, name: str) -> Any:
    return {
        "ID": row.id,
        "TIMESTAMP_X": row.timestamp.timestamp(),
        "EVENT_NAME": row.event,
        "MESSAGE_ID": row.message_id,
        "PROCESS_ID": row.process_id,
        "ERROR": row.error,
    }[name]


def _cast(name: str, value: Any) -> Any:
    if name in ("ID", "ERROR"):
        return int(str(value).strip() or 0)
    if name == "TIMESTAMP_X":
        return datetime.fromisoformat(str(value)).timestamp()
    return str(value)


def row_filter(raw: Any, allowed: Iterable[str]) -> list[tuple[str, str, Any]]:
    """``{">=ID": 5, "=EVENT_NAME": "ONCRMLEADADD"}`` as (field, operator, value) triples."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, dict):
        raise argument_error("filter must be an object of FIELD: value")
    names = tuple(allowed)
    out = []
    for key, value in raw.items():
        op = next((o for o in _OPS if str(key).startswith(o)), "=")
        name = str(key)[len(op) :] if str(key).startswith(op) else str(key)
        name = name.upper()
        if name not in names:
            raise argument_error(f"Filter field {name} is not allowed; use {', '.join(names)}")
        if isinstance(value, (dict, list)):
            raise argument_error(f"Filter value of {key} must be a scalar")
        try:
            out.append((name, op, _cast(name, value)))
        except ValueError:
            raise argument_error(f"Filter value of {key} is invalid") from None
    return out


def _matches(row: QueueRow, conditions: list[tuple[str, str, Any]]) -> bool:
    for name, op, wanted in conditions:
        have = _value(row, name)
        ok = {
            "=": have == wanted,
            "!": have != wanted,
            "!=": have != wanted,
            "<": have < wanted,
            ">": have > wanted,
            "<=": have <= wanted,
            ">=": have >= wanted,
        }[op]
        if not ok:
            return False
    return True


def row_order(raw: Any, allowed: Iterable[str], default: str) -> list[tuple[str, bool]]:
    """``{"TIMESTAMP_X": "ASC"}`` as (field, descending) pairs, ID ascending last."""
    names = tuple(allowed)
    if raw in (None, "", []):
        raw = {default: "ASC"}
    if not isinstance(raw, dict):
        raise argument_error("order must be an object of FIELD: ASC|DESC")
    out = []
    for key, direction in raw.items():
        name = str(key).upper()
        if name not in names:
            raise argument_error(f"Order field {name} is not allowed; use {', '.join(names)}")
        out.append((name, str(direction).upper() == "DESC"))
    return [*out, ("ID", False)]


def _sorted(rows: list[QueueRow], order: list[tuple[str, bool]]) -> list[QueueRow]:
    out = list(rows)
    for name, descending in reversed(order):

        def key(row: QueueRow, field: str = name) -> Any:
            return _value(row, field)

        out.sort(key=key, reverse=descending)
    return out


def select(
    rows: Iterable[QueueRow], conditions: list[tuple[str, str, Any]], order: list[tuple[str, bool]]
) -> list[QueueRow]:
    return _sorted([r for r in rows if _matches(r, conditions)], order)


OFFLINE_NOTICE = "ONOFFLINEEVENT"  # online only: tells a handler that the queue has rows
APP_ID = 1  # the application's id on the portal (``APP_LIST`` of the notice)
# Sends one online event: (handler URL, binding id, data).
Notify = Callable[[str, int, dict[str, Any]], None]


class OfflineQueue:
    def __init__(self, portal: Portal, settings: Settings) -> None:
        self.portal = portal
        self.settings = settings
        self.bindings: list[Binding] = []
        self.rows: list[QueueRow] = []
        self.notify: Notify | None = None
        self._next_row = 0
        self._next_binding = 0
        self._noticed: dict[int, float] = {}

    def online(self, event: str) -> list[tuple[str, int]]:
        """(handler, binding id) of the online bindings of ``event`` (the webhook's targets)."""
        return [(b.handler, b.id) for b in self.bindings if not b.offline and b.event == event]

    # -- bindings -------------------------------------------------------------------------------

    def bind(
        self, event: str, handler: str, connector: str, user: int, options: dict[str, Any]
    ) -> Binding:
        for b in self.bindings:
            if (b.event, b.handler, b.connector, b.user) == (event, handler, connector, user):
                raise ApiError(
                    400, "ERROR_CORE", "Unable to set event handler: Handler already binded"
                )
        self._next_binding += 1
        binding = Binding(self._next_binding, event, handler, connector, user, options)
        self.bindings.append(binding)
        return binding

    def unbind(self, event: str, handler: str, connector: str | None, user: int | None) -> int:
        def goes(b: Binding) -> bool:
            return (
                b.event == event
                and b.handler == handler
                and (connector is None or b.connector == connector)
                and (user is None or b.user == user)
            )

        before = len(self.bindings)
        self.bindings = [b for b in self.bindings if not goes(b)]
        return before - len(self.bindings)

    # -- filling --------------------------------------------------------------------------------

    def listen(self, table: str, kind: str, record_id: int, row: Row | None) -> None:
        name = event_name(table, kind)
        if name is None:
            return
        bound = [b for b in self.bindings if b.offline and b.event == name]
        if not bound:
            return
        writer = WRITER.get()
        data = event_payload(table, kind, record_id, row)
        queued = False
        for binding in bound:
            if writer is not None and writer == binding.connector:
                continue  # the application's own change, under this connector
            self.call_event(name, data, binding.connector)
            queued = True
        if queued:
            self._notice()

    def _notice(self) -> None:
        """``ONOFFLINEEVENT`` to its handlers: one, then none for ``minTimeout`` seconds (1)."""
        if self.notify is None:
            return
        now = time.monotonic()
        for b in self.bindings:
            if b.offline or b.event != OFFLINE_NOTICE:
                continue
            pause = float(b.options.get("minTimeout", 1) or 0)
            last = self._noticed.get(b.id)
            if last is not None and now - last < pause:
                continue  # the portal drops it: the application polls anyway
            self._noticed[b.id] = now
            self.notify(b.handler, b.id, {"APP_LIST": [APP_ID]})

    def call_event(self, event: str, data: Any, connector: str) -> QueueRow:
        mid = message_id(event, data)
        now = self.portal.now()
        additional = {"user_id": str(self.settings.webhook_user)}
        for row in self.rows:
            if (row.message_id, row.connector, row.process_id) == (mid, connector, ""):
                row.timestamp, row.data, row.additional = now, data, additional
                return row
        self._next_row += 1
        row = QueueRow(self._next_row, now, mid, event, data, additional, connector)
        self.rows.append(row)
        return row

    # -- draining -------------------------------------------------------------------------------

    def reserve(
        self,
        connector: str,
        *,
        error: bool,
        limit: int,
        conditions: list[tuple[str, str, Any]],
        order: list[tuple[str, bool]],
    ) -> str:
        """Mark up to ``limit`` free rows with a new process id; returns the id."""
        process_id = secrets.token_hex(16)
        free = [
            r
            for r in self.rows
            if r.connector == connector
            and r.error == int(error)
            and not r.process_id
            and _matches(r, conditions)
        ]
        for row in _sorted(free, order)[:limit]:
            row.process_id = process_id
        return process_id

    def reserved(
        self,
        process_id: str,
        connector: str,
        *,
        error: bool,
        limit: int,
        conditions: list[tuple[str, str, Any]],
        order: list[tuple[str, bool]],
    ) -> list[QueueRow]:
        rows = [
            r
            for r in self.rows
            if r.process_id == process_id
            and r.connector == connector
            and r.error == int(error)
            and _matches(r, conditions)
        ]
        return _sorted(rows, order)[:limit]

    def clear(
        self,
        process_id: str,
        connector: str,
        message_ids: list[str] | None = None,
        ids: list[int] | None = None,
    ) -> int:
        def goes(r: QueueRow) -> bool:
            return (
                r.process_id == process_id
                and r.connector == connector
                and (message_ids is None or r.message_id in message_ids)
                and (ids is None or r.id in ids)
            )

        before = len(self.rows)
        self.rows = [r for r in self.rows if not goes(r)]
        return before - len(self.rows)

    def mark_error(self, process_id: str, connector: str, message_ids: list[str]) -> None:
        """``markError``: other live copies go, the process's own become free error rows."""
        kept = []
        for row in self.rows:
            if row.connector != connector or row.message_id not in message_ids or row.error:
                kept.append(row)
            elif row.process_id == process_id:
                row.error, row.process_id = 1, ""
                kept.append(row)
        self.rows = kept

    def state(self) -> dict[str, Any]:
        """What ``GET /_emulator/offline`` shows."""
        return {
            "bindings": [
                {
                    "id": b.id,
                    "event": b.event,
                    "handler": b.handler,
                    "offline": b.offline,
                    "connector": b.connector,
                }
                for b in self.bindings
            ],
            "rows": [
                r.reply(self.portal, full=True) | {"CONNECTOR_ID": r.connector} for r in self.rows
            ],
        }
