"""Fire times, grace windows, slot keys and the APScheduler registration, with no waiting:
triggers are asked for their next fire times at chosen instants."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.engine import Engine

from jobs.runner import JobError, due_fire, gate, run_job
from jobs.schedule import build_scheduler
from jobs.settings import DEFAULT_CRON, QuietHours, ScheduleError, ScheduleSettings
from jobs.slots import check_slot, day_slot, fires, latest_fire, next_fire, week_slot
from tests.kpi_data import BERLIN, MSK, at, make_settings
from tests.unit.test_jobs_fakes import Clock, make_deps

MORNING = DEFAULT_CRON["morning"]


def test_morning_fires_on_working_days_only() -> None:
    friday = at(MSK, 2026, 3, 6, 10)
    assert next_fire(MORNING, MSK, friday) == at(MSK, 2026, 3, 9, 9)  # Monday
    week = fires(MORNING, MSK, at(MSK, 2026, 3, 1), at(MSK, 2026, 3, 8, 23))
    assert [f.day for f in week] == [2, 3, 4, 5, 6]
    assert all(f.hour == 9 and f.minute == 0 for f in week)


def test_morning_stays_at_nine_local_across_the_spring_dst_change() -> None:
    # Berlin moves from UTC+1 to UTC+2 on Sunday 2026-03-29
    found = fires(MORNING, BERLIN, at(BERLIN, 2026, 3, 26, 12), at(BERLIN, 2026, 3, 31, 12))
    assert [f.astimezone(UTC) for f in found] == [
        datetime(2026, 3, 27, 8, tzinfo=UTC),
        datetime(2026, 3, 30, 7, tzinfo=UTC),
        datetime(2026, 3, 31, 7, tzinfo=UTC),
    ]
    assert [(f.hour, f.minute) for f in found] == [(9, 0)] * 3


def test_a_fire_in_the_autumn_fold_happens_twice_but_is_one_slot() -> None:
    # 02:30 happens twice on 2026-10-25 in Berlin; APScheduler fires at both
    found = fires("30 2 * * *", BERLIN, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 25, 12))
    assert len(found) == 2
    assert found[1] - found[0] == timedelta(0)  # equal wall times...
    assert found[1].astimezone(UTC) - found[0].astimezone(UTC) == timedelta(
        hours=1
    )  # ...1 h apart
    assert {check_slot(f) for f in found} == {"2026-10-25T02:30"}
    assert {day_slot(f.date()) for f in found} == {"2026-10-25"}


def test_grace_is_measured_in_real_time() -> None:
    grace = timedelta(hours=3)
    assert latest_fire(MORNING, MSK, at(MSK, 2026, 3, 2, 11), grace) == at(MSK, 2026, 3, 2, 9)
    assert latest_fire(MORNING, MSK, at(MSK, 2026, 3, 2, 12), grace) == at(MSK, 2026, 3, 2, 9)
    assert latest_fire(MORNING, MSK, at(MSK, 2026, 3, 2, 12, 0, 1), grace) is None
    assert latest_fire(MORNING, MSK, at(MSK, 2026, 3, 2, 8, 59), grace) is None
    # on the first Monday of summer time 12:30 local is 10:30 UTC: outside
    monday = datetime(2026, 3, 30, 10, 30, tzinfo=UTC)
    assert latest_fire(MORNING, BERLIN, monday, grace) is None
    assert latest_fire(MORNING, BERLIN, monday - timedelta(hours=1), grace) == at(
        BERLIN, 2026, 3, 30, 9
    )


def test_slot_keys() -> None:
    assert day_slot(at(MSK, 2026, 3, 2).date()) == "2026-03-02"
    assert week_slot(at(MSK, 2026, 3, 8).date()) == "2026-W10"
    assert week_slot(at(MSK, 2026, 3, 9).date()) == "2026-W11"
    assert check_slot(at(MSK, 2026, 3, 2, 13)) == "2026-03-02T13:00"


def test_quiet_hours() -> None:
    night = QuietHours.parse("21:00-08:00")
    assert night == QuietHours(time(21), time(8))
    assert night.contains(at(MSK, 2026, 3, 2, 22))
    assert night.contains(at(MSK, 2026, 3, 2, 7, 59))
    assert not night.contains(at(MSK, 2026, 3, 2, 8))
    assert not night.contains(at(MSK, 2026, 3, 2, 20, 59))
    lunch = QuietHours.parse("13:00-14:00")
    assert lunch is not None and lunch.contains(at(MSK, 2026, 3, 2, 13, 30))
    assert QuietHours.parse("") is None
    with pytest.raises(ScheduleError, match="quiet_hours"):
        QuietHours.parse("21-8")


def test_schedule_settings_are_checked() -> None:
    with pytest.raises(ScheduleError, match="unknown job 'evening'"):
        ScheduleSettings(disabled=frozenset({"evening"}))
    with pytest.raises(ScheduleError, match=r"schedule\.morning"):
        ScheduleSettings(cron={"morning": "0 25 * * *"})
    partial = ScheduleSettings(cron={"morning": "30 8 * * mon-fri"}, disabled=frozenset({"pace"}))
    assert partial.cron_of("morning") == "30 8 * * mon-fri"
    assert partial.cron_of("overdue") == DEFAULT_CRON["overdue"]
    assert not partial.enabled("pace")
    assert not ScheduleSettings(cron={"celebrate": ""}).enabled("celebrate")


def test_the_scheduler_registers_every_enabled_job_with_safe_options(
    sqlite_engine: Engine,
) -> None:
    clock = Clock(at(MSK, 2026, 3, 6, 10))
    schedule = ScheduleSettings(disabled=frozenset({"celebrate"}))
    sched = build_scheduler(make_deps(sqlite_engine, clock, schedule=schedule))
    jobs = {job.id: job for job in sched.jobs()}
    expected = {"sync", "full_sync", "morning", "weekly", "pace", "missed", "overdue"}
    expected |= {"contests", "streaks", "badges"}
    assert set(jobs) == expected | {"leader", "retry"}
    for name in expected:
        job = jobs[name]
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == int(schedule.grace_of(name).total_seconds())
        assert str(job.trigger.timezone) == "Europe/Moscow"
    assert jobs["morning"].misfire_grace_time == 3 * 3600  # until noon, not 1 s
    nxt = sched.next_fire_times(clock() + timedelta(minutes=1))
    assert nxt["morning"] == at(MSK, 2026, 3, 9, 9)
    assert nxt["pace"] == at(MSK, 2026, 3, 6, 13)
    assert nxt["full_sync"] == at(MSK, 2026, 3, 7, 2, 30)
    assert nxt["sync"] == at(MSK, 2026, 3, 6, 10, 5)


def test_scheduled_runs_wait_for_working_time(sqlite_engine: Engine) -> None:
    holiday = at(MSK, 2026, 3, 9).date()
    settings = make_settings(
        calendar=make_settings().calendar.__class__(
            weekdays=frozenset(range(5)),
            start=time(9),
            end=time(18),
            holidays=frozenset({holiday}),
            extra_workdays=frozenset(),
            tz=MSK,
        )
    )
    deps = make_deps(sqlite_engine, Clock(at(MSK, 2026, 3, 2)), settings=settings)
    assert gate("morning", deps, at(MSK, 2026, 3, 7, 9)) == "not a working day"  # Saturday
    assert gate("morning", deps, at(MSK, 2026, 3, 9, 9)) == "not a working day"  # holiday
    assert gate("missed", deps, at(MSK, 2026, 3, 2, 22)) == "quiet hours"
    assert gate("morning", deps, at(MSK, 2026, 3, 2, 9)) == ""
    assert gate("sync", deps, at(MSK, 2026, 3, 7, 3)) == ""  # syncs run any time
    # a request runs now and serves the latest fire of today (or none before the first)
    assert due_fire("pace", deps, at(MSK, 2026, 3, 2, 17), scheduled=False) == at(
        MSK, 2026, 3, 2, 16
    )
    assert due_fire("pace", deps, at(MSK, 2026, 3, 2, 11), scheduled=False) is None
    assert due_fire("pace", deps, at(MSK, 2026, 3, 2, 14, 30), scheduled=True) is None


async def test_unknown_jobs_and_naive_times_are_refused(sqlite_engine: Engine) -> None:
    deps = make_deps(sqlite_engine, Clock(at(MSK, 2026, 3, 2)))
    with pytest.raises(JobError, match="unknown job 'evening'; jobs: sync"):
        await run_job("evening", deps, now=at(MSK, 2026, 3, 2))
    with pytest.raises(JobError, match="naive"):
        await run_job("morning", deps, now=datetime(2026, 3, 2, 9))  # noqa: DTZ001
