"""Contest posts, each once through the ledger, and the personal nudges.

- start: when a contest is stored (before or on its start day), to every team chat that may
  see it: a company chat sees every contest, a department's chat those of its own tree;
- a new leader: when the first place changes hands, at most once per ``game.leader_every``
  per contest (the standings also ride along with the morning post, ``reports.morning``);
- a race's winner: the first seen at or above the target, kept on the contest;
- the result with the podium: from the morning fire time on, the day after the end (or
  after a stop), unless it ended longer than ``game.result_lookback`` ago;
- nudges: at the pace-check fire times, privately to each participant below first place,
  "N more to pass X"; never in quiet hours, even on request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from jobs.deliver import Message, Outcome, deliver_pending, result_of, text_sender
from jobs.delivery import Recipient, Sender
from jobs.deps import JobDeps, JobResult, Run
from jobs.freshness import ensure_fresh
from jobs.slots import latest_fire
from kpi.contests import Standings, contests_in, standings, status_of
from kpi.scope import department_tree
from reports.game_posts import nudge_text, result_post, standings_text, start_text, winner_text
from reports.text import Fmt
from store.game_models import Contest

log = logging.getLogger(__name__)

JOB = "contests"
# How long after a pace-check fire time the nudges may still go out.
NUDGE_WINDOW = timedelta(minutes=20)


@dataclass
class Plan:
    """What this run sends: (slot, department of the contest, send) for chats, and
    (slot, person, text) for nudges; plus what to remember once sent."""

    posts: list[tuple[str, int | None, Callable[[Sender, Recipient], Any]]] = field(
        default_factory=list
    )
    nudges: list[tuple[str, int, tuple[str, str]]] = field(default_factory=list)
    leaders: dict[int, str | None] = field(default_factory=dict)
    winners: dict[int, int] = field(default_factory=dict)


def _post_sender(post: Any) -> Callable[[Sender, Recipient], Any]:
    async def send(sender: Sender, recipient: Recipient) -> None:
        await sender.send_post(recipient, post)

    return send


def _morning_passed(deps: JobDeps, now: datetime) -> bool:
    expr = deps.schedule.cron_of("morning") or "0 9 * * *"
    local = now.astimezone(deps.kpi.tz)
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return latest_fire(expr, deps.kpi.tz, now, since_midnight) is not None


def _nudge_fire(deps: JobDeps, now: datetime) -> datetime | None:
    expr = deps.schedule.cron_of("pace")
    if not deps.game.nudges or not expr:
        return None
    quiet = deps.schedule.quiet_hours
    if quiet is not None and quiet.contains(now.astimezone(deps.kpi.tz)):
        return None
    return latest_fire(expr, deps.kpi.tz, now, NUDGE_WINDOW)


def _plan_contest(deps: JobDeps, plan: Plan, st: Standings, now: datetime, fmt: Fmt) -> None:
    c = st.contest
    assert c.id is not None
    if st.status in ("scheduled", "running"):
        text = start_text(st, fmt)
        plan.posts.append((f"contest:{c.id}:start", c.department_id, text_sender(text)))
    if st.status == "running":
        _plan_running(deps, plan, st, now, fmt)
    today = now.astimezone(deps.kpi.tz).date()
    last_day = c.end_day
    if c.stopped_at is not None:
        last_day = min(last_day, c.stopped_at.astimezone(deps.kpi.tz).date())
    # the morning after its last day; a contest stopped before it began has no result
    over = st.status in ("finished", "stopped") and c.start_day <= last_day < today
    recent = today - last_day <= deps.game.result_lookback
    if over and recent and _morning_passed(deps, now):
        post = result_post(st, fmt, now=now, render=deps.render_charts)
        plan.posts.append((f"contest:{c.id}:result", c.department_id, _post_sender(post)))


def _plan_running(deps: JobDeps, plan: Plan, st: Standings, now: datetime, fmt: Fmt) -> None:
    c = st.contest
    assert c.id is not None
    key = st.leader_key
    recent = c.leader_at is not None and now - c.leader_at < deps.game.leader_every
    if c.leader_at is None:
        # first seen running: the start post shows the standings; no "new leader" beside it
        plan.leaders[c.id] = key
    elif key is not None and key != c.leader and not recent:
        hour = now.astimezone(deps.kpi.tz).strftime("%Y-%m-%dT%H")
        text = standings_text(st, fmt, new_leader=True)
        plan.posts.append((f"contest:{c.id}:lead:{hour}", c.department_id, text_sender(text)))
        plan.leaders[c.id] = key
    target = st.target
    if c.kind == "target" and c.winner_id is None and target is not None:
        reached = [r for r in st.rows if r.reached(target)]
        if reached:
            text = winner_text(st, reached[0], fmt)
            plan.posts.append((f"contest:{c.id}:winner", c.department_id, text_sender(text)))
            plan.winners[c.id] = reached[0].id
    fire = _nudge_fire(deps, now)
    if fire is None or st.teams:
        return
    stamp = fire.astimezone(deps.kpi.tz).strftime("%Y-%m-%dT%H:%M")
    for above, row in zip(st.rows, st.rows[1:], strict=False):
        if above.value > 0:
            text = nudge_text(st, row, above, fmt)
            plan.nudges.append((f"nudge:{c.id}:{stamp}:{row.id}", row.id, text))


def _history(deps: JobDeps, contest: Contest, now: datetime) -> bool:
    """Over long enough ago that nothing about it is news any more."""
    status = status_of(contest, now, deps.kpi.tz)
    if status == "stopped" and contest.stopped_at is not None:
        return now - contest.stopped_at > deps.game.result_lookback
    today = now.astimezone(deps.kpi.tz).date()
    return status == "finished" and today - contest.end_day > deps.game.result_lookback


def _plan(deps: JobDeps, now: datetime) -> tuple[Plan, dict[int | None, set[int]]]:
    fmt = Fmt(deps.kpi.tz, now)
    plan = Plan()
    trees: dict[int | None, set[int]] = {}
    with Session(deps.engine) as session:
        for chat in deps.team_chats:
            if chat.department_id is not None and chat.department_id not in trees:
                trees[chat.department_id] = department_tree(session, [chat.department_id])
        for contest in contests_in(session):
            if _history(deps, contest, now):
                continue
            try:
                st = standings(session, contest, deps.kpi, now=now)
            except Exception:
                log.exception("contest %s: could not compute the standings", contest.id)
                continue
            _plan_contest(deps, plan, st, now, fmt)
    return plan, trees


def _remember(deps: JobDeps, plan: Plan, now: datetime) -> None:
    with Session(deps.engine) as session:
        for contest_id, key in plan.leaders.items():
            contest = session.get(Contest, contest_id)
            if contest is not None:
                contest.leader, contest.leader_at = key, now
                session.add(contest)
        for contest_id, winner in plan.winners.items():
            contest = session.get(Contest, contest_id)
            if contest is not None and contest.winner_id is None:
                contest.winner_id, contest.winner_at = winner, now
                session.add(contest)
        session.commit()


def sees(chat_department: int | None, contest_department: int | None, trees: Any) -> bool:
    """A company chat sees every contest; a department's chat those inside its tree."""
    if chat_department is None:
        return True
    return contest_department is not None and contest_department in trees[chat_department]


async def contests(deps: JobDeps, run: Run) -> JobResult:
    fresh = await ensure_fresh(deps, run.now)
    plan, trees = await asyncio.to_thread(_plan, deps, run.now)
    messages = [
        Message(slot, chat.recipient, send)
        for slot, department, send in plan.posts
        for chat in deps.team_chats
        if sees(chat.department_id, department, trees)
    ]
    people = deps.directory()
    for slot, uid, text in plan.nudges:
        recipient = people.recipient(uid)
        if recipient is not None:
            messages.append(Message(slot, recipient, text_sender(text)))
    outcome = await deliver_pending(deps, JOB, messages, force=run.force, outcome=Outcome())
    if plan.leaders or plan.winners:
        # Remembered even when a chat failed: the ledger retries that chat's post, and the
        # next change of leader is measured from this one.
        await asyncio.to_thread(_remember, deps, plan, run.now)
    return result_of(run, None, outcome, fresh)
