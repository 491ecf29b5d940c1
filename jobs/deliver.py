"""Exactly-once delivery of a run's messages through the ledger (see ``jobs.ledger``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from jobs import ledger
from jobs.delivery import Recipient, Sender
from jobs.deps import JobDeps, JobResult, Pair, Run
from jobs.freshness import Freshness

log = logging.getLogger(__name__)

SendFn = Callable[[Sender, Recipient], Awaitable[None]]


def text_sender(text: tuple[str, str]) -> SendFn:
    """Sends one text message: (Telegram HTML, Bitrix24 BB-code)."""

    async def send(sender: Sender, recipient: Recipient) -> None:
        await sender.send_text(recipient, *text)

    return send


@dataclass(frozen=True)
class Message:
    slot: str
    recipient: Recipient
    send: SendFn


@dataclass
class Outcome:
    sent: list[Pair] = field(default_factory=list)
    already: list[Pair] = field(default_factory=list)
    in_doubt: list[Pair] = field(default_factory=list)
    failed: list[Pair] = field(default_factory=list)


async def split_pending(
    deps: JobDeps, job: str, pairs: Sequence[Pair], outcome: Outcome
) -> list[Pair]:
    """The (slot, chat) pairs the ledger has no row for; the others go into ``outcome``."""
    states = await asyncio.to_thread(ledger.recorded, deps.engine, job, pairs)
    pending: list[Pair] = []
    for pair in pairs:
        state = states.get(pair)
        if state is None:
            pending.append(pair)
        elif state == "sending":
            log.warning(
                "%s %s to %s: an earlier run died while sending it; not sent again "
                "(crm-pulse post %s --force sends it anyway)",
                job,
                pair[0],
                pair[1],
                job,
            )
            outcome.in_doubt.append(pair)
        else:
            outcome.already.append(pair)
    return pending


async def deliver_pending(
    deps: JobDeps, job: str, messages: Sequence[Message], *, force: bool, outcome: Outcome
) -> Outcome:
    """``deliver`` for the messages the ledger does not know yet (all of them when forced)."""
    if not force:
        pending = set(
            await split_pending(deps, job, [(m.slot, m.recipient.key) for m in messages], outcome)
        )
        messages = [m for m in messages if (m.slot, m.recipient.key) in pending]
    return await deliver(deps, job, messages, force=force, outcome=outcome)


async def deliver(
    deps: JobDeps, job: str, messages: Sequence[Message], *, force: bool, outcome: Outcome
) -> Outcome:
    """Send each message once: claim, send, mark; a failed send releases its claim."""
    engine, owner = deps.engine, deps.owner
    for msg in messages:
        pair = (msg.slot, msg.recipient.key)
        if not force:
            claimed = await asyncio.to_thread(
                ledger.claim,
                engine,
                job,
                msg.slot,
                msg.recipient.key,
                owner=owner,
                now=deps.clock(),
            )
            if not claimed:
                outcome.already.append(pair)  # another run got there first
                continue
        try:
            await msg.send(deps.sender, msg.recipient)
        except Exception:
            log.exception("%s %s: could not deliver to %s", job, msg.slot, msg.recipient.key)
            if not force:
                await asyncio.to_thread(
                    ledger.release, engine, job, msg.slot, msg.recipient.key, owner=owner
                )
            outcome.failed.append(pair)
            continue
        # A crash (or cancellation) during the send leaves the claim "sending": in doubt.
        if force:
            await asyncio.to_thread(
                ledger.record_forced,
                engine,
                job,
                msg.slot,
                msg.recipient.key,
                owner=owner,
                now=deps.clock(),
            )
        else:
            await asyncio.to_thread(
                ledger.mark_sent, engine, job, msg.slot, msg.recipient.key, now=deps.clock()
            )
        outcome.sent.append(pair)
    return outcome


async def finish_slot(deps: JobDeps, job: str, slot: str, outcome: Outcome) -> None:
    """Mark the slot done once nothing of it can go out any more (no failures to retry)."""
    if not outcome.failed:
        await asyncio.to_thread(
            ledger.mark_slot_done, deps.engine, job, slot, owner=deps.owner, now=deps.clock()
        )


async def is_slot_done(deps: JobDeps, job: str, slot: str) -> bool:
    return await asyncio.to_thread(ledger.slot_done, deps.engine, job, slot)


def result_of(
    run: Run, slot: str | None, outcome: Outcome, fresh: Freshness | None = None
) -> JobResult:
    return JobResult(
        run.job,
        slot=slot,
        sent=tuple(outcome.sent),
        already=tuple(outcome.already),
        in_doubt=tuple(outcome.in_doubt),
        failed=tuple(outcome.failed),
        data_as_of=None if fresh is None else fresh.as_of,
        stale=bool(fresh and fresh.stale and outcome.sent),
    )
