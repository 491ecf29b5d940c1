"""Personal alerts and celebrations on a small store: each reaches exactly the right people.

The team (``tests.kpi_data.team``): Anna 10 (dept 1, Telegram), Boris 11 (dept 2, Telegram,
head of dept 2), Vera 12 (dept 2, no chat), Gleb 13 (dept 3, not sales, Telegram); Olga 30
heads dept 1 (Bitrix24 dialog). Tuesday 2026-03-17, Moscow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.delivery import TeamChat
from jobs.runner import run_job
from jobs.settings import ScheduleSettings
from kpi.settings import PlanBook
from store.models import Call, Deal, Task
from tests.kpi_data import MSK, Data, at, make_settings, team
from tests.unit.test_jobs_fakes import (
    BX,
    TG_A,
    Clock,
    FakeSync,
    make_deps,
    minutes,
    sent_by,
    stamp,
)

ANNA, BORIS, OLGA, GLEB = "telegram:1010", "telegram:1011", "bitrix:30", "telegram:1013"
PLANS = PlanBook(
    departments={1: {"month": {"calls": Decimal(100)}}},
    employees={11: {"month": {"calls": Decimal(10)}}},
)


def day(hour: int, minute: int = 0) -> datetime:
    return at(MSK, 2026, 3, 17, hour, minute)


def write(engine: Engine, data: Data) -> None:
    with Session(engine) as session:
        data.write(session)


def missed(data: Data, user: int | None, phone: str, when: datetime) -> None:
    data.add(Call, user_id=user, call_type=2, phone_raw=phone, failed_code="304", start_at=when)


async def test_pace_notes_go_to_the_laggards_and_one_summary_to_each_head(
    sqlite_engine: Engine,
) -> None:
    data = Data()
    team(data)
    for n in range(6):  # Boris: 6 calls of his 10 by mid-month (5.2 expected): on track
        data.add(Call, user_id=11, call_type=1, phone_raw="79031112233", duration=30,
                 start_at=at(MSK, 2026, 3, 16, 10, n))  # fmt: skip
    write(sqlite_engine, data)
    stamp(sqlite_engine, day(13))
    deps = make_deps(sqlite_engine, Clock(day(13)), settings=make_settings(plans=PLANS))
    result = await run_job("pace", deps, now=day(13), scheduled=True)
    assert result.slot == "2026-03-17T13:00"
    sender = sent_by(deps)
    assert sorted(sender.recipients()) == sorted([ANNA, OLGA, BORIS])
    [note] = sender.texts(ANNA)
    assert "Темп на 13:00" in note and "Звонки: <b>0</b> из 52 к этому часу (план 100)" in note
    [olga] = sender.texts(OLGA)
    assert "Продажи" in olga and "2 из 3" in olga
    assert "Anna Orlova" in olga and "Vera Sidorova" in olga and "Boris" not in olga
    [boris] = sender.texts(BORIS)
    assert "Продажи Москва" in boris and "1 из 2" in boris and "Vera Sidorova" in boris
    # the same check fired again sends nothing; the 16:00 check is a new slot
    again = await run_job("pace", deps, now=day(13, 10), scheduled=True)
    assert again.skipped == "delivered already"
    stamp(sqlite_engine, day(16))
    later = await run_job("pace", deps, now=day(16), scheduled=True)
    assert later.slot == "2026-03-17T16:00" and len(later.sent) == 3


async def test_missed_calls_chase_the_employee_then_the_head(sqlite_engine: Engine) -> None:
    data = Data()
    team(data)
    missed(data, 10, "79161234567", day(10))  # Anna: never called back
    missed(data, 11, "79031112233", day(10))  # Boris: Vera calls back at 10:20
    data.add(Call, user_id=12, call_type=1, phone_raw="89031112233", duration=40,
             start_at=day(10, 20))  # fmt: skip
    missed(data, None, "74951234567", day(10, 10))  # nobody took it: the sales heads
    missed(data, 11, "79250000001", day(10, 15))  # Boris, head of dept 2: goes up to Olga
    missed(data, 12, "79998887766", day(10))  # Vera has no chat; her head is Boris
    missed(data, 13, "79990001122", day(10))  # Gleb is not in sales: nobody
    missed(data, 10, "", day(10))  # a hidden number cannot be called back
    write(sqlite_engine, data)
    clock = Clock(day(10, 50))
    deps = make_deps(sqlite_engine, clock, settings=make_settings(plans=PLANS))
    sender = sent_by(deps)

    async def check(hour: int, minute: int) -> list[str]:
        clock.set(day(hour, minute))
        stamp(sqlite_engine, clock())
        before = len(sender.sent)
        await run_job("missed", deps, now=clock(), scheduled=True)
        return sorted(sender.recipients()[before:])

    assert await check(10, 50) == []  # an hour has not passed yet
    assert await check(11, 5) == [ANNA]
    assert "+7 916 123-45-67" in sender.texts(ANNA)[0]
    assert await check(11, 20) == [BORIS]  # his 10:15 call
    assert await check(12, 5) == [OLGA, BORIS]  # Vera's call to Boris, Anna's to Olga
    assert "Vera Sidorova" in sender.texts(BORIS)[-1]
    assert "Anna Orlova" in sender.texts(OLGA)[0]
    assert await check(12, 20) == [OLGA, OLGA]  # the unanswered 10:10 and Boris's 10:15
    assert await check(13, 0) == []  # everything told once
    assert GLEB not in sender.recipients()


async def test_a_missed_call_alert_needs_data_that_proves_it(sqlite_engine: Engine) -> None:
    data = Data()
    team(data)
    missed(data, 10, "79161234567", day(10))
    write(sqlite_engine, data)
    stamp(sqlite_engine, day(10, 50))
    clock = Clock(day(11, 5))
    deps = make_deps(sqlite_engine, clock, sync=FakeSync(sqlite_engine, clock, fail=True))
    # the sync fails: the data ends at 10:50, too early to know about a callback by 11:00
    result = await run_job("missed", deps, now=clock(), scheduled=True)
    assert result.sent == () and sent_by(deps).sent == []
    # quiet hours hold alerts back; a request does not wait for them
    late = make_deps(sqlite_engine, Clock(day(22)))
    stamp(sqlite_engine, day(22))
    assert (await run_job("missed", late, now=day(22), scheduled=True)).skipped == "quiet hours"
    assert (await run_job("missed", late, now=day(22))).sent == (
        ("20260317T070000/79161234567/employee", ANNA),
        ("20260317T070000/79161234567/head", OLGA),
    )


async def test_each_employee_gets_their_own_overdue_tasks(sqlite_engine: Engine) -> None:
    data = Data()
    team(data)
    data.add(
        Task,
        id=1,
        title="Счёт для Ромашки",
        responsible_id=10,
        deadline=day(10) - timedelta(days=7),
    )
    data.add(
        Task,
        id=2,
        title="Позвонить в Лютик",
        responsible_id=10,
        deadline=day(9, 30) - timedelta(days=1),
    )
    data.add(Task, id=3, title="Будущая", responsible_id=10, deadline=day(18) + timedelta(days=3))
    data.add(
        Task,
        id=4,
        title="Сделана",
        responsible_id=10,
        status=5,
        deadline=day(9) - timedelta(days=9),
    )
    data.add(Task, id=5, title="У Веры", responsible_id=12, deadline=day(8))
    data.add(Task, id=6, title="У Глеба", responsible_id=13, deadline=day(8))
    write(sqlite_engine, data)
    stamp(sqlite_engine, day(9, 30))
    deps = make_deps(sqlite_engine, Clock(day(9, 30)))
    result = await run_job("overdue", deps, now=day(9, 30), scheduled=True)
    assert result.sent == (("2026-03-17", ANNA),)
    [digest] = sent_by(deps).texts(ANNA)
    assert "Просроченные задачи: 2" in digest
    assert "Счёт для Ромашки" in digest and "Позвонить в Лютик" in digest
    assert "/company/personal/user/10/tasks/task/view/1/" in digest
    assert "Будущая" not in digest and "Сделана" not in digest
    again = await run_job("overdue", deps, now=day(10), scheduled=True)
    assert again.skipped == "delivered already"


async def test_big_deals_and_met_plans_are_celebrated_once_in_their_team_chats(
    sqlite_engine: Engine,
) -> None:
    data = Data()
    team(data)
    won = {"stage_semantics": "S", "stage_id": "WON", "closed": True}
    data.add(Deal, id=1, title="Ромашка", responsible_id=10, amount=Decimal(500_000),
             close_date=day(9).date(), **won)  # fmt: skip
    data.add(Deal, id=2, title="Мелочь", responsible_id=10, amount=Decimal(50_000),
             close_date=day(9).date(), **won)  # fmt: skip
    data.add(Deal, id=3, title="Давняя", responsible_id=12, amount=Decimal(200_000),
             close_date=at(MSK, 2026, 3, 1).date(), **won)  # fmt: skip
    data.add(Deal, id=4, title="Лютик", responsible_id=11, amount=Decimal(150_000),
             close_date=at(MSK, 2026, 3, 16).date(), **won)  # fmt: skip
    data.add(Deal, id=5, title="В работе", responsible_id=11, amount=Decimal(1_000_000))
    for n in range(10):  # Boris meets his plan of 10 calls
        data.add(Call, user_id=11, call_type=1, phone_raw="79031112233", duration=30,
                 start_at=at(MSK, 2026, 3, 16, 10, n))  # fmt: skip
    write(sqlite_engine, data)
    stamp(sqlite_engine, day(12))
    schedule = ScheduleSettings(celebrate_amount=Decimal(100_000))
    chats = (TeamChat(TG_A), TeamChat(BX, department_id=2))
    deps = make_deps(
        sqlite_engine, Clock(day(12)), settings=make_settings(plans=PLANS), schedule=schedule,
        chats=chats,
    )  # fmt: skip
    result = await run_job("celebrate", deps, now=day(12), scheduled=True)
    assert sorted(result.sent) == [
        ("deal:1", TG_A.key),
        ("deal:4", BX.key),
        ("deal:4", TG_A.key),
        ("plan:month:2026-03-01:11:calls", BX.key),
        ("plan:month:2026-03-01:11:calls", TG_A.key),
    ]
    texts = sent_by(deps).texts(TG_A.key)
    assert any("Ромашка" in t and "500\u202f000\u00a0₽" in t for t in texts)
    assert any("Boris Petrov" in t and "звонки" in t for t in texts)
    again = await run_job("celebrate", deps, now=day(12) + minutes(15), scheduled=True)
    assert again.sent == () and len(again.already) == 5
