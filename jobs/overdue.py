"""The morning digest of overdue tasks: each employee who has any gets their own list.

Overdue is ``kpi.tasks``'s definition (not completed, deadline before now) over every
deadline up to now, however old: an old overdue task is still overdue.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, datetime

from sqlmodel import Session

from jobs.deliver import (
    Message,
    Outcome,
    deliver_pending,
    finish_slot,
    is_slot_done,
    result_of,
    text_sender,
)
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh, stale_blocks
from jobs.slots import day_slot, local_day
from jobs.texts import overdue_digest, render
from kpi.periods import range_period
from kpi.scope import sales_employees
from kpi.tasks import OverdueTask, overdue_tasks
from reports.text import Fmt

# Deadlines from here on count; the portal has no tasks older than this.
EPOCH = date(2000, 1, 1)


def _overdue(deps: JobDeps, now: datetime) -> dict[int, list[OverdueTask]]:
    tz = deps.kpi.tz
    period = range_period(EPOCH, now.astimezone(tz).date(), now=now, tz=tz)
    with Session(deps.engine) as session:
        ids = [e.id for e in sales_employees(session, deps.kpi)]
        tasks = overdue_tasks(session, ids, period, deps.kpi, now=now)
    by_employee: dict[int, list[OverdueTask]] = defaultdict(list)
    for task in tasks:
        by_employee[task.employee_id].append(task)
    return by_employee


async def overdue(deps: JobDeps, run: Run) -> JobResult:
    slot = day_slot(local_day(run.fire or run.now, deps.kpi.tz))
    if not run.force and await is_slot_done(deps, "overdue", slot):
        return run.skip("delivered already", slot)
    fresh = await ensure_fresh(deps, run.now)
    by_employee = await asyncio.to_thread(_overdue, deps, run.now)
    people = deps.directory()
    fmt = Fmt(deps.kpi.tz, run.now)
    messages: list[Message] = []
    for uid, tasks in sorted(by_employee.items()):
        recipient = people.recipient(uid)
        if recipient is None:
            continue
        blocks = overdue_digest([(t.title, t.url, t.deadline) for t in tasks], fmt)
        if fresh.stale:
            blocks += stale_blocks(fresh, fmt)
        messages.append(Message(slot, recipient, text_sender(render(blocks))))
    outcome = await deliver_pending(deps, "overdue", messages, force=run.force, outcome=Outcome())
    await finish_slot(deps, "overdue", slot, outcome)
    return result_of(run, slot, outcome, fresh)
