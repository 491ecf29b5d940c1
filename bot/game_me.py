"""The /me additions in both chats: running streaks with records, badges, contest places.

In the language in force (the reader's, set by the front end).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.game_texts import badge_line, place_line, streak_line
from kpi.contests import running_contests
from kpi.scope import Scope, ScopeError, employee_scope
from kpi.settings import KpiSettings
from kpi.streaks import current_streaks
from store.game_models import awards_of, records_of

SHOWN_BADGES = 5


def game_lines(
    session: Session, settings: KpiSettings, user_id: int, *, now: datetime
) -> list[str]:
    """Plain lines for /me: nothing for someone outside the sales team."""
    try:
        scope = employee_scope(session, settings, user_id)
    except ScopeError:
        return []
    lines = _streaks(session, settings, scope, user_id, now)
    lines += _contests(session, settings, scope, user_id, now)
    badges = awards_of(session, user_id, SHOWN_BADGES)
    lines += [badge_line(a.rule, a.period) for a in badges]
    return lines


def _streaks(
    session: Session, settings: KpiSettings, scope: Scope, user_id: int, now: datetime
) -> list[str]:
    records = records_of(session, user_id)
    current = current_streaks(session, scope, settings, now=now)
    lines = []
    for (_scope, metric), days in sorted(current.items(), key=lambda kv: -kv[1]):
        best = max(records.get(metric, 0), days)
        if days or best:
            lines.append(streak_line(metric, days, best))
    return lines


def _contests(
    session: Session, settings: KpiSettings, scope: Scope, user_id: int, now: datetime
) -> list[str]:
    employee = scope.employees[0]
    lines = []
    for st in running_contests(session, settings, now=now, department_id=employee.department_id):
        if st.teams:
            continue
        place = next((r for r in st.rows if r.id == user_id), None)
        if place is not None:
            lines.append(place_line(st.contest.name, place.rank, len(st.rows)))
    return lines
