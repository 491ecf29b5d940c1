"""Several processes on one PostgreSQL store: one runs the schedule, each slot posts once,
and when the leader dies another takes over without posting anything twice.

A "process" here is its own engine (its own connections), owner token and scheduler, as a
second ``crm-pulse run`` would have; the clock is controlled and triggers never fire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from jobs.leader import LOCK_KEY
from jobs.runner import run_job
from jobs.schedule import build_scheduler
from store.db import make_engine
from store.migrate import migrate
from tests.kpi_data import MSK, at
from tests.unit.test_jobs_fakes import (
    TG_A,
    TG_B,
    Clock,
    FakeSender,
    make_deps,
    minutes,
    seed,
    sent_by,
)

pytestmark = pytest.mark.postgres

TUESDAY_11 = at(MSK, 2026, 3, 3, 11)


@pytest.fixture
def pg_engines(pg_database: str) -> Iterator[tuple[Engine, Engine]]:
    """Two processes' engines on one freshly migrated PostgreSQL store."""
    first = make_engine(pg_database)
    with first.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(first)
    second = make_engine(pg_database)
    yield first, second
    first.dispose()
    second.dispose()


def morning_posts(*senders: FakeSender) -> list[str]:
    return sorted(s.to for sender in senders for s in sender.sent if s.kind == "post")


async def test_two_processes_post_the_caught_up_morning_once(
    pg_engines: tuple[Engine, Engine],
) -> None:
    first_engine, second_engine = pg_engines
    seed(first_engine, synced=TUESDAY_11)
    clock = Clock(TUESDAY_11)
    first = make_deps(first_engine, clock, sender=FakeSender())
    second = make_deps(second_engine, clock, sender=FakeSender())
    one, two = build_scheduler(first), build_scheduler(second)
    await asyncio.gather(one.start(paused=True), two.start(paused=True))
    await asyncio.gather(one.idle(), two.idle())
    assert sorted([one.leading, two.leading]) == [False, True]
    assert morning_posts(sent_by(first), sent_by(second)) == [TG_A.key, TG_B.key]
    leader, standby = (one, two) if one.leading else (two, one)
    standby_sender = sent_by(standby.deps)
    before = len(standby_sender.sent)

    # the leader's process dies: its connection, and with it the lock, is gone (the second
    # argument makes the call wait, up to 5 s, until the backend has really exited)
    with second_engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(l.pid, 5000) FROM pg_locks l "
                "JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND l.objid = :low "
                "AND d.datname = current_database()"
            ),
            {"low": LOCK_KEY & 0xFFFFFFFF},
        ).scalars()
        assert list(killed) == [True]
    clock.set(TUESDAY_11 + minutes(20))
    await standby.tick()  # its next leader tick
    await standby.idle()
    assert standby.leading
    assert len(standby_sender.sent) == before  # took over, posted nothing twice
    await leader.tick()  # the dead leader's tick finds its lock gone
    assert not leader.leading
    await asyncio.gather(one.stop(), two.stop())


async def test_a_slot_fired_in_two_processes_at_once_posts_once(
    pg_engines: tuple[Engine, Engine],
) -> None:
    first_engine, second_engine = pg_engines
    nine = at(MSK, 2026, 3, 3, 9)
    seed(first_engine, synced=nine)
    clock = Clock(nine)
    runs = [make_deps(e, clock, sender=FakeSender()) for e in (first_engine, second_engine)]
    results = await asyncio.gather(
        *(run_job("morning", deps, now=nine, scheduled=True) for deps in runs for _ in range(3))
    )
    assert morning_posts(*(sent_by(deps) for deps in runs)) == [TG_A.key, TG_B.key]
    assert sum(len(r.sent) for r in results) == 2
