"""Missed-call alerts: a missed call nobody has called back gets chased, privately.

The employee it was credited to hears once ``calls.callback_window`` has passed without a
callback; the head of their department (the nearest up the tree; a head's own calls go one
level up) once ``schedule.missed_head_delay`` has. Calls that nobody took go to the heads
of the sales departments. "Called back" is ``kpi.missed``'s definition, and only what the
data can prove counts: a call is overdue when its deadline is before the last successful
sync, so a callback made but not synced yet never raises a false alarm. Calls older than
``schedule.missed_lookback`` are left to the morning post.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from jobs.deliver import Message, Outcome, deliver_pending, result_of, text_sender
from jobs.delivery import Recipient
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh
from jobs.people import People, Person
from jobs.texts import missed_alert, missed_head_alert, render
from kpi.missed import OpenCall, callers, open_calls
from kpi.periods import Period
from kpi.scope import sales_employees
from reports.text import Fmt
from store.models import Department


@dataclass(frozen=True)
class Overdue:
    calls: tuple[OpenCall, ...]
    departments: dict[int, int | None]  # employee -> main department
    parents: dict[int, int | None]  # department -> parent


def call_key(call: OpenCall) -> str:
    """Stable for the call: its start to the second and the caller's number."""
    return f"{call.at.astimezone(UTC):%Y%m%dT%H%M%S}/{call.phone}"


def _overdue(deps: JobDeps, start: datetime, end: datetime) -> Overdue:
    tz = deps.kpi.tz
    period = Period(start.astimezone(tz), end.astimezone(tz), "alerts", "", "", running=False)
    with Session(deps.engine) as session:
        employees = sales_employees(session, deps.kpi)
        calls = open_calls(
            session,
            [e.id for e in employees],
            period,
            include_null=True,
            caller_ids=callers(session, deps.kpi),
            names={e.id: e.name for e in employees},
        )
        rows = session.execute(select(col(Department.id), col(Department.parent_id)))
        parents: dict[int, int | None] = {dept: parent for dept, parent in rows}
    departments = {e.id: e.department_id for e in employees}
    # a hidden number cannot be called back: nothing to chase
    return Overdue(tuple(c for c in calls if c.phone), departments, parents)


def _heads(deps: JobDeps, people: People, call: OpenCall, data: Overdue) -> list[Person]:
    if call.employee_id is None:
        found: dict[int, Person] = {}
        for root in deps.kpi.sales_departments:
            found.update((p.user_id, p) for p in people.heads_of(root, data.parents))
        return list(found.values())
    department = data.departments.get(call.employee_id)
    return people.heads_of(department, data.parents, exclude=call.employee_id)


async def missed(deps: JobDeps, run: Run) -> JobResult:
    window, delay = deps.kpi.callback_window, deps.schedule.missed_head_delay
    fresh = await ensure_fresh(deps, run.now)
    if fresh.as_of is None:
        return run.skip("no data synced yet")
    # what the data can prove: callbacks up to the last sync, never beyond now
    known = min(run.now, fresh.as_of)
    start, end = run.now - deps.schedule.missed_lookback, known - window
    if end <= start:
        return run.skip("the data is too old to tell a missed call from a late callback")
    data = await asyncio.to_thread(_overdue, deps, start, end)
    people = deps.directory()
    fmt = Fmt(deps.kpi.tz, run.now)
    messages: list[Message] = []
    for call in data.calls:
        key = call_key(call)
        recipient = people.recipient(call.employee_id)
        if recipient is not None:
            text = render(missed_alert(call.phone, call.at, run.now, fmt))
            messages.append(Message(f"{key}/employee", recipient, text_sender(text)))
        if known - call.at < delay:
            continue
        for head in _heads(deps, people, call, data):
            to: Recipient | None = head.recipient
            if to is not None:
                who = call.employee if call.employee_id is not None else None
                text = render(missed_head_alert(who, call.phone, call.at, run.now, fmt))
                messages.append(Message(f"{key}/head", to, text_sender(text)))
    outcome = await deliver_pending(deps, "missed", messages, force=run.force, outcome=Outcome())
    return result_of(run, None, outcome, fresh)
