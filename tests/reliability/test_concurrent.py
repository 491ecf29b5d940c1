"""Two syncs at once, and a sync beside ``crm-pulse run``, on one store (SQLite and PostgreSQL):
no crash, every table as a clean sync leaves it, cursors sound (the next quiet sync reads
almost nothing).

Before the store lock, two first syncs raced to create the tables (``table activities
already exists`` in 4 of 6 tries) and, on an existing store, emptied each other's cursors.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.process import cli
from tests.reliability.world import (
    checksums,
    clean_checksums,
    clean_sync,
    cursor_problems,
    diff,
    engine_of,
    postgres_database,
    quiet_limit,
    run_cli,
    serving,
    wait_until,
    write_config,
)

WAITING = "another sync of this store is running"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a store that does not exist yet (no tables, no file)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def reference_store(new_store: str, tmp_path: Path) -> Iterator[str]:
    """Another new store of the same kind, for the clean sync to compare with."""
    if new_store.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with postgres_database() as url:
        yield url


def _paced(monkeypatch: pytest.MonkeyPatch) -> None:
    """A paced portal client, so that a first sync lasts seconds, not a fraction of one: the
    second sync must arrive while it is at work (a whole small sync is ~20 requests)."""
    monkeypatch.setenv("CRM_PULSE_PORTAL__REQUESTS_PER_SECOND", "4")
    monkeypatch.setenv("CRM_PULSE_PORTAL__BURST", "1")


async def _quiet_fetched(webhook: str, url: str) -> int:
    report = await clean_sync(webhook, url)
    assert report.ok, report.errors
    return report.fetched


async def test_two_syncs_at_once_on_a_new_store(
    new_store: str, reference_store: str, tmp_path: Path
) -> None:
    async with serving() as emulator:
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, new_store)
        results = await asyncio.gather(
            run_cli("sync", "--config", str(config)), run_cli("sync", "--config", str(config))
        )
        for code, _, err in results:
            assert code == 0, err
            assert "Traceback" not in err
        # one of them saw the other at work and waited for it, saying so
        assert any(WAITING in err for _, _, err in results)
        clean = await clean_checksums(emulator.webhook_url, reference_store)
        with engine_of(new_store) as engine:
            assert cursor_problems(engine) == []
            assert diff(checksums(engine), clean) == []
        assert await _quiet_fetched(emulator.webhook_url, new_store) <= quiet_limit(clean)


async def test_a_second_sync_that_may_not_wait_says_one_is_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _paced(monkeypatch)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    async with serving() as emulator:
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, store)
        first = await cli("sync", "--config", str(config))
        try:
            # the first one is at work once the portal has heard from it
            await wait_until(lambda: emulator.portal.stats.requests >= 3, 60, "the first sync")
            code, out, err = await run_cli("sync", "--wait", "0", "--config", str(config))
            assert first.returncode is None  # it was at work all along
        finally:
            if first.returncode is None:
                first.kill()  # its own resume is the kill tests' business
            await first.wait()
    assert code == 75, err
    assert "another sync of this store is running in process" in err
    assert "nothing was changed: try again when it is done" in err
    assert len(err.strip().splitlines()) == 1, err
    assert out == ""


async def test_a_sync_beside_run_on_one_store(
    new_store: str, reference_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _paced(monkeypatch)
    extra = """
[web]
port = 0
[schedule]
quiet_hours = ""
# the catch-up's "missed" run syncs first (the store is empty); the posts are not the point
disabled = ["morning", "weekly", "pace", "overdue", "celebrate", "contests", "streaks", "badges"]
[calendar]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""
    async with serving() as emulator:
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, new_store, extra)
        run = await cli("run", "--config", str(config))
        assert run.stderr is not None
        run_log: list[str] = []
        reader = asyncio.create_task(_collect(run.stderr, run_log))
        try:
            # run syncs on start (its catch-up finds the store empty); once it is at it,
            # `crm-pulse sync` comes along and must wait for it, then read what is new
            await wait_until(lambda: emulator.portal.stats.requests >= 3, 90, "run's sync")
            code, out, err = await run_cli("sync", "--config", str(config))
            assert code == 0, err
            assert WAITING in err
            assert "requests" in out
            await wait_until(lambda: any("sync done in" in x for x in run_log), 90, "its end")
            assert run.returncode is None  # still running
        finally:
            await wait_until(lambda: any("running:" in x for x in run_log), 60, "run's start")
            run.send_signal(signal.SIGTERM)
            await asyncio.wait_for(run.wait(), 60)
            await reader
        log = "".join(run_log)
        assert run.returncode == 0, log
        assert "Traceback" not in err
        assert "sync failed" not in log and "ERROR crm.sync" not in log, log
        clean = await clean_checksums(emulator.webhook_url, reference_store)
        with engine_of(new_store) as engine:
            assert cursor_problems(engine) == []
            assert diff(checksums(engine), clean) == []


async def _collect(stream: asyncio.StreamReader, lines: list[str]) -> None:
    async for line in stream:
        lines.append(line.decode(errors="replace"))  # noqa: PERF401  (read while it runs)
