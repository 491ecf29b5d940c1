"""The team posts with the real reports on a small store, a controlled clock and a recording
sender: working days, weekends, holidays, DST, catch-up on start, restarts mid-posting."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from jobs import team
from jobs.delivery import TeamChat
from jobs.runner import run_job
from jobs.schedule import build_scheduler
from jobs.settings import ScheduleSettings
from kpi.calendar import WorkCalendar
from reports.morning import Post, morning_post
from tests.kpi_data import BERLIN, MSK, at, make_settings
from tests.unit.test_jobs_fakes import (
    BX,
    TG_A,
    TG_B,
    Clock,
    Crash,
    FakeSender,
    FakeSync,
    make_deps,
    minutes,
    seed,
    sent_by,
    synced_by,
)

TUESDAY = at(MSK, 2026, 3, 3, 9)


def posts(sender: FakeSender) -> list[tuple[str, Post]]:
    return [(s.to, s.payload) for s in sender.sent if s.kind == "post"]


async def test_a_working_morning_posts_once_to_every_team_chat(sqlite_engine: Engine) -> None:
    seed(sqlite_engine, synced=TUESDAY - minutes(5))
    clock = Clock(TUESDAY)
    deps = make_deps(sqlite_engine, clock)
    result = await run_job("morning", deps, now=clock(), scheduled=True)
    assert result.slot == "morning:2026-03-03"
    assert sorted(chat for _, chat in result.sent) == [TG_A.key, TG_B.key]
    sent = posts(sent_by(deps))
    assert [to for to, _ in sent] == [TG_A.key, TG_B.key]
    assert sent[0][1] is sent[1][1]  # built once, handed to both
    assert sent[0][1].kind == "morning"
    assert synced_by(deps).calls == []  # the data was fresh
    # fired again, run by hand, run by a catch-up: nothing new
    clock.set(TUESDAY + minutes(5))
    again = await run_job("morning", deps, now=clock(), scheduled=True)
    manual = await run_job("morning", deps, now=clock())
    assert again.sent == () and manual.sent == ()
    assert sorted(chat for _, chat in manual.already) == [TG_A.key, TG_B.key]
    assert len(sent_by(deps).sent) == 2
    # --force posts anyway
    forced = await run_job("morning", deps, now=clock(), force=True)
    assert len(forced.sent) == 2
    assert len(sent_by(deps).sent) == 4


async def test_one_build_per_scope_however_many_chats(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sqlite_engine, synced=TUESDAY)
    built: list[Any] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[2].name)
        return morning_post(*args, **kwargs)

    monkeypatch.setattr(team, "morning_post", counting)
    chats = (TeamChat(TG_A), TeamChat(TG_B), TeamChat(BX, department_id=2))
    deps = make_deps(sqlite_engine, Clock(TUESDAY), chats=chats)
    await run_job("morning", deps, now=TUESDAY, scheduled=True)
    assert built == ["Компания", "Продажи Москва"]
    sent = dict(posts(sent_by(deps)))
    assert sent[TG_A.key] is sent[TG_B.key]
    assert sent[BX.key] is not sent[TG_A.key]


async def test_weekends_and_holidays_get_no_post(sqlite_engine: Engine) -> None:
    seed(sqlite_engine, synced=at(MSK, 2026, 3, 7, 9))
    holiday_monday = at(MSK, 2026, 3, 9).date()
    calendar = WorkCalendar(
        weekdays=frozenset(range(5)),
        start=time(9),
        end=time(18),
        holidays=frozenset({holiday_monday}),
        extra_workdays=frozenset(),
        tz=MSK,
    )
    deps = make_deps(
        sqlite_engine, Clock(at(MSK, 2026, 3, 7, 9)), settings=make_settings(calendar=calendar)
    )
    for day in (7, 8, 9):  # Saturday, Sunday, the holiday Monday
        for job in ("morning", "weekly"):
            result = await run_job(job, deps, now=at(MSK, 2026, 3, day, 9), scheduled=True)
            assert result.skipped == "not a working day"
    assert sent_by(deps).sent == []
    # Tuesday is the week's first working day: the weekly summary instead of the morning post
    tuesday = at(MSK, 2026, 3, 10, 9)
    morning = await run_job("morning", deps, now=tuesday, scheduled=True)
    weekly = await run_job("weekly", deps, now=tuesday, scheduled=True)
    assert morning.skipped == "the weekly summary goes out today instead"
    assert weekly.slot == "weekly:2026-W11"
    assert [p.kind for _, p in posts(sent_by(deps))] == ["weekly", "weekly"]
    # on Wednesday the weekly job has nothing to do, the morning post is back
    wednesday = at(MSK, 2026, 3, 11, 9)
    assert (await run_job("weekly", deps, now=wednesday, scheduled=True)).skipped
    assert len((await run_job("morning", deps, now=wednesday, scheduled=True)).sent) == 2


async def test_monday_posts_the_weekly_summary_once_whoever_asks(sqlite_engine: Engine) -> None:
    monday = at(MSK, 2026, 3, 2, 9)
    seed(sqlite_engine, synced=monday)
    deps = make_deps(sqlite_engine, Clock(monday))
    assert (await run_job("morning", deps, now=monday, scheduled=True)).skipped
    assert len((await run_job("weekly", deps, now=monday, scheduled=True)).sent) == 2
    # by hand, "morning" on a Monday is the weekly summary: already out
    manual = await run_job("morning", deps, now=monday + minutes(30))
    assert manual.slot == "weekly:2026-W10" and manual.sent == ()
    # with the weekly job switched off, the morning job posts what the day calls for
    off = make_deps(
        sqlite_engine,
        Clock(monday),
        schedule=ScheduleSettings(disabled=frozenset({"weekly"})),
        chats=(TeamChat(BX),),
    )
    result = await run_job("morning", off, now=monday, scheduled=True)
    assert result.slot == "weekly:2026-W10" and len(result.sent) == 1


@pytest.mark.parametrize(("hour", "posted"), [(11, True), (13, False)])
async def test_a_start_within_the_grace_window_catches_the_morning_post_up(
    sqlite_engine: Engine, hour: int, posted: bool
) -> None:
    start = at(MSK, 2026, 3, 3, hour)
    seed(sqlite_engine, synced=start)
    clock = Clock(start)
    deps = make_deps(sqlite_engine, clock)
    sched = build_scheduler(deps)
    await sched.start(paused=True)
    await sched.idle()
    await sched.stop()
    assert sched.leading is False
    morning = [to for to, p in posts(sent_by(deps)) if p.kind == "morning"]
    assert morning == ([TG_A.key, TG_B.key] if posted else [])


async def test_a_restart_after_a_failed_chat_posts_to_that_chat_only(
    sqlite_engine: Engine,
) -> None:
    seed(sqlite_engine, synced=TUESDAY)
    sender = FakeSender(fail={TG_B.key})
    deps = make_deps(sqlite_engine, Clock(TUESDAY), sender=sender)
    first = await run_job("morning", deps, now=TUESDAY, scheduled=True)
    assert first.failed == (("2026-03-03", TG_B.key),)
    assert sender.recipients() == [TG_A.key]
    # the process restarts (new owner) at 09:20 and catches up; B is reachable again
    healthy = FakeSender()
    later = make_deps(sqlite_engine, Clock(TUESDAY + minutes(20)), sender=healthy)
    second = await run_job("morning", later, now=later.clock(), scheduled=True)
    assert healthy.recipients() == [TG_B.key]
    assert second.already == (("2026-03-03", TG_A.key),)
    third = await run_job("morning", later, now=later.clock(), scheduled=True)
    assert third.sent == () and healthy.recipients() == [TG_B.key]


async def test_a_crash_while_sending_never_posts_that_chat_twice(sqlite_engine: Engine) -> None:
    seed(sqlite_engine, synced=TUESDAY)
    sender = FakeSender(crash={TG_B.key})
    deps = make_deps(sqlite_engine, Clock(TUESDAY), sender=sender)
    with pytest.raises(Crash):
        await run_job("morning", deps, now=TUESDAY, scheduled=True)
    assert sender.recipients() == [TG_A.key]
    # restart: A has it, B may or may not have it (the process died mid-send): no duplicate
    healthy = FakeSender()
    later = make_deps(sqlite_engine, Clock(TUESDAY + minutes(1)), sender=healthy)
    result = await run_job("morning", later, now=later.clock(), scheduled=True)
    assert healthy.sent == []
    assert result.in_doubt == (("2026-03-03", TG_B.key),)
    assert "in doubt 1 (use --force)" in result.summary()
    forced = await run_job("morning", later, now=later.clock(), force=True)
    assert len(forced.sent) == 2


async def test_stale_data_is_synced_first(sqlite_engine: Engine) -> None:
    seed(sqlite_engine, synced=TUESDAY - minutes(120))
    clock = Clock(TUESDAY)
    sync = FakeSync(sqlite_engine, clock)
    deps = make_deps(sqlite_engine, clock, sync=sync)
    result = await run_job("morning", deps, now=TUESDAY, scheduled=True)
    assert sync.calls == [False]
    assert result.data_as_of == TUESDAY and not result.stale
    assert [s.kind for s in sent_by(deps).sent] == ["post", "post"]


async def test_when_the_sync_fails_the_post_says_how_old_its_data_is(
    sqlite_engine: Engine,
) -> None:
    seed(sqlite_engine, synced=TUESDAY - minutes(120))
    clock = Clock(TUESDAY)
    sync = FakeSync(sqlite_engine, clock, fail=True)
    deps = make_deps(sqlite_engine, clock, sync=sync)
    result = await run_job("morning", deps, now=TUESDAY, scheduled=True)
    assert sync.calls == [False]
    assert result.stale and len(result.sent) == 2
    sender = sent_by(deps)
    assert [(s.kind, s.to) for s in sender.sent] == [
        ("text", TG_A.key),
        ("post", TG_A.key),
        ("text", TG_B.key),
        ("post", TG_B.key),
    ]
    html, bb = sender.sent[0].payload
    assert "Данные на 07:00" in html and "[b]⚠️ Данные на 07:00" in bb


async def test_the_morning_slot_follows_local_time_across_dst(sqlite_engine: Engine) -> None:
    # Tuesday 2026-03-31, the second working day of summer time in Berlin (UTC+2)
    late = datetime(2026, 3, 31, 10, 30, tzinfo=UTC)  # 12:30 local: past the grace window
    seed(sqlite_engine, BERLIN, synced=late)
    deps = make_deps(sqlite_engine, Clock(late), settings=make_settings(BERLIN))
    skipped = await run_job("morning", deps, now=late, scheduled=True)
    assert skipped.skipped == "no fire time within its grace window"
    in_time = datetime(2026, 3, 31, 9, 30, tzinfo=UTC)  # 11:30 local
    result = await run_job("morning", deps, now=in_time, scheduled=True)
    assert result.slot == "morning:2026-03-31" and len(result.sent) == 2


async def test_the_posts_carry_their_charts(sqlite_engine: Engine) -> None:
    seed(sqlite_engine, synced=TUESDAY)
    deps = make_deps(sqlite_engine, Clock(TUESDAY), chats=(TeamChat(TG_A),), render=True)
    await run_job("morning", deps, now=TUESDAY, scheduled=True)
    [(_, post)] = posts(sent_by(deps))
    assert [r.name for r in post.reports] == ["rating", "missed", "plan"]
    assert all(r.png and r.png.startswith(b"\x89PNG") for r in post.reports)
    assert post.caption_html and post.caption_bb


async def test_two_schedulers_on_one_sqlite_store_post_once(sqlite_engine: Engine) -> None:
    start = at(MSK, 2026, 3, 3, 10)
    seed(sqlite_engine, synced=start)
    clock = Clock(start)
    first, second = make_deps(sqlite_engine, clock), make_deps(sqlite_engine, clock)
    one, two = build_scheduler(first), build_scheduler(second)
    await one.start(paused=True)
    await two.start(paused=True)
    await one.idle()
    await two.idle()
    assert (one.leading, two.leading) == (True, False)
    assert len(posts(sent_by(first))) == 2 and posts(sent_by(second)) == []
    # the leader stops cleanly: the standby's next tick takes over, with nothing to post
    await one.stop()
    await two.tick()  # its next leader tick
    await two.idle()
    assert two.leading and posts(sent_by(second)) == []
    await two.stop()
