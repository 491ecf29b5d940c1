"""Streak news in the team chats, each once: a new personal record, a long streak broken.

A record: the running streak is longer than every earlier one of the person for the metric
(``kpi.streaks``: ``previous_best``) and than the record kept in the store, and at least
``RECORD_LEAST`` days; announced once per streak (the ledger keys it by the streak's first
day), the store keeps the new record. A break: the last finished working day ended a streak
of at least ``game.broken_streak_days``; announced once (keyed by that day). A department's
chat hears about its own people only.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlmodel import Session

from jobs.deliver import Message, Outcome, deliver_pending, result_of, text_sender
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh
from jobs.team import scope_of
from kpi.periods import parse_period
from kpi.scope import ScopeError
from kpi.streaks import StreakRow, streaks_report
from reports.game_badges import broken_text, record_text
from store.game_models import StreakRecord

log = logging.getLogger(__name__)

JOB = "streaks"
RECORD_LEAST = 3

News = tuple[str, tuple[str, str]]  # (ledger slot, text)


def _kept(session: Session, uid: int, row: StreakRow) -> int:
    """The stored record, unless it is this very streak (a retry after a failed post)."""
    record = session.get(StreakRecord, (uid, row.metric))
    if record is None or record.best_start == row.current_start:
        return 0
    return record.best


def _keep(session: Session, uid: int, row: StreakRow, now: datetime) -> None:
    record = session.get(StreakRecord, (uid, row.metric))
    if record is None:
        record = StreakRecord(employee_id=uid, metric=row.metric, updated_at=now)
    if row.current > record.best or record.best_start == row.current_start:
        record.best, record.best_start, record.updated_at = row.current, row.current_start, now
        session.add(record)


def _news(deps: JobDeps, department_id: int | None, now: datetime) -> list[News]:
    found: list[News] = []
    with Session(deps.engine) as session:
        try:
            scope = scope_of(session, deps.kpi, department_id)
        except ScopeError:
            log.warning("a team chat's department %s is not in the store", department_id)
            return found
        period = parse_period("today", now=now, tz=deps.kpi.tz)
        report = streaks_report(session, scope, period, deps.kpi, now=now)
        last = report.last_day
        for row in report.rows:
            uid = row.employee_id
            if uid is None:
                continue
            who = f"{uid}:{row.metric}"
            record = row.current > max(
                row.previous_best, _kept(session, uid, row), RECORD_LEAST - 1
            )
            if record and row.current_start is not None:
                text = record_text(row.employee, row.metric, row.current, row.previous_best)
                found.append((f"streak:record:{who}:{row.current_start}", text))
                _keep(session, uid, row, now)
            if row.broken >= deps.game.broken_streak_days and last is not None:
                text = broken_text(row.employee, row.metric, row.broken)
                found.append((f"streak:broken:{who}:{last}", text))
        session.commit()
    return found


async def streaks(deps: JobDeps, run: Run) -> JobResult:
    if not deps.team_chats:
        return run.skip("no team chats configured")
    fresh = await ensure_fresh(deps, run.now)
    messages: list[Message] = []
    for department_id in dict.fromkeys(c.department_id for c in deps.team_chats):
        news = await asyncio.to_thread(_news, deps, department_id, run.now)
        chats = [c for c in deps.team_chats if c.department_id == department_id]
        messages += [
            Message(slot, chat.recipient, text_sender(text))
            for slot, text in news
            for chat in chats
        ]
    outcome = await deliver_pending(deps, JOB, messages, force=run.force, outcome=Outcome())
    return result_of(run, None, outcome, fresh)
