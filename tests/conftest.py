"""Shared fixtures: a migrated store on SQLite and on PostgreSQL (127.0.0.1:5432, db `test`).

``store_engine`` runs each test that asks for it twice: once on a fresh SQLite file and once
on a fresh PostgreSQL database made for this test session and dropped after it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from store.db import make_engine
from store.migrate import migrate

PG_ADMIN_URL = os.environ.get(
    "CRM_PULSE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of our own for this run, dropped at the end."""
    name = f"crm_pulse_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_pg(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated store's URL on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = make_engine(url)
    else:
        url = request.getfixturevalue("pg_database")
        engine = _reset_pg(url)
    migrate(engine)
    engine.dispose()
    yield url


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store only, for tests that have nothing database-specific."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def emulator_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, ...]]:
    """The emulator's small portal synced into SQLite once per run (tests.game_data): the
    contest and streak tests compare kpi with figures read from its rows."""
    from tests.game_data import emulator_store  # noqa: PLC0415  (only these tests need it)

    engine, settings, now, department = emulator_store(tmp_path_factory.mktemp("emulator"))
    yield engine, settings, now, department
    engine.dispose()
