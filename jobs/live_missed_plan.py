"""What a live missed-call run tells, and to whom: read from the store and the ledger.

The rules are in ``jobs.live_missed``'s docstring; this module only reads (and writes the
ledger's markers: the feature's start, and "logged once" for a call with no chat). It
blocks on the database, so the async side runs ``gather`` in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from jobs import ledger
from jobs.delivery import Recipient
from jobs.deps import JobDeps
from jobs.people import People, Person
from kpi.missed_live import (
    Callback,
    Card,
    LiveCall,
    card_of,
    first_callbacks,
    known_users,
    missed_by_id,
    recent_missed,
)
from kpi.scope import Employee, sales_employees
from store.jobs_models import JobDelivery
from store.models import Department

log = logging.getLogger(__name__)

JOB = "missed_live"  # the alert: slot "call:ID", one row per chat
BACK_JOB = "missed_live_back"  # the note on the callback, same slots and chats
SINCE_SLOT = "since"
# A call that began ringing just before the first run (or while the process was starting)
# is still news: the start marker holds back only what is older than this.
START_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class Alert:
    call: LiveCall
    card: Card | None
    recipient: Recipient
    nobody: bool  # nobody took it: told to a head


@dataclass(frozen=True)
class Note:
    call: LiveCall
    callback: Callback
    card: Card | None
    recipient: Recipient
    by: str | None  # who called back; None when it was the reader (or is unknown)


@dataclass
class Work:
    alerts: list[Alert] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)  # call ids nobody can be told of


def slot_of(call_id: int) -> str:
    return f"call:{call_id}"


def _call_of(slot: str) -> int | None:
    prefix, _, number = slot.partition(":")
    return int(number) if prefix == "call" and number.isdecimal() else None


def _recipient_of(key: str) -> Recipient | None:
    front, _, address = key.partition(":")
    if front == "telegram" and address:
        return Recipient("telegram", address)
    if front == "bitrix" and address:
        return Recipient("bitrix", address)
    return None


def live_since(deps: JobDeps, now: datetime) -> datetime:
    """When live alerts began on this store: the first run writes it, later ones read it.

    The nightly prune forgets it after ``runner.LEDGER_KEEP``; it is then written anew by
    the next run, at night, in quiet hours, when nothing would be told anyway.
    """
    since = _read_since(deps)
    if since is None:  # the first run on this store (or of this feature)
        ledger.mark_slot_done(deps.engine, JOB, SINCE_SLOT, owner=deps.owner, now=now)
        since = _read_since(deps)
    return now if since is None else since


def _read_since(deps: JobDeps) -> datetime | None:
    with Session(deps.engine) as session:
        return session.scalars(
            select(col(JobDelivery.claimed_at)).where(
                col(JobDelivery.job) == JOB,
                col(JobDelivery.slot) == SINCE_SLOT,
                col(JobDelivery.chat) == ledger.SLOT_DONE,
            )
        ).first()


def off_reason(deps: JobDeps, moment: datetime) -> str:
    """Why nothing may be told at ``moment``; empty when it may."""
    local = moment.astimezone(deps.kpi.tz)
    if not deps.kpi.calendar.is_working_day(local.date()):
        return "not a working day"
    quiet = deps.schedule.quiet_hours
    return "quiet hours" if quiet is not None and quiet.contains(local) else ""


def held_back(deps: JobDeps, start: datetime, end: datetime) -> bool:
    """True when quiet hours or a day off lie anywhere in [start, end]."""
    tz, quiet = deps.kpi.tz, deps.schedule.quiet_hours
    first, last = start.astimezone(tz), end.astimezone(tz)
    if off_reason(deps, first) or off_reason(deps, last):
        return True
    day = first.date()
    while day <= last.date():
        if not deps.kpi.calendar.is_working_day(day):
            return True
        if quiet is not None and first < datetime.combine(day, quiet.start, tz) <= last:
            return True
        day += timedelta(days=1)
    return False


def _heads(session: Session, deps: JobDeps, people: People) -> list[Person]:
    """The heads of the sales departments (of the top departments when every one is)."""
    rows = session.execute(select(col(Department.id), col(Department.parent_id)))
    parents: dict[int, int | None] = {dept: parent for dept, parent in rows}
    roots = deps.kpi.sales_departments or tuple(d for d, p in parents.items() if p is None)
    found: dict[int, Person] = {}
    for root in roots:
        found.update((p.user_id, p) for p in people.heads_of(root, parents))
    return [found[uid] for uid in sorted(found)]


def _targets(
    call: LiveCall,
    sales: dict[int, Employee],
    known: set[int],
    people: People,
    heads: Sequence[Person],
) -> tuple[list[Person], bool] | None:
    """Whom to tell (and whether nobody took it); None: not the sales team's call."""
    if call.user_id is not None and call.user_id in sales:
        person = people.get(call.user_id)
        return ([person] if person is not None else []), False
    if call.user_id is None or call.user_id not in known:
        return list(heads), True
    return None


