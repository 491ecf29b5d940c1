"""The people directory and the sync jobs: who hears about what, and syncs that never pile up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from sqlalchemy.engine import Engine

from jobs import ledger
from jobs.delivery import Recipient
from jobs.people import People, Person, directory
from jobs.runner import run_job
from tests.kpi_data import MSK, at
from tests.unit.test_jobs_fakes import Clock, FakeSync, make_deps, seed, stamp, synced_by

PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: None, 4: 2}


def test_alerts_go_to_telegram_first_then_to_the_bitrix24_dialog() -> None:
    assert Person(1, telegram_id=77, bitrix_dialog="1").recipient == Recipient("telegram", "77")
    assert Person(1, bitrix_dialog="1").recipient == Recipient("bitrix", "1")
    assert Person(1).recipient is None
    assert Recipient("telegram", "-100:7").key == "telegram:-100:7"


def test_the_nearest_head_up_the_tree_and_never_oneself() -> None:
    people = People.of(
        [
            Person(30, heads=frozenset({1})),
            Person(11, heads=frozenset({2})),
            Person(12, heads=frozenset({2})),
        ]
    )
    assert [p.user_id for p in people.heads_of(4, PARENTS)] == [11, 12]
    assert [p.user_id for p in people.heads_of(2, PARENTS, exclude=11)] == [12]
    lone = People.of([Person(30, heads=frozenset({1})), Person(11, heads=frozenset({2}))])
    assert [p.user_id for p in lone.heads_of(2, PARENTS, exclude=11)] == [30]
    assert lone.heads_of(3, PARENTS) == []
    assert lone.heads_of(None, PARENTS) == []
    # a loop in the portal's tree must not hang us
    assert lone.heads_of(5, {5: 6, 6: 5}) == []


def test_the_directory_adds_the_portal_heads_and_their_dialogs() -> None:
    people = directory(
        [Person(10, telegram_id=1010), Person(30, telegram_id=3030, role="admin")],
        [(1, 30), (2, 11), (3, None), (4, 30)],
        bitrix_dialogs=True,
    )
    assert people.by_id[30].heads == frozenset({1, 4})
    assert people.by_id[30].recipient == Recipient("telegram", "3030")
    assert people.by_id[11].heads == frozenset({2})
    assert people.by_id[11].recipient == Recipient("bitrix", "11")
    assert people.by_id[10].bitrix_dialog == "10"
    no_chat = directory([Person(10)], [(2, 11)], bitrix_dialogs=False)
    assert no_chat.recipient(10) is None and no_chat.recipient(11) is None


async def test_syncs_run_one_at_a_time_and_the_nightly_one_prunes_the_ledger(
    sqlite_engine: Engine,
) -> None:
    now = at(MSK, 2026, 3, 3, 2, 30)
    clock = Clock(now)
    deps = make_deps(sqlite_engine, clock)
    old = now - timedelta(days=500)
    ledger.claim(sqlite_engine, "missed", "old", "telegram:1", owner="x", now=old)
    ledger.claim(sqlite_engine, "missed", "new", "telegram:1", owner="x", now=now)
    async with deps.sync_lock:
        busy = await run_job("sync", deps, now=now, scheduled=True)
    assert busy.skipped == "a sync is running already"
    assert (await run_job("sync", deps, now=now, scheduled=True)).summary() == "sync: done"
    assert (await run_job("full_sync", deps, now=now, scheduled=True)).ok
    assert synced_by(deps).calls == [False, True]
    pairs = [("old", "telegram:1"), ("new", "telegram:1")]
    assert set(ledger.recorded(sqlite_engine, "missed", pairs)) == {("new", "telegram:1")}
    failing = make_deps(sqlite_engine, clock, sync=FakeSync(sqlite_engine, clock, fail=True))
    result = await run_job("sync", failing, now=now, scheduled=True)
    assert not result.ok and "failed" in result.summary()


class WatchedLock(asyncio.Lock):
    """A lock that says when someone starts waiting for it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def acquire(self) -> Literal[True]:
        if self.locked():
            self.waiting.set()
        return await super().acquire()


async def test_a_post_waits_for_a_running_sync_instead_of_starting_another(
    sqlite_engine: Engine,
) -> None:
    nine = at(MSK, 2026, 3, 3, 9)
    seed(sqlite_engine, synced=nine - timedelta(hours=2))
    deps = make_deps(sqlite_engine, Clock(nine))
    deps.sync_lock = lock = WatchedLock()
    await lock.acquire()  # a sync is running
    post = asyncio.create_task(run_job("morning", deps, now=nine, scheduled=True))
    await asyncio.wait_for(lock.waiting.wait(), timeout=10)  # the post found the data stale
    stamp(sqlite_engine, nine)  # the running sync finishes
    lock.release()
    result = await post
    assert synced_by(deps).calls == []  # so the post needs no sync of its own
    assert len(result.sent) == 2 and not result.stale
