"""The delivery ledger: each (job, slot, chat) is claimed once, before its message is sent.

A claim is an INSERT that does nothing on conflict, so of two runs (a restart, a second
process, a job fired twice) exactly one gets to send. After the chat API returns, the row
becomes "sent"; when the send raises, the claim is released so a later run can try again.
A row left "sending" means the process died while sending: whether the chat got it is
unknown, so it is not sent again (a duplicate is what users complain about most); the log
says so, and ``crm-pulse post JOB --force`` sends it anyway.

Functions here block on the database; async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from store.jobs_models import JobDelivery

SLOT_DONE = "*"  # the chat of the marker row: every message of the slot is out


def _table() -> Table:
    table = JobDelivery.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _insert_ignore(engine: Engine, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on either database."""
    module = postgresql if engine.dialect.name == "postgresql" else sqlite
    return module.insert(_table()).values(**values).on_conflict_do_nothing()


def _key(job: str, slot: str, chat: str) -> Any:
    t = _table()
    return and_(t.c.job == job, t.c.slot == slot, t.c.chat == chat)


def slot_done(engine: Engine, job: str, slot: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(select(_table().c.job).where(_key(job, slot, SLOT_DONE))).first()
            is not None
        )


def recorded(
    engine: Engine, job: str, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The state ("sending" or "sent") of each given (slot, chat) that has a row."""
    t = _table()
    wanted = set(pairs)
    if not wanted:
        return {}
    slots = sorted({slot for slot, _ in wanted})
    found: dict[tuple[str, str], str] = {}
    with engine.connect() as conn:
        # in chunks: a sweep over many events must stay under SQLite's parameter limit
        for n in range(0, len(slots), 500):
            query = select(t.c.slot, t.c.chat, t.c.state).where(
                t.c.job == job, t.c.slot.in_(slots[n : n + 500])
            )
            for slot, chat, state in conn.execute(query):
                if (slot, chat) in wanted:
                    found[(slot, chat)] = state
    return found


def claim(engine: Engine, job: str, slot: str, chat: str, *, owner: str, now: datetime) -> bool:
    """True when this run may send (it inserted the row); False when someone else did."""
    values = {"job": job, "slot": slot, "chat": chat, "state": "sending", "owner": owner}
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING
    statement = _insert_ignore(engine, {**values, "claimed_at": now}).returning(_table().c.job)
    with engine.begin() as conn:
        return conn.execute(statement).first() is not None


def mark_sent(engine: Engine, job: str, slot: str, chat: str, *, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(_table()).where(_key(job, slot, chat)).values(state="sent", sent_at=now)
        )


def release(engine: Engine, job: str, slot: str, chat: str, *, owner: str) -> None:
    """Forget a claim whose send failed, so a later run can try again."""
    t = _table()
    with engine.begin() as conn:
        conn.execute(
            delete(t).where(_key(job, slot, chat), t.c.owner == owner, t.c.state == "sending")
        )


def record_forced(
    engine: Engine, job: str, slot: str, chat: str, *, owner: str, now: datetime
) -> None:
    """A forced send happened: the slot counts as delivered to the chat from now on."""
    values = {"job": job, "slot": slot, "chat": chat, "owner": owner}
    with engine.begin() as conn:
        conn.execute(_insert_ignore(engine, {**values, "state": "sent", "claimed_at": now}))
        conn.execute(
            update(_table()).where(_key(job, slot, chat)).values(state="sent", sent_at=now)
        )


def mark_slot_done(engine: Engine, job: str, slot: str, *, owner: str, now: datetime) -> None:
    """Every message of the slot is out: later runs skip it without computing anything."""
    values = {"job": job, "slot": slot, "chat": SLOT_DONE, "state": "done", "owner": owner}
    with engine.begin() as conn:
        conn.execute(_insert_ignore(engine, {**values, "claimed_at": now, "sent_at": now}))


def prune(engine: Engine, before: datetime) -> int:
    """Forget deliveries claimed before ``before``; keep it older than any period's length
    (a yearly plan met is celebrated once a year, by its row)."""
    t = _table()
    with engine.begin() as conn:
        return int(conn.execute(delete(t).where(t.c.claimed_at < before)).rowcount or 0)
