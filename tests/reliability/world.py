"""What the reliability tests share: a generated portal served on 127.0.0.1, config files,
``crm-pulse`` subprocesses, and a store's content as checksums to compare with a clean sync.

The portal is ``small`` unless ``CRM_PULSE_RELIABILITY_SCALE`` says otherwise (``make bench``
may run it bigger); the seed and the data's last day are fixed, so every run sees the same
records.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, create_engine, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from sqlmodel import select as sqlmodel_select

from app.cmd_sync import open_store, sync_once
from app.config import Config
from crm.sync import SyncReport
from emulator.gen_world import Scale
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from store.clients import DERIVED_COLUMNS
from store.db import make_engine
from store.models import SyncState
from tests.conftest import PG_ADMIN_URL
from tests.e2e.process import cli

SCALE = cast(Scale, os.environ.get("CRM_PULSE_RELIABILITY_SCALE", "small"))
SEED = 5
LAST_DAY = date(2026, 11, 19)
# The sync reads history_days back from the real clock, while the portal's data ends on a
# fixed day: with the default 400 days the window's edge crosses the oldest rows as the
# clock moves, and a sync made minutes after the reference one could miss a row the
# reference holds (seen at 09:00 UTC on 2026-12-04). Ten years keeps every row inside.
HISTORY_DAYS = 3650
# The tables a sync writes (entities and their links); the rest belong to the bot and jobs.
SYNCED = (
    "departments",
    "users",
    "user_departments",
    "companies",
    "contacts",
    "activities",
    "calls",
    "deals",
    "leads",
    "dictionary",
    "pipelines",
    "tasks",
)


def make_portal(seed: int = SEED) -> Portal:
    return Portal(generate(seed, SCALE, LAST_DAY))


@asynccontextmanager
async def serving(seed: int = SEED, **settings: Any) -> AsyncIterator[Emulator]:
    """A fresh portal on 127.0.0.1, without the rate limit unless ``settings`` say so."""
    settings.setdefault("rate_limit", False)
    async with running_emulator(make_portal(seed), **settings) as emulator:
        yield emulator


def write_config(path: Path, webhook_url: str, storage_url: str, extra: str = "") -> Path:
    path.write_text(
        f"""
