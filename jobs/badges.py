"""Badges: earned ones are stored once (person, rule, period), then announced once.

The award is an INSERT that does nothing on conflict, so two runs or two processes store it
once; the announcement goes through the ledger by the award's id, to every team chat whose
scope holds the person (a department's chat hears about its own people only), with its
card. Awards older than ``ANNOUNCE_WITHIN`` are not announced any more (a first start on
an old store must not flood the chat).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from jobs.deliver import Message, Outcome, deliver_pending, result_of
from jobs.delivery import Recipient, Sender
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh
from jobs.team import scope_of
from kpi.badges import BadgeRules, Earned, earned
from kpi.scope import Scope, ScopeError, company_scope
from reports.game_badges import badge_detail, badge_post
from reports.text import Fmt
from store.game_models import BadgeAward

log = logging.getLogger(__name__)

JOB = "badges"
ANNOUNCE_WITHIN = timedelta(days=3)


def rules_of(deps: JobDeps) -> BadgeRules:
    game = deps.game
    return BadgeRules(
        rules=game.badges,
        calls_per_day=game.calls_per_day,
        plan_months=game.plan_months,
        plan_metric=game.plan_metric,
    )


def store_awards(session: Session, found: list[Earned], now: datetime) -> None:
    """Insert each award unless the same person, rule and period has one already."""
    table = BadgeAward.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for item in found:
        values = {
            "employee_id": item.employee_id,
            "rule": item.rule,
            "period": item.period,
            "value": str(item.value),
            "awarded_at": now,
        }
        session.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())
    session.commit()


def _announcements(deps: JobDeps, now: datetime) -> list[tuple[int | None, Any]]:
    """(department of the chats that may hear it, post) for each award still news."""
    fmt = Fmt(deps.kpi.tz, now)
    posts: list[tuple[int | None, Any]] = []
    with Session(deps.engine) as session:
        company = company_scope(session, deps.kpi)
        found = earned(session, company, deps.kpi, rules_of(deps), now=now)
        store_awards(session, found, now)
        details = {(e.employee_id, e.rule, e.period): e for e in found}
        recent = session.execute(
            select(BadgeAward).where(col(BadgeAward.awarded_at) >= now - ANNOUNCE_WITHIN)
        ).scalars()
        names = {e.id: e.name for e in company.employees}
        for award in recent:
            if award.employee_id not in names:
                continue
            why = details.get((award.employee_id, award.rule, award.period))
            detail = (
                badge_detail(award.rule, why.value, why.first, why.last, fmt)
                if why is not None
                else award.period
            )
            post = badge_post(
                f"badge:{award.id}",
                award.rule,
                names[award.employee_id],
                detail,
                company,
                now=now,
                scope_tz=deps.kpi.tz,
                render=deps.render_charts,
            )
            posts.append((award.employee_id, post))
    return posts


def _members(deps: JobDeps) -> dict[int | None, set[int]]:
    found: dict[int | None, set[int]] = {}
    with Session(deps.engine) as session:
        for chat in deps.team_chats:
            if chat.department_id in found:
                continue
            try:
                scope: Scope = scope_of(session, deps.kpi, chat.department_id)
            except ScopeError:
                log.warning("a team chat's department %s is not in the store", chat.department_id)
                scope = Scope("department", chat.department_id, "", ())
            found[chat.department_id] = set(scope.employee_ids)
    return found


def _sender(post: Any) -> Any:
    async def send(sender: Sender, recipient: Recipient) -> None:
        await sender.send_post(recipient, post)

    return send


async def badges(deps: JobDeps, run: Run) -> JobResult:
    if not deps.game.badges:
        return run.skip("no badge rules configured")
    fresh = await ensure_fresh(deps, run.now)
    posts = await asyncio.to_thread(_announcements, deps, run.now)
    members = await asyncio.to_thread(_members, deps)
    messages = [
        Message(post.key, chat.recipient, _sender(post))
        for employee_id, post in posts
        for chat in deps.team_chats
        if employee_id in members.get(chat.department_id, set())
    ]
    outcome = await deliver_pending(deps, JOB, messages, force=run.force, outcome=Outcome())
    return result_of(run, None, outcome, fresh)
