"""The team chats' posts: the working-day morning post and the weekly summary.

On the week's first working day the weekly summary goes out instead of the morning post
(``reports.morning`` decides the day). The ledger files a post under what it is, so the
morning job and the weekly job on a Monday, or a manual ``post morning``, cannot both post
the weekly summary. Each post is built (figures and charts) once per scope, only when some
chat still needs it, and then handed to every such chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from jobs.deliver import Message, Outcome, deliver, finish_slot, result_of, split_pending
from jobs.delivery import Recipient, Sender, TeamChat
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import Freshness, ensure_fresh, stale_text
from jobs.slots import day_slot, local_day, week_slot
from kpi.scope import Scope, company_scope, department_scope
from kpi.settings import KpiSettings
from reports.morning import is_weekly_day, morning_post, weekly_post
from reports.text import Fmt

log = logging.getLogger(__name__)

PostBuilder = Callable[..., Any]  # (session, settings, scope, *, now) -> reports.morning.Post


async def morning(deps: JobDeps, run: Run) -> JobResult:
    today = local_day(run.fire or run.now, deps.kpi.tz)
    if is_weekly_day(deps.kpi.calendar, today):
        if run.scheduled and deps.schedule.enabled("weekly"):
            return run.skip("the weekly summary goes out today instead")
        # reports.morning_post gives the weekly summary on this day: file it as one
        return await team_post(deps, run, "weekly", week_slot(today), morning_post)
    return await team_post(deps, run, "morning", day_slot(today), morning_post)


async def weekly(deps: JobDeps, run: Run) -> JobResult:
    today = local_day(run.fire or run.now, deps.kpi.tz)
    if run.scheduled and not is_weekly_day(deps.kpi.calendar, today):
        return run.skip("not the week's first working day")
    return await team_post(deps, run, "weekly", week_slot(today), weekly_post)


def scope_of(session: Session, settings: KpiSettings, department_id: int | None) -> Scope:
    if department_id is None:
        return company_scope(session, settings)
    return department_scope(session, settings, department_id)


def _build(deps: JobDeps, build: PostBuilder, department_id: int | None, now: datetime) -> Any:
    with Session(deps.engine) as session:
        scope = scope_of(session, deps.kpi, department_id)
        # ``render`` only when asked not to: a builder without the option still works
        options = {} if deps.render_charts else {"render": False}
        return build(session, deps.kpi, scope, now=now, **options)


def _sender(post: Any, warning: tuple[str, str] | None) -> Callable[[Sender, Recipient], Any]:
    async def send(sender: Sender, recipient: Recipient) -> None:
        if warning is not None:
            # a separate line before the post: the post's caption is already cut to fit
            await sender.send_text(recipient, *warning)
        await sender.send_post(recipient, post)

    return send


async def team_post(
    deps: JobDeps, run: Run, kind: str, slot: str, build: PostBuilder
) -> JobResult:
    if not deps.team_chats:
        return run.skip("no team chats configured", slot)
    outcome = Outcome()
    chats: list[TeamChat] = list(deps.team_chats)
    if not run.force:
        pending = await split_pending(
            deps, kind, [(slot, c.recipient.key) for c in chats], outcome
        )
        keys = {chat for _, chat in pending}
        chats = [c for c in chats if c.recipient.key in keys]
    fresh: Freshness | None = None
    if chats:
        fresh = await ensure_fresh(deps, run.now)
        warning = stale_text(fresh, Fmt(deps.kpi.tz, run.now)) if fresh.stale else None
        for department_id in dict.fromkeys(c.department_id for c in chats):
            group = [c for c in chats if c.department_id == department_id]
            try:
                post = await asyncio.to_thread(_build, deps, build, department_id, run.now)
            except Exception:
                log.exception("%s %s: could not build the post for %s", kind, slot, department_id)
                outcome.failed.extend((slot, c.recipient.key) for c in group)
                continue
            send = _sender(post, warning)
            messages = [Message(slot, c.recipient, send) for c in group]
            await deliver(deps, kind, messages, force=run.force, outcome=outcome)
    await finish_slot(deps, kind, slot, outcome)
    return result_of(run, f"{kind}:{slot}", outcome, fresh)
