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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from jobs import ledger
from jobs.deliver import Message, Outcome, deliver, result_of, split_pending
from jobs.delivery import Recipient, Sender
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh
from jobs.team import scope_of
from kpi.badges import BadgeRules, Earned, earned
from kpi.scope import Scope, ScopeError, company_scope
from reports.game_badges import badge_detail, badge_post, group_text
from reports.text import Fmt
from store.game_models import BadgeAward

log = logging.getLogger(__name__)

JOB = "badges"
ANNOUNCE_WITHIN = timedelta(days=3)
# This many awards of one rule and period for one chat go out as one message, not as cards.
GROUP_FROM = 4


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


@dataclass(frozen=True)
class News:
    slot: str  # the award's ledger slot: "badge:ID"
    employee_id: int
    name: str
    rule: str
    period: str
    post: Any  # a one-card post (reports.game_badges.badge_post)


def _announcements(deps: JobDeps, now: datetime) -> list[News]:
    """Each award still news, with its card post."""
    fmt = Fmt(deps.kpi.tz, now)
    news: list[News] = []
    with Session(deps.engine) as session:
        company = company_scope(session, deps.kpi)
        found = earned(session, company, deps.kpi, rules_of(deps), now=now)
        store_awards(session, found, now)
        details = {(e.employee_id, e.rule, e.period): e for e in found}
        recent = session.execute(
            select(BadgeAward)
            .where(col(BadgeAward.awarded_at) >= now - ANNOUNCE_WITHIN)
            .order_by(col(BadgeAward.id))
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
            name = names[award.employee_id]
            slot = f"badge:{award.id}"
            post = badge_post(
                slot,
                award.rule,
                name,
                detail,
                company,
                now=now,
                scope_tz=deps.kpi.tz,
                render=deps.render_charts,
            )
            news.append(News(slot, award.employee_id, name, award.rule, award.period, post))
    return news


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
    news = await asyncio.to_thread(_announcements, deps, run.now)
    members = await asyncio.to_thread(_members, deps)
    outcome = Outcome()
    for chat in deps.team_chats:
        mine = [n for n in news if n.employee_id in members.get(chat.department_id, set())]
        if not run.force:
            pairs = await split_pending(
                deps, JOB, [(n.slot, chat.recipient.key) for n in mine], outcome
            )
            pending = {slot for slot, _ in pairs}
            mine = [n for n in mine if n.slot in pending]
        groups: dict[tuple[str, str], list[News]] = {}
        for item in mine:
            groups.setdefault((item.rule, item.period), []).append(item)
        for items in groups.values():
            if len(items) >= GROUP_FROM:
                await _send_group(deps, chat.recipient, items, run=run, outcome=outcome)
            else:
                messages = [Message(n.slot, chat.recipient, _sender(n.post)) for n in items]
                await deliver(deps, JOB, messages, force=run.force, outcome=outcome)
    return result_of(run, None, outcome, fresh)


async def _send_group(
    deps: JobDeps,
    recipient: Recipient,
    items: list[News],
    *,
    run: Run,
    outcome: Outcome,
) -> None:
    """Several awards of one rule and period in one message, each award claimed first."""
    key, owner = recipient.key, deps.owner
    claimed = items
    if not run.force:
        claimed = []
        for item in items:
            got = await asyncio.to_thread(
                ledger.claim, deps.engine, JOB, item.slot, key, owner=owner, now=deps.clock()
            )
            if got:
                claimed.append(item)
            else:
                outcome.already.append((item.slot, key))
    if not claimed:
        return
    html, bb = group_text(claimed[0].rule, claimed[0].period, [n.name for n in claimed])
    try:
        await deps.sender.send_text(recipient, html, bb)
    except Exception:
        log.exception("badges: could not deliver to %s", key)
        for item in claimed:
            if not run.force:
                await asyncio.to_thread(
                    ledger.release, deps.engine, JOB, item.slot, key, owner=owner
                )
            outcome.failed.append((item.slot, key))
        return
    for item in claimed:
        if run.force:
            await asyncio.to_thread(
                ledger.record_forced, deps.engine, JOB, item.slot, key, owner=owner,
                now=deps.clock(),
            )  # fmt: skip
        else:
            await asyncio.to_thread(
                ledger.mark_sent, deps.engine, JOB, item.slot, key, now=deps.clock()
            )
        outcome.sent.append((item.slot, key))
