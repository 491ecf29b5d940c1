"""Celebrations in the team chat, each once: a big deal won, a plan met.

A deal won (``kpi.deals.deal_won``) of at least ``schedule.celebrate_amount`` that closed
within ``schedule.celebrate_lookback``; a plan of the running ``schedule.pace_period`` met
(``kpi.kpiplan`` status "met", a plan above zero) by an employee or by the chat's whole
team. A department's chat hears about its own people only. The ledger keys them by the
deal, or by the period, person and metric, so a plan met stays celebrated all period.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from jobs.deliver import Message, Outcome, deliver_pending, result_of, text_sender
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh
from jobs.team import scope_of
from jobs.texts import Text, deal_won, plan_met, render, team_name
from kpi.deals import deal_won as is_won
from kpi.kpiplan import kpi_report
from kpi.periods import parse_period
from kpi.scope import Scope, ScopeError
from reports.kpi_words import period_label
from reports.text import Fmt
from store.models import Deal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    slot: str
    text: Text


def _deals(session: Session, deps: JobDeps, scope: Scope, fmt: Fmt, now: datetime) -> list[Event]:
    amount = deps.schedule.celebrate_amount
    if amount is None or not scope.employees:
        return []
    since = (now - deps.schedule.celebrate_lookback).astimezone(deps.kpi.tz).date()
    names = {e.id: e.name for e in scope.employees}
    query = (
        select(col(Deal.id), col(Deal.title), col(Deal.amount), col(Deal.responsible_id))
        .where(
            is_won(),
            col(Deal.amount) >= amount,
            col(Deal.close_date) >= since,
            col(Deal.responsible_id).in_(list(names)),
        )
        .order_by(col(Deal.close_date), col(Deal.id))
    )
    return [
        Event(f"deal:{deal_id}", render(deal_won(names[uid], title, value, fmt)))
        for deal_id, title, value, uid in session.execute(query)
    ]


def _plans(session: Session, deps: JobDeps, scope: Scope, fmt: Fmt, now: datetime) -> list[Event]:
    period = parse_period(deps.schedule.pace_period, now=now, tz=deps.kpi.tz)
    report = kpi_report(session, scope, period, deps.kpi, now=now)
    start = period.start.date().isoformat()
    who = "company" if scope.id is None else f"department{scope.id}"
    rows = [(str(r.employee_id), r.employee, r) for r in report.rows]
    rows.append((who, team_name(scope.name), report.total))
    events = []
    for key, name, row in rows:
        for metric, m in row.metrics.items():
            if m.status == "met" and m.plan is not None and m.plan > Decimal(0):
                text = render(plan_met(name, metric, m, period_label(period), fmt))
                events.append(Event(f"plan:{period.kind}:{start}:{key}:{metric}", text))
    return events


def _events(
    deps: JobDeps, departments: list[int | None], now: datetime
) -> dict[int | None, list[Event]]:
    fmt = Fmt(deps.kpi.tz, now)
    found: dict[int | None, list[Event]] = {}
    with Session(deps.engine) as session:
        for department_id in departments:
            try:
                scope = scope_of(session, deps.kpi, department_id)
            except ScopeError:
                log.warning("a team chat's department %s is not in the store", department_id)
                found[department_id] = []
                continue
            found[department_id] = [
                *_deals(session, deps, scope, fmt, now),
                *_plans(session, deps, scope, fmt, now),
            ]
    return found


async def celebrate(deps: JobDeps, run: Run) -> JobResult:
    if not deps.team_chats:
        return run.skip("no team chats configured")
    fresh = await ensure_fresh(deps, run.now)
    departments = list(dict.fromkeys(c.department_id for c in deps.team_chats))
    events = await asyncio.to_thread(_events, deps, departments, run.now)
    messages = [
        Message(event.slot, chat.recipient, text_sender(event.text))
        for chat in deps.team_chats
        for event in events[chat.department_id]
    ]
    outcome = await deliver_pending(
        deps, "celebrate", messages, force=run.force, outcome=Outcome()
    )
    return result_of(run, None, outcome, fresh)
