"""The contest job with the real figures on a small store, a controlled clock and a recording
sender: the start once, a new leader at most once an hour, the result once the morning after
the end with the podium, nudges at the pace-check times only and never in quiet hours, and
nothing in a chat that may not see the contest."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.delivery import Recipient, TeamChat
from jobs.runner import run_job
from store.game_models import Contest
from store.models import Call
from tests.kpi_data import MSK, Data, at
from tests.unit.test_jobs_fakes import TG_A, Clock, FakeSender, make_deps, seed, stamp

OUTSIDE = Recipient("telegram", "-1003")  # the chat of department 3, outside the contest
PEOPLE_10 = "telegram:1010"


def calls(engine: Engine, user: int, count: int, when: datetime, first_id: int) -> None:
    data = Data()
    for n in range(count):
        data.add(Call, id=first_id + n, user_id=user, call_type=1, phone_raw="79030000000",
                 duration=60, failed_code="200", start_at=when)  # fmt: skip
    with Session(engine) as session:
        for row in data[Call]:
            session.add(Call(**row))
        session.commit()


def start_contest(engine: Engine, **extra: object) -> int:
    with Session(engine) as session:
        contest = Contest(
            name="Неделя звонков",
            metric="calls",
            start_day=date(2026, 3, 2),
            end_day=date(2026, 3, 6),
            created_at=at(MSK, 2026, 3, 2, 8),
            prize="Ужин",
            **extra,
        )
        session.add(contest)
        session.commit()
        assert contest.id is not None
        return contest.id


def texts(sender: FakeSender, key: str) -> list[str]:
    return [s.payload[0] for s in sender.sent if s.to == key and s.kind == "text"]


async def run(
    engine: Engine, moment: datetime, sender: FakeSender, *, scheduled: bool = True
) -> None:
    clock = Clock(moment)
    stamp(engine, moment)
    chats = (TeamChat(TG_A), TeamChat(OUTSIDE, department_id=3))
    deps = make_deps(engine, clock, chats=chats, sender=sender)
    await run_job("contests", deps, now=moment, scheduled=scheduled)


async def test_start_leader_result_each_once_and_only_where_allowed(store_engine: Engine) -> None:
    seed(store_engine)
    start_contest(store_engine)
    sender = FakeSender()
    await run(store_engine, at(MSK, 2026, 3, 2, 9, 30), sender)
    await run(store_engine, at(MSK, 2026, 3, 2, 9, 45), sender)
    starts = texts(sender, TG_A.key)
    assert len(starts) == 1 and "Стартовал конкурс" in starts[0] and "Ужин" in starts[0]
    assert sender.to(OUTSIDE.key) == []  # department 3's chat sees no company contest

    # Anna (10) leads from the start (seed's call, then the name): no "new leader" post.
    # Vera (12) overtakes at 10:00, within the hour of the start post: not yet...
    calls(store_engine, 12, 9, at(MSK, 2026, 3, 2, 10), 100)
    await run(store_engine, at(MSK, 2026, 3, 2, 10, 15), sender)
    assert len(texts(sender, TG_A.key)) == 1
    # ...after it, once.
    await run(store_engine, at(MSK, 2026, 3, 2, 10, 35), sender)
    await run(store_engine, at(MSK, 2026, 3, 2, 10, 50), sender)
    leader = texts(sender, TG_A.key)[1:]
    assert len(leader) == 1 and "Новый лидер" in leader[0] and "1. <b>Vera" in leader[0]
    # Anna takes it back at 10:40: not within the hour of the last post, then once.
    calls(store_engine, 10, 15, at(MSK, 2026, 3, 2, 10, 40), 200)
    await run(store_engine, at(MSK, 2026, 3, 2, 11, 5), sender)
    assert len(texts(sender, TG_A.key)) == 2
    await run(store_engine, at(MSK, 2026, 3, 2, 11, 40), sender)
    await run(store_engine, at(MSK, 2026, 3, 2, 11, 55), sender)
    later = texts(sender, TG_A.key)[2:]
    assert len(later) == 1 and "1. <b>Anna" in later[0]

    # The result: not on the last day, not before the morning post, then once.
    await run(store_engine, at(MSK, 2026, 3, 6, 17), sender)
    await run(store_engine, at(MSK, 2026, 3, 9, 8, 30), sender, scheduled=False)
    assert [s for s in sender.sent if s.kind == "post"] == []
    await run(store_engine, at(MSK, 2026, 3, 9, 9, 15), sender)
    await run(store_engine, at(MSK, 2026, 3, 9, 9, 30), sender)
    results = [s for s in sender.sent if s.kind == "post"]
    assert [s.to for s in results] == [TG_A.key]
    caption = results[0].payload.caption_html
    assert "Итоги конкурса" in caption and "🥇 <b>Anna" in caption and "🥈 <b>Vera" in caption
    assert sender.to(OUTSIDE.key) == []


async def test_a_department_contest_reaches_that_department_chat(store_engine: Engine) -> None:
    seed(store_engine)
    start_contest(store_engine, department_id=2)
    sender = FakeSender()
    clock = Clock(at(MSK, 2026, 3, 2, 9, 30))
    stamp(store_engine, clock.now)
    dept2 = Recipient("telegram", "-1002")
    chats = (TeamChat(dept2, department_id=2), TeamChat(OUTSIDE, department_id=3))
    deps = make_deps(store_engine, clock, chats=chats, sender=sender)
    await run_job("contests", deps, now=clock.now, scheduled=True)
    assert len(texts(sender, dept2.key)) == 1
    assert sender.to(OUTSIDE.key) == []


async def test_nudges_go_at_pace_times_only_and_never_in_quiet_hours(
    store_engine: Engine,
) -> None:
    seed(store_engine)
    start_contest(store_engine)
    calls(store_engine, 12, 4, at(MSK, 2026, 3, 3, 10), 300)
    calls(store_engine, 11, 3, at(MSK, 2026, 3, 3, 10), 400)
    calls(store_engine, 10, 1, at(MSK, 2026, 3, 3, 10), 500)
    sender = FakeSender()
    await run(store_engine, at(MSK, 2026, 3, 3, 12, 30), sender)  # not a pace time
    assert texts(sender, PEOPLE_10) == []
    await run(store_engine, at(MSK, 2026, 3, 3, 13, 5), sender)  # the 13:00 check
    await run(store_engine, at(MSK, 2026, 3, 3, 13, 15), sender)
    nudges = texts(sender, PEOPLE_10)
    # Anna has 2 calls (one in the seed), Boris and Vera 4 each (Boris first by name):
    # 3 more and she passes Vera, the one right above her
    assert len(nudges) == 1
    assert "на 3-м месте" in nudges[0] and "<b>3\xa0звонка</b>" in nudges[0]
    assert "будете выше, чем Vera Sidorova (сейчас 2-е место)" in nudges[0]
    # Boris leads, Vera is nudged too (ties: 1 more passes him); Boris is not nudged
    assert len(texts(sender, "telegram:1011")) == 0
    # 21:05 is in quiet hours: even asked for, no nudge goes out
    await run(store_engine, at(MSK, 2026, 3, 3, 21, 5), sender, scheduled=False)
    assert len(texts(sender, PEOPLE_10)) == 1


def test_the_result_carries_a_podium_image(store_engine: Engine) -> None:
    from kpi.contests import standings
    from reports.game_posts import result_post
    from reports.text import Fmt
    from tests.kpi_data import make_settings

    seed(store_engine)
    contest_id = start_contest(store_engine)
    now = at(MSK, 2026, 3, 9, 10)
    with Session(store_engine) as session:
        contest = session.get(Contest, contest_id)
        assert contest is not None
        st = standings(session, contest, make_settings(), now=now)
    post = result_post(st, Fmt(MSK, now), now=now, render=True)
    (report,) = post.reports
    assert report.png is not None and report.png.startswith(b"\x89PNG")
    assert post.key == f"contest:{contest_id}:result" and st.status == "finished"


def test_the_morning_post_carries_the_standings_a_chat_may_see(store_engine: Engine) -> None:
    from kpi.scope import company_scope, department_scope
    from reports.morning import morning_post
    from tests.kpi_data import make_settings

    seed(store_engine)
    start_contest(store_engine)
    calls(store_engine, 12, 3, at(MSK, 2026, 3, 3, 10), 600)
    settings = make_settings()
    now = at(MSK, 2026, 3, 4, 9)  # Wednesday: the daily morning post
    with Session(store_engine) as session:
        company = morning_post(session, settings, company_scope(session, settings), now=now,
                               render=False)  # fmt: skip
        moscow = morning_post(session, settings, department_scope(session, settings, 2),
                              now=now, render=False)  # fmt: skip
    assert "🏁 <b>«Неделя звонков»</b> до 06.03: 1. Vera Sidorova 3" in company.caption_html
    assert "Неделя звонков" not in moscow.caption_html  # a company contest: not in a department


def test_a_result_without_its_podium_still_reads_as_a_table(store_engine: Engine) -> None:
    from bot.bitrix.attach import reports_attach
    from kpi.contests import standings
    from reports.game_posts import result_post
    from reports.text import Fmt
    from tests.kpi_data import make_settings

    seed(store_engine)
    contest_id = start_contest(store_engine)
    calls(store_engine, 12, 3, at(MSK, 2026, 3, 3, 10), 700)
    now = at(MSK, 2026, 3, 9, 10)
    with Session(store_engine) as session:
        contest = session.get(Contest, contest_id)
        assert contest is not None
        st = standings(session, contest, make_settings(), now=now)
    (report,) = result_post(st, Fmt(MSK, now), now=now, render=False).reports
    grid = str(reports_attach([report]))
    assert report.png is None and "Vera Sidorova" in grid and "Итоги" in report.title


async def test_a_stopped_contest_gets_its_result_the_next_morning_once(
    store_engine: Engine,
) -> None:
    from store.game_models import stop_contest

    seed(store_engine)
    contest_id = start_contest(store_engine)
    stopped_early = start_contest(store_engine)  # stopped before it began: no result at all
    with Session(store_engine) as session:
        stop_contest(session, contest_id, at(MSK, 2026, 3, 4, 15))
        stop_contest(session, stopped_early, at(MSK, 2026, 3, 1, 15))
    sender = FakeSender()
    await run(store_engine, at(MSK, 2026, 3, 4, 16), sender)  # the day it stopped: not yet
    assert [s for s in sender.sent if s.kind == "post"] == []
    await run(store_engine, at(MSK, 2026, 3, 5, 9, 15), sender)
    await run(store_engine, at(MSK, 2026, 3, 5, 9, 30), sender)
    results = [s.payload.key for s in sender.sent if s.kind == "post"]
    assert results == [f"contest:{contest_id}:result"]