[portal]
webhook_url = "{webhook_url}"
max_retries = 2
[storage]
url = "{storage_url}"
[sync]
history_days = {HISTORY_DAYS}
[logging]
level = "INFO"
{extra}
""",
        encoding="utf-8",
    )
    return path


def config_of(webhook_url: str, storage_url: str) -> Config:
    return Config.model_validate(
        {
            "portal": {"webhook_url": webhook_url, "max_retries": 2},
            "storage": {"url": storage_url},
            "sync": {"history_days": HISTORY_DAYS},
        }
    )


async def clean_sync(webhook_url: str, storage_url: str) -> SyncReport:
    """A sync in this process (the same ``sync_once`` as the command), into ``storage_url``."""
    config = config_of(webhook_url, storage_url)
    engine = open_store(config)
    try:
        return await sync_once(config, engine)
    finally:
        engine.dispose()


async def run_cli(*args: str, within: float = 120) -> tuple[int, str, str]:
    started = time.monotonic()
    process = await cli(*args)
    out, err = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode is not None
    print(f"crm-pulse {' '.join(args[:2])}: {time.monotonic() - started:.1f} s")  # noqa: T201
    return process.returncode, out.decode(), err.decode()


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], within: float, what: str
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            msg = f"waited {within} s for {what}"
            raise AssertionError(msg)
        await asyncio.sleep(0.005)


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, float):
        return repr(round(value, 9))
    return repr(value)


_CLEAN: dict[str, dict[str, tuple[int, str]]] = {}
_CLEAN_REQUESTS: dict[str, int] = {}
_CLEAN_URL: dict[str, str] = {}


async def clean_checksums(webhook_url: str, storage_url: str) -> dict[str, tuple[int, str]]:
    """The checksums of a clean sync of the untouched portal into a new ``storage_url``.

    The portal is the same in every test that does not change it (same seed, same last
    day), so one clean sync per kind of store serves them all.
    """
    kind = storage_url.split(":", 1)[0]
    if kind not in _CLEAN:
        report = await clean_sync(webhook_url, storage_url)
        assert report.ok, report.errors
        with engine_of(storage_url) as engine:
            _CLEAN[kind] = checksums(engine)
        _CLEAN_REQUESTS[kind] = report.requests
        _CLEAN_URL[kind] = storage_url
    return _CLEAN[kind]


def clean_store(storage_url: str) -> str:
    """The store the clean sync behind ``clean_checksums`` wrote (kept for the session)."""
    return _CLEAN_URL[storage_url.split(":", 1)[0]]


def full_sync_requests(storage_url: str) -> int:
    """How many requests the clean sync behind ``clean_checksums`` made."""
    return _CLEAN_REQUESTS[storage_url.split(":", 1)[0]]


def quiet_limit(clean: Mapping[str, tuple[int, str]]) -> int:
    """The most rows a sync right after a complete one may read: ~60 of 13.5k on ``small``
    (the last two days of calls are always read again, and each cursor's overlap); 66k when
    the cursors were lost."""
    return 200 + sum(rows for rows, _ in clean.values()) // 100


def checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    """Each synced table: (rows, SHA-256 of its rows ordered by primary key)."""
    import store.models  # noqa: F401, PLC0415  (registers the tables)

    found: dict[str, tuple[int, str]] = {}
    with engine.connect() as connection:
        for name in SYNCED:
            table = cast(Table, SQLModel.metadata.tables[name])
            order = list(table.primary_key.columns)
            digest = hashlib.sha256()
            count = 0
            for row in connection.execute(select(table).order_by(*order)):
                digest.update("|".join(_value(v) for v in row).encode())
                digest.update(b"\n")
                count += 1
            found[name] = (count, digest.hexdigest())
    return found


def rows_by_key(engine: Engine, name: str) -> dict[tuple[Any, ...], str]:
    """Each row of table ``name`` as text, by its primary key; without the columns derived
    from other tables (an activity's client, while its deal is not read yet)."""
    import store.models  # noqa: F401, PLC0415  (registers the tables)

    table = cast(Table, SQLModel.metadata.tables[name])
    derived = DERIVED_COLUMNS.get(name, frozenset())
    columns = [column for column in table.columns if column.name not in derived]
    keys = [columns.index(column) for column in table.primary_key.columns]
    with engine.connect() as connection:
        return {
            tuple(row[k] for k in keys): "|".join(_value(v) for v in row)
            for row in connection.execute(select(*columns))
        }


def half_written(engine: Engine, clean: Engine) -> list[str]:
    """Rows of ``engine`` that a clean sync does not have exactly (a subset is fine)."""
    wrong = []
    for name in SYNCED:
        want = rows_by_key(clean, name)
        for key, row in rows_by_key(engine, name).items():
            if want.get(key) != row:
                wrong.append(f"{name} {key}")
    return wrong


def sync_states(engine: Engine) -> dict[str, SyncState]:
    with Session(engine, expire_on_commit=False) as session:
        return {s.entity: s for s in session.exec(sqlmodel_select(SyncState)).all()}


def cursor_problems(engine: Engine) -> list[str]:
    """What is wrong with the cursors after a finished sync (nothing: an empty list)."""
    problems = []
    for entity, state in sorted(sync_states(engine).items()):
        if state.pass_started_at is not None:
            problems.append(f"{entity}: a pass still open")
        if state.full_done_at is None:
            problems.append(f"{entity}: full_done_at empty")
        if state.modified_since is None:
            problems.append(f"{entity}: no cursor")
    return problems


def diff(got: Mapping[str, tuple[int, str]], want: Mapping[str, tuple[int, str]]) -> list[str]:
    return [f"{t}: {got.get(t)} != {want[t]}" for t in want if got.get(t) != want[t]]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database of our own (a new store), dropped afterwards."""
    name = f"crm_pulse_r_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def engine_of(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
