"""The store locks themselves: exclusive across processes and within one, freed when the
holder is killed with ``kill -9``, and the schema set-up of a new store safe from many
processes at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from store.db import make_engine
from store.errors import StoreBusy
from store.locks import StoreLock, hold, hold_async
from store.migrate import at_head
from tests.reliability.world import engine_of, postgres_database, wait_until

HOLDER = """
import sys, time
from store.db import make_engine
from store.locks import StoreLock
lock = StoreLock(make_engine(sys.argv[1]), "sync")
assert lock.try_acquire()
print("held", flush=True)
time.sleep(600)
"""

MIGRATE = """
import sys
from store.db import make_engine
from store.migrate import migrate
migrate(make_engine(sys.argv[1]))
"""


def test_one_holder_at_a_time_even_in_one_process(store_url: str) -> None:
    with engine_of(store_url) as engine:
        first, second = StoreLock(engine, "sync"), StoreLock(engine, "sync")
        other_purpose = StoreLock(engine, "schema")
        assert first.try_acquire()
        assert not second.try_acquire()
        assert other_purpose.try_acquire()  # a different purpose is a different lock
        first.release()
        assert second.try_acquire()
        second.release()
        other_purpose.release()


def test_waiting_is_bounded_and_says_who_holds_it(store_url: str) -> None:
    with engine_of(store_url) as engine:
        heard: list[str] = []
        with hold(engine, "sync", wait=0), pytest.raises(StoreBusy) as caught:  # noqa: SIM117
            with hold(engine, "sync", wait=0.3, what="another sync", on_wait=heard.append):
                pass
        assert caught.value.exit_code == 75
        assert "another sync of this store is running in" in str(caught.value)
        assert len(heard) == 1
        if engine.dialect.name == "sqlite":
            assert f"process {os.getpid()} since" in heard[0]


async def test_a_waiter_gets_the_lock_when_the_holder_lets_go(store_url: str) -> None:
    with engine_of(store_url) as engine:
        order: list[str] = []
        first = StoreLock(engine, "sync")
        assert first.try_acquire()

        async def second() -> None:
            async with hold_async(engine, "sync", wait=30):
                order.append("second")

        task = asyncio.create_task(second())
        await asyncio.sleep(0)
        order.append("first done")
        await asyncio.to_thread(first.release)
        await asyncio.wait_for(task, 30)
        assert order == ["first done", "second"]


async def test_kill_9_of_the_holder_frees_the_lock(store_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, store_url, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        assert await asyncio.wait_for(process.stdout.readline(), 60) == b"held\n"
        with engine_of(store_url) as engine:
            assert not StoreLock(engine, "sync").try_acquire()
            process.send_signal(signal.SIGKILL)
            await process.wait()

            def free() -> bool:
                lock = StoreLock(engine, "sync")
                got = lock.try_acquire()
                lock.release()
                return got

            # PostgreSQL notices the dead connection within moments, the kernel at once
            await wait_until(free, 30, "the lock of a killed holder to be free")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def test_many_first_starts_at_once_set_the_schema_up_once(kind: str, tmp_path: Path) -> None:
    async def migrate_all(url: str) -> list[tuple[int | None, bytes]]:
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", MIGRATE, url, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(3)
        ]
        results = []
        for process in processes:
            _, err = await asyncio.wait_for(process.communicate(), 120)
            results.append((process.returncode, err))
        return results

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'new.db'}"
        results = await migrate_all(url)
    else:
        with postgres_database() as url:
            results = await migrate_all(url)
            _check_schema(url)
    for code, err in results:
        assert code == 0, err.decode()
    if kind == "sqlite":
        _check_schema(url)


def _check_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        assert at_head(engine)
        assert {"activities", "sync_state", "alembic_version"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
