"""The streak and badge jobs on a small store: each piece of news once, in the chats allowed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.delivery import Recipient, TeamChat
from jobs.game_settings import GameSettings
from jobs.runner import run_job
from kpi.settings import PlanBook
from store.game_models import BadgeAward, StreakRecord
from store.models import Call
from tests.kpi_data import MSK, Data, at, make_settings, team
from tests.unit.test_jobs_fakes import TG_A, Clock, FakeSender, make_deps, stamp

OUTSIDE = Recipient("telegram", "-1003")  # department 3's chat: Anna is not theirs
# March 2026 has 22 working days: a month plan of 22 calls is one call a day.
SETTINGS = make_settings(plans=PlanBook(departments={1: {"month": {"calls": Decimal(22)}}}))
ANNA_DAYS = (2, 3, 4, 5, 6, 9, 10)  # seven working days in a row, then nothing on the 11th


def store(engine: Engine, *, per_day: int = 1) -> None:
    data = Data()
    team(data)
    n = 0
    for day in ANNA_DAYS:
        for _ in range(per_day):
            n += 1
            when = at(MSK, 2026, 3, day, 11)
            data.add(Call, id=n, user_id=10, call_type=1, phone_raw="79030000000",
                     duration=60, failed_code="200", start_at=when)  # fmt: skip
    with Session(engine) as session:
        data.write(session)


async def run(
    engine: Engine, job: str, moment: datetime, sender: FakeSender, **game: object
) -> None:
    clock = Clock(moment)
    stamp(engine, moment)
    chats = (TeamChat(TG_A), TeamChat(OUTSIDE, department_id=3))
    deps = make_deps(engine, clock, settings=SETTINGS, chats=chats, sender=sender)
    deps.game = replace(GameSettings(), **game)  # type: ignore[arg-type]
    await run_job(job, deps, now=moment, scheduled=True)


def texts(sender: FakeSender, key: str) -> list[str]:
    return [s.payload[0] for s in sender.sent if s.to == key and s.kind == "text"]


async def test_a_record_and_a_broken_streak_are_announced_once(store_engine: Engine) -> None:
    store(store_engine)
    sender = FakeSender()
    await run(store_engine, "streaks", at(MSK, 2026, 3, 11, 9, 15), sender)
    await run(store_engine, "streaks", at(MSK, 2026, 3, 11, 10, 15), sender)
    (record,) = texts(sender, TG_A.key)
    assert "Личный рекорд" in record and "Anna Orlova" in record and "7\xa0дней" in record
    with Session(store_engine) as session:
        kept = session.execute(select(StreakRecord)).scalars().all()
    assert [(r.employee_id, r.metric, r.best) for r in kept] == [(10, "calls", 7)]
    # Wednesday the 11th went by without a call: the seven-day streak is broken, once
    await run(store_engine, "streaks", at(MSK, 2026, 3, 12, 9, 15), sender)
    await run(store_engine, "streaks", at(MSK, 2026, 3, 12, 11, 0), sender)
    broken = texts(sender, TG_A.key)[1:]
    assert len(broken) == 1 and "Серия прервалась" in broken[0] and "7\xa0дней" in broken[0]
    assert sender.to(OUTSIDE.key) == []


async def test_a_short_break_is_no_news(store_engine: Engine) -> None:
    store(store_engine)
    sender = FakeSender()
    await run(store_engine, "streaks", at(MSK, 2026, 3, 12, 9, 15), sender, broken_streak_days=8)
    assert [t for t in texts(sender, TG_A.key) if "прервалась" in t] == []


async def test_a_badge_is_stored_and_announced_once_with_its_card(store_engine: Engine) -> None:
    store(store_engine, per_day=3)
    sender = FakeSender()
    moment = at(MSK, 2026, 3, 10, 15, 10)
    await run(store_engine, "badges", moment, sender, badges=("calls_day",), calls_per_day=3)
    await run(store_engine, "badges", moment, sender, badges=("calls_day",), calls_per_day=3)
    with Session(store_engine) as session:
        awards = session.execute(select(BadgeAward)).scalars().all()
    # today (the 10th) and the last finished working day (the 9th), each once
    assert sorted(a.period for a in awards) == ["2026-03-09", "2026-03-10"]
    posts = [s for s in sender.sent if s.kind == "post"]
    assert [p.to for p in posts] == [TG_A.key, TG_A.key]
    caption = posts[0].payload.caption_html
    assert "Сотня звонков" in caption and "Anna Orlova" in caption
    assert sender.to(OUTSIDE.key) == []


async def test_many_badges_of_one_kind_go_out_as_one_message_once(store_engine: Engine) -> None:
    from store.models import User

    data = Data()
    team(data)
    for uid in (20, 21):
        data.add(User, id=uid, first_name="New", last_name=f"Hire{uid}", department_ids=[1])
    n = 0
    for uid in (10, 11, 12, 20):
        for _ in range(3):
            n += 1
            when = at(MSK, 2026, 3, 10, 11)
            data.add(Call, id=n, user_id=uid, call_type=1, phone_raw="79030000000",
                     duration=60, failed_code="200", start_at=when)  # fmt: skip
    with Session(store_engine) as session:
        data.write(session)
    sender = FakeSender()
    moment = at(MSK, 2026, 3, 10, 15, 10)
    rules = {"badges": ("calls_day",), "calls_per_day": 3}
    await run(store_engine, "badges", moment, sender, **rules)
    await run(store_engine, "badges", moment, sender, **rules)
    (group,) = texts(sender, TG_A.key)
    assert "Получают 4" in group and "Hire20" in group and "Anna Orlova" in group
    assert [s for s in sender.sent if s.kind == "post"] == []
    # a fifth earns it later the same day: a card of their own, the four are not repeated
    more = Data()
    for k in range(3):
        more.add(Call, id=100 + k, user_id=21, call_type=1, phone_raw="79030000000",
                 duration=60, failed_code="200", start_at=at(MSK, 2026, 3, 10, 16))  # fmt: skip
    with Session(store_engine) as session:
        more.write(session)
    await run(store_engine, "badges", at(MSK, 2026, 3, 10, 17, 10), sender, **rules)
    posts = [s for s in sender.sent if s.kind == "post"]
    assert len(posts) == 1 and "Hire21" in posts[0].payload.caption_html
    assert len(texts(sender, TG_A.key)) == 1
