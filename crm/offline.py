"""The portal's offline event queue, drained: live data without a public address
(DESIGN.md item 15, pull; reference §7.3). App mode only: the queue exists for applications.

- On start ``bind_offline`` looks at ``event.get`` and binds, with ``event_type=offline``,
  only the followed events that are not bound yet (one batch request), so a restart binds
  nothing twice. Events the portal does not have (``ERROR_EVENT_NOT_FOUND``) are skipped.
- Every ``poll_seconds`` one ``event.offline.get`` with ``clear=0`` reserves up to ``limit``
  rows under a ``process_id`` the portal makes. An empty queue costs that one request. The
  rows become ``Change`` values (``crm.events.decode_offline``) and go through the one apply
  path (``crm.sync.apply.apply_changes``: read back by id, or dropped); only then
  ``event.offline.clear`` with the process id removes them. A full page is followed at once.
- The reservation is written to the store before anything is applied, and marked applied
  once its changes are applied and handed to ``on_applied``: after a crash the next drain
  asks for that process's rows again (``process_id``), applies them unless they were
  applied already, and clears them. So a crash between reading and clearing loses nothing
  and applies nothing twice (a crash inside the apply itself re-reads the same records,
  which the read-back makes harmless).
- A row that names a followed event but cannot be read, or a record whose read-back keeps
  failing for ``max_attempts`` rounds, is handed back with ``event.offline.error`` (it stays
  on the portal, apart from the queue); the rest of the round is cleared. A record that
  failed fewer times stays reserved and is tried again on the next round.
- Every request carries ``auth_connector`` (the client's app auth adds it too), so changes
  crm-pulse itself makes on the portal never come back as events.

``drain_forever`` is the loop ``crm-pulse run`` starts; ``on_applied`` is called like the
push intake's (``crm.intake.OnApplied``) after each round that changed the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy.engine import Engine

from crm.auth import ReauthorizeRequired
from crm.errors import BitrixError
from crm.events import Change, decode_offline
from crm.intake import OnApplied
from crm.offline_bind import FOLLOWED, NOTICE, DrainClient, bind_notice, bind_offline
from crm.sync.apply import ApplyReport, apply_changes
from store.oauth_models import (
    Reservation,
    forget_reservation,
    load_reservation,
    save_reservation,
)

__all__ = [
    "FOLLOWED",
    "NOTICE",
    "DrainClient",
    "DrainReport",
    "OfflineDrain",
    "OfflineOptions",
    "bind_notice",
    "bind_offline",
    "drain_forever",
]

log = logging.getLogger("crm.offline")


@dataclass(frozen=True)
class OfflineOptions:
    poll_seconds: float = 5.0  # [events] offline_poll_seconds
    limit: int = 50  # rows a drain reserves (the portal's default page)
    max_attempts: int = 5  # rounds a record that fails to read is tried before it is an error
    connector: str = "crm_pulse"  # auth_connector: our writes stay out of our queue
    tz: tzinfo = UTC  # the portal's zone, for rows written as the sync writes them


@dataclass(frozen=True)
class DrainReport:
    events: int = 0  # queue rows handled this round
    requests: int = 0  # HTTP requests the round cost (reads included)
    applied: ApplyReport = field(default_factory=ApplyReport)
    errors: int = 0  # rows handed back with event.offline.error
    kept: int = 0  # rows left reserved to be tried again
    more: bool = False  # the page was full: drain again at once


class OfflineDrain:
    """One drain of the queue per ``drain_once``; see the module docstring."""

    def __init__(
        self,
        client: DrainClient,
        engine: Engine,
        options: OfflineOptions | None = None,
        on_applied: OnApplied | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
        self._options = options or OfflineOptions()
        self._on_applied = on_applied

    async def _pending(self) -> Reservation | None:
        return await asyncio.to_thread(load_reservation, self._engine, self._options.connector)

    async def _keep(self, reservation: Reservation) -> None:
        await asyncio.to_thread(
            save_reservation, self._engine, self._options.connector, reservation
        )

    async def _forget(self) -> None:
        await asyncio.to_thread(forget_reservation, self._engine, self._options.connector)

    async def drain_once(self) -> DrainReport:
        started, before = time.monotonic(), self._client.requests
        pending, process_id, rows = await self._read()
        if not rows:
            return DrainReport(requests=self._client.requests - before)
        if pending is None or pending.process_id != process_id:
            pending = Reservation(process_id)
            await self._keep(pending)  # before applying: a crash from here on loses nothing
        changes, unreadable = _decode(rows)
        report = ApplyReport()
        if not pending.applied and changes:
            report = await self._apply(list(changes.values()))
        failed_keys = {(c.entity, c.key) for c in report.failed}
        failed = [m for m, c in changes.items() if (c.entity, c.key) in failed_keys]
        await self._hand_on(report, started)
        if not failed and not pending.applied:
            # Applied and handed on: after a crash from here on, the rows are only cleared.
            pending = replace(pending, applied=True)
            await self._keep(pending)
        give_up = failed if pending.attempts + 1 >= self._options.max_attempts else []
        kept = [m for m in failed if m not in give_up]
        errors = unreadable + give_up
        await self._settle(pending, rows, errors, kept)
        return DrainReport(
            events=len(rows),
            requests=self._client.requests - before,
            applied=report,
            errors=len(errors),
            kept=len(kept),
            more=len(rows) >= self._options.limit,
        )

    async def _read(self) -> tuple[Reservation | None, str, list[Mapping[str, Any]]]:
        """One ``event.offline.get``: the rows of the reservation still open, else new ones."""
        opts = self._options
        pending = await self._pending()
        params: dict[str, Any] = {
            "clear": 0,
            "limit": opts.limit,
            "auth_connector": opts.connector,
        }
        if pending is not None:
            params["process_id"] = pending.process_id  # rows reserved before a crash or a failure
        reply = await self._client.call("event.offline.get", params)
        reply = reply if isinstance(reply, Mapping) else {}
        rows = [row for row in reply.get("events") or () if isinstance(row, Mapping)]
        process_id = str(reply.get("process_id") or (pending.process_id if pending else ""))
        if not rows and pending is not None:
            await self._forget()  # everything it held was cleared
            pending = None
        return pending, process_id, rows

    async def _settle(
        self,
        pending: Reservation,
        rows: list[Mapping[str, Any]],
        errors: list[str],
        kept: list[str],
    ) -> None:
        """Hand back the rows that cannot be applied, clear the done ones, keep the rest."""
        connector = self._options.connector
        if errors:
            await self._client.call(
                "event.offline.error",
                {
                    "process_id": pending.process_id,
                    "message_id": errors,
                    "auth_connector": connector,
                },
            )
            log.warning(
                "offline events: %d rows could not be applied; marked as errors", len(errors)
            )
        if not kept:
            await self._clear(pending.process_id, None)
            await self._forget()
            return
        done = [str(r.get("MESSAGE_ID") or "") for r in rows]
        done = [m for m in done if m not in kept and m not in errors]
        if done:
            await self._clear(pending.process_id, done)
        await self._keep(pending.next_attempt())

    async def _hand_on(self, report: ApplyReport, started: float) -> None:
        if self._on_applied is None or not (report.written or report.deleted or report.calls):
            return
        try:
            await self._on_applied(report, time.monotonic() - started)
        except Exception:
            log.exception("offline events: handling applied changes failed")

    async def _apply(self, changes: list[Change]) -> ApplyReport:
        try:
            return await apply_changes(self._client, self._engine, changes, tz=self._options.tz)
        except BitrixError as exc:
            log.warning("offline events: reading %d changed records failed: %s", len(changes), exc)
            return ApplyReport(failed=tuple(changes))

    async def _clear(self, process_id: str, messages: list[str] | None) -> None:
        params: dict[str, Any] = {
            "process_id": process_id,
            "auth_connector": self._options.connector,
        }
        if messages is not None:
            params["message_id"] = messages
        await self._client.call("event.offline.clear", params)


def _decode(rows: list[Mapping[str, Any]]) -> tuple[dict[str, Change], list[str]]:
    """Changes by MESSAGE_ID, and the rows of followed events that could not be read."""
    changes: dict[str, Change] = {}
    unreadable: list[str] = []
    for row in rows:
        message = str(row.get("MESSAGE_ID") or "")
        name = str(row.get("EVENT_NAME") or "")
        change = decode_offline(name, row.get("EVENT_DATA"))
        if change is not None:
            changes[message] = change
        elif name.upper() in FOLLOWED:
            unreadable.append(message)
    return changes, unreadable


async def _pause(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
    if wake is not None:
        wake.clear()


async def drain_forever(
    client: DrainClient,
    engine: Engine,
    options: OfflineOptions,
    stop: asyncio.Event,
    on_applied: OnApplied | None = None,
    *,
    wake: asyncio.Event | None = None,
    notice_url: str | None = None,
) -> None:
    """Bind, then drain every ``poll_seconds`` (at once when ``wake`` is set) until ``stop``.

    With a public listener, ``notice_url`` is where the portal POSTs ``ONOFFLINEEVENT``
    (``NOTICE``) when the queue gets rows; the listener sets ``wake`` on it. Failures are
    logged and the loop goes on: a dead grant says once what to run, and a ``crm-pulse auth``
    run meanwhile lets the next round through without a restart.
    """
    drain = OfflineDrain(client, engine, options, on_applied)
    bound = False
    last_error = ""
    while not stop.is_set():
        more = False
        try:
            if not bound:
                await bind_offline(client, options.connector)
                if notice_url:
                    await bind_notice(client, notice_url)
                bound = True
            more = (await drain.drain_once()).more
            last_error = ""
        except ReauthorizeRequired as exc:
            if str(exc) != last_error:
                log.error("offline events paused: %s", exc)
            last_error = str(exc)
        except BitrixError as exc:
            log.warning("offline events: %s", exc)
        except Exception:
            log.exception("offline events: a drain failed")
        if not more:
            await _pause(stop, wake, options.poll_seconds)
