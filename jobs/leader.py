"""Only one process runs the schedule; when it dies, another one takes over.

PostgreSQL: a session-level advisory lock held on a connection kept open for the purpose.
The server drops it the moment that connection dies with its process, so a standby that
asks again (every few seconds) takes over at once; a lost connection means lost leadership.

SQLite (one host, a single process assumed): a lease row renewed by the leader; when its
owner stops renewing, the lease expires and the next process to ask gets it.

Either way the ledger's claims stay the last guard: even two leaders could not post twice.
Methods block on the database; async callers run them in a worker thread.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, or_, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from store.jobs_models import JobLease

log = logging.getLogger(__name__)

# "crmpulse" read as a 64-bit integer: the advisory lock's key, the same in every process.
LOCK_KEY = int.from_bytes(b"crmpulse", "big")
LEASE_NAME = "scheduler"


class Leader(Protocol):
    def try_lead(self, now: datetime) -> bool:
        """Acquire or keep the leadership; True while this process holds it."""
        ...

    def resign(self) -> None: ...


class AdvisoryLockLeader:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: Connection | None = None

    def try_lead(self, now: datetime) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except DBAPIError:
                log.warning("lost the connection that held the scheduler lock; not leading")
                self._drop()
        try:
            conn = self._engine.connect()
        except DBAPIError:
            log.warning("cannot reach the store to ask for the scheduler lock")
            return False
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
            held = bool(got.scalar())
            # the lock belongs to the session, so no transaction has to stay open for it
            conn.commit()
        except DBAPIError:
            conn.invalidate()
            conn.close()
            return False
        if not held:
            conn.close()
            return False
        self._conn = conn
        return True

    def resign(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            conn.commit()
        except DBAPIError:
            # a connection in doubt must not go back to the pool still holding the lock
            conn.invalidate()
        finally:
            conn.close()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.invalidate()
            conn.close()


class LeaseLeader:
    def __init__(self, engine: Engine, owner: str, ttl: timedelta, name: str = LEASE_NAME) -> None:
        self._engine = engine
        self._owner = owner
        self._ttl = ttl
        self._name = name

    def try_lead(self, now: datetime) -> bool:
        t = _lease_table()
        renew = (
            update(t)
            .where(t.c.name == self._name, or_(t.c.owner == self._owner, t.c.expires_at <= now))
            .values(owner=self._owner, expires_at=now + self._ttl)
        )
        fresh = (
            sqlite.insert(t)
            .values(name=self._name, owner=self._owner, expires_at=now + self._ttl)
            .on_conflict_do_nothing()
            .returning(t.c.name)
        )
        try:
            with self._engine.begin() as conn:
                if conn.execute(renew).rowcount == 1:
                    return True
                return conn.execute(fresh).first() is not None
        except DBAPIError:
            log.warning("cannot renew the scheduler lease; not leading")
            return False

    def resign(self) -> None:
        t = _lease_table()
        try:
            with self._engine.begin() as conn:
                conn.execute(t.delete().where(t.c.name == self._name, t.c.owner == self._owner))
        except DBAPIError:
            log.warning("could not give the scheduler lease up; it expires by itself")


def _lease_table() -> Table:
    table: Any = JobLease.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def make_leader(engine: Engine, owner: str, lease: timedelta) -> Leader:
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeader(engine)
    return LeaseLeader(engine, owner, lease)