def _recorded(session: Session, calls: Sequence[LiveCall]) -> dict[str, set[str]]:
    """The ledger's alert rows of these calls: slot -> chats (``*``: logged as no chat)."""
    slots = [slot_of(c.id) for c in calls]
    found: dict[str, set[str]] = {}
    for n in range(0, len(slots), 500):  # under SQLite's parameter limit
        query = select(col(JobDelivery.slot), col(JobDelivery.chat)).where(
            col(JobDelivery.job) == JOB, col(JobDelivery.slot).in_(slots[n : n + 500])
        )
        for slot, chat in session.execute(query):
            found.setdefault(slot, set()).add(chat)
    return found


def _no_chat(deps: JobDeps, call: LiveCall, now: datetime) -> None:
    """Say once (across runs and processes: a ledger marker) that a call could not be told
    to anyone."""
    ledger.mark_slot_done(deps.engine, JOB, slot_of(call.id), owner=deps.owner, now=now)
    log.warning(
        "missed call %s (user %s): nobody it goes to has a linked Telegram account or a "
        "Bitrix24 dialog, so it is not told live (/link in Telegram, or bitrix_chat.enabled)",
        call.id,
        call.user_id if call.user_id is not None else "none",
    )


def _alerts(session: Session, deps: JobDeps, now: datetime, since: datetime, work: Work) -> None:
    lookback = min(deps.kpi.callback_window, deps.schedule.missed_lookback)
    calls = recent_missed(session, max(since - START_GRACE, now - lookback))
    calls = tuple(c for c in calls if not held_back(deps, c.start, now))
    if not calls:
        return
    employees = sales_employees(session, deps.kpi)
    callers = [e.id for e in employees]
    sales = {e.id: e for e in employees}
    known = known_users(session, (c.user_id for c in calls))
    people = deps.directory()
    heads = _heads(session, deps, people)
    recorded = _recorded(session, calls)
    wanted: list[tuple[LiveCall, list[Recipient], bool]] = []
    for call in calls:
        found = _targets(call, sales, known, people, heads)
        if found is None:
            continue
        persons, nobody = found
        done = recorded.get(slot_of(call.id), set())
        chats = {p.recipient.key: p.recipient for p in persons if p.recipient is not None}
        if not chats:
            if ledger.SLOT_DONE not in done:
                _no_chat(deps, call, now)
            work.unreachable.append(call.id)
            continue
        # told already (or being told by another run): no need to look any further
        pending = [to for key, to in chats.items() if key not in done]
        if pending:
            wanted.append((call, pending, nobody))
    answered = first_callbacks(session, [call for call, _, _ in wanted], callers)
    for call, pending, nobody in wanted:
        if call.id not in answered:
            card = card_of(session, call.entity_type, call.entity_id, deps.kpi.portal_url)
            work.alerts += [Alert(call, card, to, nobody) for to in pending]


def _told(session: Session, deps: JobDeps, now: datetime) -> dict[int, list[str]]:
    """Calls whose alert went out within the lookback and whose callback was not noted
    yet: call id -> the chats that got the alert."""
    query = select(
        col(JobDelivery.job), col(JobDelivery.slot), col(JobDelivery.chat), col(JobDelivery.state)
    ).where(
        col(JobDelivery.job).in_((JOB, BACK_JOB)),
        col(JobDelivery.claimed_at) >= now - deps.schedule.missed_lookback,
        col(JobDelivery.chat) != ledger.SLOT_DONE,
    )
    alerted, noted = set(), set()
    for job, slot, chat, state in session.execute(query):
        if job == BACK_JOB:
            noted.add((slot, chat))
        elif state == "sent":
            alerted.add((slot, chat))
    found: dict[int, list[str]] = {}
    for slot, chat in sorted(alerted - noted):
        call_id = _call_of(slot)
        if call_id is not None:
            found.setdefault(call_id, []).append(chat)
    return found


def _notes(session: Session, deps: JobDeps, now: datetime, work: Work) -> None:
    told = _told(session, deps, now)
    if not told:
        return
    employees = sales_employees(session, deps.kpi)
    callers = [e.id for e in employees]
    names = {e.id: e.name for e in employees}
    people = deps.directory()
    owners = {p.recipient.key: p.user_id for p in people.by_id.values() if p.recipient}
    calls = missed_by_id(session, told)
    answered = first_callbacks(session, calls, callers)
    for call in calls:
        callback = answered.get(call.id)
        if callback is None:
            continue
        card = card_of(session, call.entity_type, call.entity_id, deps.kpi.portal_url)
        for chat in told[call.id]:
            recipient = _recipient_of(chat)
            if recipient is None:
                continue
            own = callback.user_id is not None and owners.get(chat) == callback.user_id
            by = None if own or callback.user_id is None else names.get(callback.user_id)
            work.notes.append(Note(call, callback, card, recipient, by))


def gather(deps: JobDeps, now: datetime, since: datetime) -> Work:
    work = Work()
    with Session(deps.engine) as session:
        _notes(session, deps, now, work)
        _alerts(session, deps, now, since, work)
    return work
