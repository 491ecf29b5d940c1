"""The portal's outbound webhook: every change POSTed to one handler URL as Bitrix24 sends it.

``EventSender`` listens to ``Portal`` changes (``Portal.listeners``) and, while it has a target
(``Settings.events_to`` and ``events_token``, or ``target()`` at run time), POSTs one event per
change after a random delay drawn from ``Settings.events_delay``, on the server's loop (a
change made on another thread is handed over thread-safely, as ``Pusher`` does). The body is
``application/x-www-form-urlencoded`` with PHP-style keys (reference §7.2)::

    event=ONCRMCOMPANYUPDATE&event_handler_id=3&data[FIELDS][ID]=42&ts=UNIX
    &auth[domain]=...&auth[client_endpoint]=...&auth[server_endpoint]=...
    &auth[member_id]=...&auth[application_token]=TOKEN

CRM tables send ``data[FIELDS][ID]``; tasks ``FIELDS_BEFORE`` / ``FIELDS_AFTER`` as the task
events do (the side that does not exist is the string ``undefined``); a new call statistic
row sends ``ONVOXIMPLANTCALLEND`` with the call's twelve fields; a new user ``ONUSERADD`` with
the user's fields at the top of ``data``. Other tables and kinds send nothing, as on the
portal. There is no retry: each attempt is kept in ``deliveries`` (status or exception name).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
from yarl import URL

from emulator.data import ACTIVITIES, CALLS, COMPANIES, CONTACTS, DEALS, LEADS, TASKS, USERS
from emulator.portal import Portal, Row
from emulator.srv_core import Settings

EVENT_TIMEOUT = aiohttp.ClientTimeout(total=10)
Pairs = list[tuple[str, str]]

_CRM = {
    COMPANIES: "COMPANY",
    CONTACTS: "CONTACT",
    DEALS: "DEAL",
    LEADS: "LEAD",
    ACTIVITIES: "ACTIVITY",
}
_KINDS = {"add": "ADD", "update": "UPDATE", "delete": "DELETE"}
CALL_END_FIELDS = (
    "CALL_ID",
    "CALL_TYPE",
    "PHONE_NUMBER",
    "PORTAL_NUMBER",
    "PORTAL_USER_ID",
    "CALL_DURATION",
    "CALL_START_DATE",
    "COST",
    "COST_CURRENCY",
    "CALL_FAILED_CODE",
    "CALL_FAILED_REASON",
    "CRM_ACTIVITY_ID",
)
USER_ADD_FIELDS = (
    "ID",
    "ACTIVE",
    "EMAIL",
    "NAME",
    "LAST_NAME",
    "PERSONAL_GENDER",
    "PERSONAL_BIRTHDAY",
)
# Every event the sender can send, in a fixed order: its place is its ``event_handler_id``.
EVENT_NAMES = (
    *(f"ONCRM{entity}{kind}" for entity in _CRM.values() for kind in _KINDS.values()),
    *(f"ONTASK{kind}" for kind in _KINDS.values()),
    "ONVOXIMPLANTCALLEND",
    "ONUSERADD",
)
HANDLER_IDS = {name: index for index, name in enumerate(EVENT_NAMES, start=1)}


def event_name(table: str, kind: str) -> str | None:
    """The event a change fires on the portal (None: the portal sends nothing for it)."""
    if table in _CRM:
        return f"ONCRM{_CRM[table]}{_KINDS[kind]}"
    if table == TASKS:
        return f"ONTASK{_KINDS[kind]}"
    if table == CALLS and kind == "add":
        return "ONVOXIMPLANTCALLEND"
    if table == USERS and kind == "add":
        return "ONUSERADD"
    return None


def _text(value: Any) -> str:
    """A value as PHP's ``http_build_query`` writes it (null: empty, bool: 1/0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def event_payload(table: str, kind: str, record_id: int, row: Row | None) -> dict[str, Any]:
    """The ``data`` of the event a change fires (see ``event_name``), as the portal's PHP
    array: what the offline queue keeps as ``EVENT_DATA`` and the webhook flattens."""
    if table == TASKS:
        ident = {"ID": record_id}
        return {
            "FIELDS_BEFORE": "undefined" if kind == "add" else ident,
            "FIELDS_AFTER": "undefined" if kind == "delete" else ident,
            "IS_ACCESSIBLE_BEFORE": "N" if kind == "add" else "undefined",
            "IS_ACCESSIBLE_AFTER": "N" if kind == "delete" else "undefined",
        }
    if table == CALLS:
        source = row or {}
        return {name: _text(source.get(name)) for name in CALL_END_FIELDS}
    if table == USERS:
        source = dict(row or {"ID": str(record_id)})
        if isinstance(source.get("ACTIVE"), bool):  # user.get says true, CUser's fields "Y"
            source["ACTIVE"] = "Y" if source["ACTIVE"] else "N"
        data: dict[str, Any] = {name: _text(source.get(name)) for name in USER_ADD_FIELDS}
        departments = source.get("UF_DEPARTMENT")
        if isinstance(departments, list):
            data["UF_DEPARTMENT"] = [_text(d) for d in departments]
        return data
    return {"FIELDS": {"ID": record_id}}


