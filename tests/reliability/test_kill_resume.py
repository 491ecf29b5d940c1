"""``kill -9`` at random points of a full and of an incremental ``crm-pulse sync``, then the
next sync: every table equal to a clean sync, nothing twice, cursors sound (the sync after
reads almost nothing), planner statistics in place.

The kill comes on a condition, not a time: when the emulator has answered N requests. The
points are drawn from ``CRM_PULSE_RELIABILITY_SEED`` (printed on failure), so a failing
point can be replayed.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from sqlalchemy import text

from emulator.data import ID_KEY, MODIFIED_KEY
from emulator.server import Emulator
from tests.e2e.process import cli
from tests.reliability.world import (
    checksums,
    clean_checksums,
    clean_sync,
    cursor_problems,
    diff,
    engine_of,
    full_sync_requests,
    quiet_limit,
    run_cli,
    serving,
    wait_until,
    write_config,
)

SEED = int(os.environ.get("CRM_PULSE_RELIABILITY_SEED", "20261204"))
# Shares of a full sync's requests at which the process is killed: one in the first half
# (the small tables, activities), one in the second (calls, deals, leads, tasks); more with
# CRM_PULSE_RELIABILITY_KILLS (``make bench``).
KILLS = int(os.environ.get("CRM_PULSE_RELIABILITY_KILLS", "2"))
FULL_POINTS = [(i / KILLS * 0.9 + 0.02, (i + 1) / KILLS * 0.9 + 0.03) for i in range(KILLS)]


def _point(index: int, low: float, high: float, total: int) -> int:
    share = random.Random(SEED * 10 + index).uniform(low, high)
    return max(1, min(total - 1, round(total * share)))


async def _kill_at(emulator: Emulator, config: Path, requests: int) -> None:
    """Start ``crm-pulse sync`` and ``kill -9`` it once the portal has answered ``requests``."""
    emulator.portal.stats.reset()
    process = await cli("sync", "--config", str(config))

    def reached() -> bool:
        return emulator.portal.stats.requests >= requests or process.returncode is not None

    await wait_until(reached, 120, f"{requests} requests of the sync")
    # it must not have finished on its own: then this test would prove nothing
    assert process.returncode is None, f"the sync ended before request {requests}"
    process.kill()
    assert await process.wait() == -9


async def _resume_and_check(
    emulator: Emulator,
    config: Path,
    store: str,
    clean: dict[str, tuple[int, str]],
    quiet_rows: int,
) -> None:
    code, out, err = await run_cli("sync", "--config", str(config))
    assert code == 0, err
    assert "Traceback" not in err
    with engine_of(store) as engine:
        assert cursor_problems(engine) == []
        assert diff(checksums(engine), clean) == []
        # ANALYZE ran when the resumed passes ended: the planner knows the big tables
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                analysed = {r[0] for r in conn.execute(text("SELECT tbl FROM sqlite_stat1"))}
            assert {"activities", "calls", "deals"} <= analysed
    quiet = await clean_sync(emulator.webhook_url, store)
    assert quiet.ok, quiet.errors
    assert quiet.fetched <= quiet_rows, (quiet.fetched, out)
    with engine_of(store) as engine:
        assert diff(checksums(engine), clean) == []


@pytest.mark.parametrize("index", range(len(FULL_POINTS)))
async def test_kill_9_during_a_full_sync_then_resume(tmp_path: Path, index: int) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    async with serving() as emulator:
        reference = f"sqlite:///{tmp_path / 'ref.db'}"
        clean = await clean_checksums(emulator.webhook_url, reference)
        total = full_sync_requests(reference)
        point = _point(index, *FULL_POINTS[index], total)
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, store)
        print(f"seed {SEED}: kill -9 at request {point} of {total}")  # noqa: T201  (replay)
        await _kill_at(emulator, config, point)
        await _resume_and_check(emulator, config, store, clean, quiet_limit(clean))


def _change_the_portal(emulator: Emulator, rng: random.Random) -> None:
    """What a working day changes: a few hundred records edited, some added."""
    portal = emulator.portal
    edits = {
        "deals": {"TITLE": "Сделка (изменена)", "OPPORTUNITY": "123456.00"},
        "activities": {"SUBJECT": "Звонок (изменён)"},
        "companies": {"TITLE": "ООО Изменённая"},
        "contacts": {"POST": "Директор"},
        "leads": {"TITLE": "Лид (изменён)"},
        "tasks": {"title": "Задача (изменена)"},
    }
    for table, fields in edits.items():
        ids = portal.ids(table)
        for record_id in rng.sample(ids, min(len(ids), 120)):
            portal.update(table, record_id, **fields)
    for table in ("deals", "activities", "companies"):
        rows = portal.data.tables[table]
        for template in rng.sample(rows, 20):
            fresh = dict(template)
            fresh.pop(ID_KEY[table])
            fresh.pop(MODIFIED_KEY[table] or "", None)  # added now: modified now
            portal.add(table, fresh)


@pytest.mark.parametrize("index", range(max(1, KILLS // 2)))
async def test_kill_9_during_an_incremental_sync_then_resume(tmp_path: Path, index: int) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    async with serving() as emulator:
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, store)
        first = await clean_sync(emulator.webhook_url, store)
        assert first.ok
        _change_the_portal(emulator, random.Random(SEED + index))
        # the reference: a clean sync of the changed portal into a new store
        reference = f"sqlite:///{tmp_path / 'ref.db'}"
        emulator.portal.stats.reset()
        assert (await clean_sync(emulator.webhook_url, reference)).ok
        with engine_of(reference) as engine:
            clean = checksums(engine)
        # how many requests an incremental sync of these changes makes: measured on a copy
        copy = tmp_path / "copy.db"
        copy.write_bytes((tmp_path / "store.db").read_bytes())
        emulator.portal.stats.reset()
        assert (await clean_sync(emulator.webhook_url, f"sqlite:///{copy}")).ok
        total = emulator.portal.stats.requests
        point = _point(100 + index, 0.15, 0.85, total)
        print(f"seed {SEED}: kill -9 at request {point} of {total} (incremental)")  # noqa: T201
        await _kill_at(emulator, config, point)
        # the records changed minutes ago lie in each cursor's overlap: a quiet sync of the
        # clean store reads them again too, and the resumed one may read no more than that
        baseline = await clean_sync(emulator.webhook_url, reference)
        await _resume_and_check(emulator, config, store, clean, baseline.fetched + 50)
