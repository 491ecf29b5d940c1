"""Pace checks: who is behind the plan's expected-by-now figure, told privately.

An employee behind on any checked metric of the running period (``schedule.pace_period``,
a month by default) gets a note with the numbers; each head gets one summary of the
employees behind in the department trees they head (nothing when nobody is). Figures and
statuses are ``kpi.kpiplan``'s: "behind" means fact < plan x elapsed working time share.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

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
from jobs.freshness import Freshness, ensure_fresh, stale_blocks
from jobs.people import People
from jobs.slots import check_slot
from jobs.texts import pace_note, pace_summary, render
from kpi.kpiplan import KpiReport, Metric, kpi_report
from kpi.periods import day_start, parse_period
from kpi.scope import ScopeError, company_scope, department_scope
from reports.kpi_words import period_label
from reports.markup import Block
from reports.text import Fmt

log = logging.getLogger(__name__)

Behind = list[tuple[str, Metric]]


@dataclass(frozen=True)
class Team:
    head_id: int
    name: str
    member_ids: tuple[int, ...]


def behind_metrics(report: KpiReport, metrics: tuple[str, ...]) -> dict[int, Behind]:
    """Per employee: the checked metrics they are behind on (no entry when there are none)."""
    found: dict[int, Behind] = {}
    for row in report.rows:
        late = [
            (name, m)
            for name, m in row.metrics.items()
            if m.status == "behind" and (not metrics or name in metrics)
        ]
        if late and row.employee_id is not None:
            found[row.employee_id] = late
    return found


def _figures(deps: JobDeps, people: People, now: datetime) -> tuple[KpiReport, list[Team]]:
    with Session(deps.engine) as session:
        period = parse_period(deps.schedule.pace_period, now=now, tz=deps.kpi.tz)
        report = kpi_report(session, company_scope(session, deps.kpi), period, deps.kpi, now=now)
        teams = []
        for head in people.heads():
            names: list[str] = []
            members: dict[int, None] = {}
            for department_id in sorted(head.heads):
                try:
                    scope = department_scope(session, deps.kpi, department_id)
                except ScopeError:
                    log.warning(
                        "head %s: no department %s in the store", head.user_id, department_id
                    )
                    continue
                names.append(scope.name)
                members.update(dict.fromkeys(scope.employee_ids))
            if members:
                teams.append(Team(head.user_id, ", ".join(names), tuple(members)))
    return report, teams


def _with_warning(blocks: list[Block], fresh: Freshness, fmt: Fmt) -> list[Block]:
    return [*blocks, *stale_blocks(fresh, fmt)] if fresh.stale else blocks


async def pace(deps: JobDeps, run: Run) -> JobResult:
    tz = deps.kpi.tz
    at = run.now  # the figures are as of now, even in a catch-up after the fire time
    slot = check_slot(run.fire or day_start(run.now.astimezone(tz).date(), tz))
    if not run.force and await is_slot_done(deps, "pace", slot):
        return run.skip("delivered already", slot)
    fresh = await ensure_fresh(deps, run.now)
    people = deps.directory()
    report, teams = await asyncio.to_thread(_figures, deps, people, run.now)
    fmt = Fmt(tz, run.now)
    label = period_label(report.meta.period)
    behind = behind_metrics(report, deps.schedule.pace_metrics)
    names = {row.employee_id: row.employee for row in report.rows}
    messages: list[Message] = []
    for uid, late in behind.items():
        recipient = people.recipient(uid)
        if recipient is not None:
            text = render(_with_warning(pace_note(label, at, late, fmt), fresh, fmt))
            messages.append(Message(f"{slot}/self", recipient, text_sender(text)))
    for team in teams:
        recipient = people.recipient(team.head_id)
        lagging = [(names[uid], behind[uid]) for uid in team.member_ids if uid in behind]
        if recipient is None or not lagging:
            continue
        blocks = pace_summary(
            label, at=at, team=team.name, behind=lagging, members=len(team.member_ids), fmt=fmt
        )
        text = render(_with_warning(blocks, fresh, fmt))
        messages.append(Message(f"{slot}/team", recipient, text_sender(text)))
    outcome = await deliver_pending(deps, "pace", messages, force=run.force, outcome=Outcome())
    await finish_slot(deps, "pace", slot, outcome)
    return result_of(run, slot, outcome, fresh)
