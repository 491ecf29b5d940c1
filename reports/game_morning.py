"""Running contests in the morning post: one line per contest, the leader and the top 3.

Apart from ``reports.game_posts`` so that ``reports.morning`` can use it without a circle
(the contest posts reuse the morning post's ``Post``).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from kpi.contests import Standings, running_contests
from kpi.scope import Scope
from kpi.settings import KpiSettings
from locales import _
from reports.game_texts import quoted, value_text
from reports.markup import Block, b, block, line, phrase
from reports.text import Fmt, day, short


def contest_blocks(
    session: Session, settings: KpiSettings, scope: Scope, fmt: Fmt, *, now: datetime
) -> list[Block]:
    """The running contests this scope's chat may see (a department: its own tree's)."""
    department = scope.id if scope.kind == "department" else None
    found = running_contests(session, settings, now=now, department_id=department, wider=False)
    return morning_blocks(found, fmt)


def morning_blocks(contests: list[Standings], fmt: Fmt) -> list[Block]:
    """One short block per running contest for the morning post: the leader and the top 3."""
    blocks = []
    for st in contests:
        lead = st.leader
        end = day(st.contest.end_day, year=False)
        title = phrase(_("🏁 {name} до {end}: "), name=b(quoted(st.contest.name)), end=end)
        if lead is None:
            blocks.append(block(title + line(_("результатов пока нет"))))
            continue
        tops = ", ".join(
            f"{r.rank}. {short(r.name)} {value_text(st.contest.metric, r.value, fmt)}"
            for r in st.rows[:3]
        )
        blocks.append(block(title + line(tops)))
    return blocks