def flatten(prefix: str, value: Any) -> Pairs:
    """``http_build_query`` of one nested value under ``prefix`` (``data[FIELDS][ID]=42``)."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in flatten(f"{prefix}[{k}]", v)]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in flatten(f"{prefix}[{i}]", v)]
    return [(prefix, _text(value))]


def event_data(table: str, kind: str, record_id: int, row: Row | None) -> Pairs:
    """The ``data[...]`` pairs of the event a change fires."""
    return flatten("data", event_payload(table, kind, record_id, row))


@dataclass
class Delivery:
    """One attempt: what was sent, when, and how the handler answered (no retry)."""

    event: str
    table: str
    record_id: str
    status: str  # the HTTP status, or the exception's class name
    delay: float  # seconds between the change and the POST
    changed_at: float  # wall-clock time of the change
    sent_at: float  # wall-clock time of the POST


@dataclass(frozen=True)
class _Pending:
    url: str
    token: str
    name: str
    table: str
    record_id: int
    data: Pairs
    delay: float
    changed_at: float


class EventSender:
    def __init__(self, portal: Portal, settings: Settings) -> None:
        self.portal = portal
        self.settings = settings
        self.url: str | None = settings.events_to
        self.token: str | None = settings.events_token
        self.delay: tuple[float, float] = check_delay(settings.events_delay)
        self.base_url = ""  # set once the server is bound: auth[domain], endpoints
        self.deliveries: list[Delivery] = []
        self.rng = random.Random()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handoffs = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self.url and self.token)

    def target(
        self, url: str | None, token: str | None, delay: tuple[float, float] | None = None
    ) -> None:
        """Send later changes to ``url`` (None: off); events already scheduled keep theirs."""
        self.url, self.token = url, token
        if delay is not None:
            self.delay = check_delay(delay)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=EVENT_TIMEOUT)
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.portal.listeners.append(self.listen)

    async def close(self) -> None:
        """Stop listening; events still waiting for their delay are dropped, as in a crash."""
        if self.listen in self.portal.listeners:
            self.portal.listeners.remove(self.listen)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def pending(self) -> int:
        """Events scheduled and not yet answered (or failed)."""
        with self._lock:
            return len(self._tasks) + self._handoffs

    def listen(self, table: str, kind: str, record_id: int, row: Row | None) -> None:
        url, token, loop = self.url, self.token, self._loop
        name = event_name(table, kind)
        if not url or not token or name is None or loop is None:
            return
        low, high = self.delay
        pending = _Pending(
            url=url,
            token=token,
            name=name,
            table=table,
            record_id=record_id,
            data=event_data(table, kind, record_id, row),
            delay=self.rng.uniform(low, high),
            changed_at=time.time(),
        )
        if threading.get_ident() == self._thread:
            self._spawn(pending, handoff=False)
        else:  # a test thread: hand the event to the server's loop
            with self._lock:
                self._handoffs += 1
            loop.call_soon_threadsafe(self._spawn, pending, True)

    def _spawn(self, pending: _Pending, handoff: bool) -> None:
        task = asyncio.get_running_loop().create_task(self._send(pending))
        with self._lock:
            self._tasks.add(task)
            if handoff:
                self._handoffs -= 1
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        with self._lock:
            self._tasks.discard(task)

    def body(self, pending: _Pending) -> Pairs:
        base = URL(self.base_url or "http://127.0.0.1")
        return [
            ("event", pending.name),
            ("event_handler_id", str(HANDLER_IDS[pending.name])),
            *pending.data,
            ("ts", str(int(self.portal.now().timestamp()))),
            ("auth[domain]", base.raw_authority),
            ("auth[client_endpoint]", f"{base}/rest/"),
            ("auth[server_endpoint]", f"{base}/oauth/rest/"),
            ("auth[member_id]", self.settings.member_id),
            ("auth[application_token]", pending.token),
        ]

    async def _send(self, pending: _Pending) -> None:
        await asyncio.sleep(pending.delay)
        session = self._session
        if session is None:
            return
        sent = time.time()
        try:
            async with session.post(pending.url, data=self.body(pending)) as response:
                await response.read()
                status = str(response.status)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            status = type(exc).__name__
        self.deliveries.append(
            Delivery(
                event=pending.name,
                table=pending.table,
                record_id=str(pending.record_id),
                status=status,
                delay=round(sent - pending.changed_at, 6),
                changed_at=pending.changed_at,
                sent_at=sent,
            )
        )

    async def drain(self) -> None:
        """Wait until every event scheduled so far has been delivered (or failed)."""
        while True:
            await asyncio.sleep(0)  # let thread hand-offs create their tasks
            with self._lock:
                tasks, handoffs = list(self._tasks), self._handoffs
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            elif handoffs:
                await asyncio.sleep(0.001)
            else:
                return

    def state(self) -> dict[str, Any]:
        """What ``GET /_emulator/events`` shows (never the token)."""
        return {
            "active": self.active,
            "to": self.url,
            "delay": list(self.delay),
            "pending": self.pending,
            "deliveries": [asdict(d) for d in self.deliveries],
        }


def check_delay(delay: tuple[float, float] | list[float]) -> tuple[float, float]:
    """A (min, max) delay in seconds; ``ValueError`` naming the problem otherwise."""
    if len(delay) != 2:
        msg = "the event delay is two numbers: the least and the most seconds"
        raise ValueError(msg)
    low, high = float(delay[0]), float(delay[1])
    if not 0 <= low <= high:
        msg = f"the event delay {low}-{high} must satisfy 0 <= min <= max"
        raise ValueError(msg)
    return low, high
