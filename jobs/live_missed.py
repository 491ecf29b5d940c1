"""Live missed-call alerts: a missed call reaches its employee at once, the callback is noted.

``tell_missed_calls`` reads only the store and the ledger, so it is safe to call from
anywhere and any number of times: right after a portal event put a call in the store (the
web listener), and after every scheduled sync (``jobs.runner``), so without events the
alert comes with the sync that sees the call.

What is told (``kpi.missed_live`` holds the queries, with ``kpi.missed``'s rules):

- a missed call with a number, not called back yet, that started within the lookback: the
  callback window, capped by ``schedule.missed_lookback`` (after the window the chase of
  ``jobs.missed`` speaks; two alerts on one call in the same minute would be noise);
- and not before the store's first live run (less a minute: a call that rang as the
  process started is still news), a ledger marker written once (job ``missed_live``, slot
  ``since``): switching the feature on, or the first start on a new store, does not flood
  people with the last hour's calls, while a restart loses nothing (calls missed while
  the process was down are told when it is back, within the lookback);
- to the employee it is credited to (a sales employee), or, when nobody took it or the
  user is not in the store yet, to the heads of the sales departments; a user outside the
  sales departments is not ours to tell. Their chat is the person's: Telegram when linked,
  else the Bitrix24 private dialog; with neither the call is logged and skipped;
- never in quiet hours or on a day off: a call that started in one, or with one between it
  and now, is left to the morning post; a run in one tells nothing.

Each (call, chat) is claimed in the ledger before it is sent, so it goes out once across
restarts and processes. When the callback is seen, every chat that got the alert gets one
short note (its own ledger job, ``missed_live_back``), for calls told within
``schedule.missed_lookback``, outside quiet hours.

``missed`` switched off in ``[schedule]`` switches these alerts off too: both are the
missed-call alerts of the config.

From ``app``: ``report = await tell_missed_calls(deps)`` with the ``JobDeps`` of
``app.runtime.job_deps``. ``report.latencies()`` are the seconds from each told call's end
(start + duration) to its send, for the alert-latency histogram; ``latencies("callback")``
the same for the notes, from the callback's end. Whom and what to tell is decided in
``jobs.live_missed_plan``; this module sends and measures.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from jobs import ledger
from jobs.deliver import Message, Outcome, deliver
from jobs.delivery import Recipient, Sender
from jobs.deps import JobDeps, Pair
from jobs.live_missed_plan import BACK_JOB, JOB, gather, live_since, off_reason, slot_of
from jobs.texts import live_callback_note, live_missed_alert, render
from reports.text import Fmt

log = logging.getLogger(__name__)

Kind = Literal["alert", "callback"]


@dataclass(frozen=True)
class Told:
    kind: Kind
    call_id: int  # the missed call's record id
    chat: str  # the recipient's key
    # From the end of the call it reacts to (the missed call; for a note, the callback)
    # to the moment the chat accepted the message.
    latency: timedelta


@dataclass(frozen=True)
class LiveMissedReport:
    told: tuple[Told, ...] = ()
    failed: tuple[Pair, ...] = ()  # refused or unreachable chats: tried again next run
    unreachable: tuple[int, ...] = ()  # calls with somebody to tell but no chat to tell in
    skipped: str = ""  # why nothing was looked at ("quiet hours", "switched off")

    def latencies(self, kind: Kind = "alert") -> list[float]:
        """Seconds, one per message sent: what the alert-latency histogram observes."""
        return [t.latency.total_seconds() for t in self.told if t.kind == kind]

    def summary(self) -> str:
        if self.skipped:
            return f"{JOB}: skipped ({self.skipped})"
        alerts = sum(t.kind == "alert" for t in self.told)
        parts = [f"{JOB}: alerts {alerts}", f"callbacks {len(self.told) - alerts}"]
        if self.failed:
            parts.append(f"failed {len(self.failed)}")
        if self.unreachable:
            parts.append(f"no chat for {len(self.unreachable)}")
        return ", ".join(parts)


class _Batch:
    """One ledger job's messages of a run, and when each send returned (its latency)."""

    def __init__(self, deps: JobDeps, kind: Kind) -> None:
        self.deps, self.kind = deps, kind
        self.messages: list[Message] = []
        self.ends: dict[Pair, tuple[int, datetime]] = {}  # -> call id, the end it reacts to
        self.at: dict[Pair, datetime] = {}
        self.outcome = Outcome()

    def add(self, call_id: int, end: datetime, to: Recipient, text: tuple[str, str]) -> None:
        slot = slot_of(call_id)

        async def send(sender: Sender, recipient: Recipient) -> None:
            await sender.send_text(recipient, *text)
            self.at[(slot, recipient.key)] = self.deps.clock()

        self.messages.append(Message(slot, to, send))
        self.ends[(slot, to.key)] = (call_id, end)

    def told(self) -> list[Told]:
        found = []
        for pair in self.outcome.sent:
            call_id, end = self.ends[pair]
            latency = max(self.at.get(pair, self.deps.clock()) - end, timedelta(0))
            found.append(Told(self.kind, call_id, pair[1], latency))
        return found


async def _send(deps: JobDeps, job: str, messages: list[Message], outcome: Outcome) -> None:
    """Deliver what the ledger has no row for; a row "sending" is another run's, in flight."""
    pairs = [(m.slot, m.recipient.key) for m in messages]
    states = await asyncio.to_thread(ledger.recorded, deps.engine, job, pairs)
    pending = [m for m in messages if (m.slot, m.recipient.key) not in states]
    if pending:
        await deliver(deps, job, pending, force=False, outcome=outcome)


async def tell_missed_calls(deps: JobDeps, now: datetime | None = None) -> LiveMissedReport:
    """Tell the recent missed calls not told yet, and note the callbacks of told ones."""
    now = deps.clock() if now is None else now
    if not deps.schedule.enabled("missed"):
        return LiveMissedReport(skipped="switched off")
    async with deps.job_lock(JOB):
        since = await asyncio.to_thread(live_since, deps, now)
        reason = off_reason(deps, now)
        if reason:
            return LiveMissedReport(skipped=reason)
        work = await asyncio.to_thread(gather, deps, now, since)
        fmt = Fmt(deps.kpi.tz, now)
        notes, alerts = _Batch(deps, "callback"), _Batch(deps, "alert")
        for n in work.notes:
            text = render(live_callback_note(n.call.phone, n.card, n.callback.delay(n.call), n.by))
            notes.add(n.call.id, n.callback.end, n.recipient, text)
        for a in work.alerts:
            blocks = live_missed_alert(
                a.call.phone,
                a.call.start,
                a.card,
                in_crm=a.call.entity_id is not None,
                nobody=a.nobody,
                fmt=fmt,
            )
            alerts.add(a.call.id, a.call.end, a.recipient, render(blocks))
        await _send(deps, BACK_JOB, notes.messages, notes.outcome)
        await _send(deps, JOB, alerts.messages, alerts.outcome)
    report = LiveMissedReport(
        tuple(notes.told() + alerts.told()),
        tuple(notes.outcome.failed + alerts.outcome.failed),
        tuple(work.unreachable),
    )
    if report.told or report.failed or report.unreachable:
        log.info("%s", report.summary())
    return report


async def tell_after_sync(deps: JobDeps) -> LiveMissedReport | None:
    """The scheduled syncs' way in: a failure here must not fail the sync job."""
    try:
        return await tell_missed_calls(deps)
    except Exception:
        log.exception("live missed-call alerts failed; the next sync tries again")
        return None
