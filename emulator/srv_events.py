"""The portal's outbound webhook: every change POSTed to one handler URL as Bitrix24 sends it.

``EventSender`` listens to ``Portal`` changes (``Portal.listeners``) and, while it has a target
(``Settings.events_to`` and ``events_token``, or ``target()`` at run time), POSTs one event per
change after a random delay drawn from ``Settings.events_delay``, on the server's loop (a
change made on another thread is handed over thread-safely, as ``Pusher`` does). The body is
``application/x-www-form-urlencoded`` with PHP-style keys (reference §7.2)::

    event=ONCRMCOMPANYUPDATE&event_handler_id=3&data[FIELDS][ID]=42&ts=UNIX
    &auth[domain]=...&auth[client_endpoint]=...&auth[server_endpoint]=...
    &auth[member_id]=...&auth[application_token]=TOKEN

The ``data`` of each event is ``srv_event_data``'s. There is no retry: each attempt is kept
in ``deliveries`` (status or exception name).

The application's online bindings (``event.bind`` with a ``handler``) get their events the
same way, with the application's ``auth`` block (a fresh ``access_token``, ``expires_in``,
``scope``, ``status``, ``application_token`` = ``Settings.app_token``) and the binding's id as
``event_handler_id``; ``notice`` sends ``ONOFFLINEEVENT`` when the offline queue grew.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
from yarl import URL

from emulator.portal import Portal, Row
from emulator.srv_core import Settings
from emulator.srv_event_data import HANDLER_IDS, Pairs, event_data, event_name, flatten

EVENT_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass
class Delivery:
    """One attempt: what was sent, when, and how the handler answered (no retry)."""

    event: str
    table: str
    record_id: str
    status: str  # the HTTP status, or the exception's class name
    delay: float  # seconds between the change and the POST
    planned: float  # the delay drawn for it from ``events_delay``
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
    handler_id: int
    app: bool = False  # the application's binding: the app's auth block


# Online bindings of an event: (handler URL, binding id); and the app's auth block.
AppTargets = Callable[[str], list[tuple[str, int]]]
AppAuth = Callable[[], dict[str, Any]]


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
        self.app_targets: AppTargets = lambda name: []
        self.app_auth: AppAuth = dict

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
        name = event_name(table, kind)
        if name is None or self._loop is None:
            return
        targets = [
            (url, self.settings.app_token, bid, True) for url, bid in self.app_targets(name)
        ]
        if self.url and self.token:
            targets.append((self.url, self.token, HANDLER_IDS[name], False))
        if not targets:
            return
        data = event_data(table, kind, record_id, row)
        for url, token, handler_id, app in targets:
            self._schedule(url, token, name, table, record_id, data, handler_id, app)

    def notice(self, url: str, binding_id: int, data: dict[str, Any]) -> None:
        """``ONOFFLINEEVENT`` to an online binding: the offline queue has new rows."""
        if self._loop is not None:
            pairs = flatten("data", data)
            token = self.settings.app_token
            self._schedule(url, token, "ONOFFLINEEVENT", "", 0, pairs, binding_id, True)

    def _schedule(  # noqa: PLR0913, PLR0917  (the fields of one pending event)
        self,
        url: str,
        token: str,
        name: str,
        table: str,
        record_id: int,
        data: Pairs,
        handler_id: int,
        app: bool,
    ) -> None:
        loop = self._loop
        assert loop is not None
        low, high = self.delay
        pending = _Pending(
            url=url,
            token=token,
            name=name,
            table=table,
            record_id=record_id,
            data=data,
            delay=self.rng.uniform(low, high),
            changed_at=time.time(),
            handler_id=handler_id,
            app=app,
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
        head = [
            ("event", pending.name),
            ("event_handler_id", str(pending.handler_id)),
            *pending.data,
            ("ts", str(int(self.portal.now().timestamp()))),
        ]
        if pending.app:
            token = self.app_auth()  # access_token, expires_in, scope
            auth = {
                "access_token": token.get("access_token", ""),
                "expires_in": token.get("expires_in", ""),
                "scope": token.get("scope", ""),
                "domain": base.raw_authority,
                "server_endpoint": f"{base}/oauth/rest/",
                "status": "L",
                "client_endpoint": f"{base}/rest/",
                "member_id": self.settings.member_id,
                "application_token": pending.token,
            }
            return head + flatten("auth", auth)
        return [
            *head,
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
                planned=round(pending.delay, 6),
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
