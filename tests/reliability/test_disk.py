"""A disk that fills up during a sync, and a store opened read-only: one line saying what
and how to fix it, no traceback, and nothing lost (the next sync resumes to a clean store).

No small tmpfs here: a full disk is SQLite's ``max_page_count`` on every connection of the
command's engine (SQLite then answers exactly as on a full disk, "database or disk is
full"); a read-only store is the file opened with ``mode=ro``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

import app.cmd_sync
from app import cli
from store.db import make_engine
from store.migrate import migrate
from tests.reliability.world import (
    checksums,
    clean_checksums,
    clean_sync,
    cursor_problems,
    diff,
    engine_of,
    serving,
    write_config,
)

# Pages a migrated, empty store takes, plus this many: the sync runs out a little way in.
ROOM_PAGES = 150


def _pages(url: str) -> int:
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    engine.dispose()
    return pages


async def test_a_disk_that_fills_up_during_a_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    limit = _pages(store) + ROOM_PAGES

    def small_disk(url: str, **kwargs: Any) -> Engine:
        engine = make_engine(url, **kwargs)

        def cap(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count={limit}")

        event.listen(engine, "connect", cap)
        return engine

    async with serving() as emulator:
        clean = await clean_checksums(emulator.webhook_url, f"sqlite:///{tmp_path / 'ref.db'}")
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, store)
        monkeypatch.setattr(app.cmd_sync, "make_engine", small_disk)
        code = await asyncio.to_thread(cli.main, ["sync", "--config", str(config)])
        monkeypatch.undo()
        err = capsys.readouterr().err
        assert code == 1
        assert "Traceback" not in err
        line = err.strip().splitlines()[-1]
        assert "the disk is full: free some space" in line
        assert "the next sync resumes from there" in line
        # room again: the next sync goes on from where the full disk stopped it
        report = await clean_sync(emulator.webhook_url, store)
        assert report.ok, report.errors
        with engine_of(store) as engine:
            assert cursor_problems(engine) == []
            assert diff(checksums(engine), clean) == []


async def test_a_read_only_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "store.db"
    store = f"sqlite:///{path}"
    async with serving() as emulator:
        assert (await clean_sync(emulator.webhook_url, store)).ok
        with engine_of(store) as engine:
            before = checksums(engine)
        deal = emulator.portal.ids("deals")[0]
        emulator.portal.update("deals", deal, TITLE="Изменено, пока хранилище только для чтения")
        read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
        config = write_config(tmp_path / "ro.toml", emulator.webhook_url, read_only)
        code = await asyncio.to_thread(cli.main, ["sync", "--config", str(config)])
        err = capsys.readouterr().err
        assert code in (1, 2)
        assert "Traceback" not in err
        assert "read-only" in err
        assert len(err.strip().splitlines()) == 1, err
        with engine_of(store) as engine:
            assert checksums(engine) == before  # nothing half-written
        # writable again: the change comes in with the next sync
        assert (await clean_sync(emulator.webhook_url, store)).ok
        with engine_of(store) as engine, engine.connect() as conn:
            title = conn.exec_driver_sql("SELECT title FROM deals WHERE id = ?", (deal,)).scalar()
        assert title == "Изменено, пока хранилище только для чтения"
