"""Store-wide locks, one per purpose ("schema", "sync"), held across processes.

Two ``crm-pulse sync`` at once, or a sync and the schedule of ``crm-pulse run``, wrote over
each other's cursors; two first starts raced to create the tables. Each takes the lock of
its purpose first, so the second waits (a bounded time) or says plainly who is at work.

PostgreSQL: a session-level advisory lock on a connection kept open for the purpose; the
server frees it the moment that connection dies, with its process or not.

SQLite: an exclusive ``flock`` on a file next to the store (``store.db-sync.lock``), which
the kernel frees when the process dies, ``kill -9`` included; no stale lock is ever left.
The file says who holds it (process id and since when), for the message of the one waiting.
An in-memory store lives in one process: a lock of the process does.

A lock is per open, not per process: two holders in one process exclude each other too.
Methods block on the database or the file system; async callers use ``hold_async``.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from store.errors import StoreBusy, StoreError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
_MEMORY_LOCKS: dict[str, threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


def lock_key(name: str) -> int:
    """The advisory-lock key of ``name``: the same in every process, a signed 64-bit integer."""
    digest = hashlib.sha256(f"crm-pulse store lock {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite store, or None for an in-memory one."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    if engine.url.query.get("uri") == "true" and database.startswith("file:"):
        # sqlite:///file:PATH?mode=ro&uri=true: the file is PATH
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


class StoreLock:
    """One named lock on one store; ``try_acquire`` never blocks for long."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._memory: threading.Lock | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None or self._memory is not None

    def try_acquire(self) -> bool:
        if self.held:
            msg = f"the {self.name} lock is held already by this object"
            raise RuntimeError(msg)
        if self.engine.dialect.name == "postgresql":
            return self._try_advisory()
        path = sqlite_path(self.engine)
        if path is None:
            return self._try_memory()
        return self._try_file(path)

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(self.name)})
                conn.commit()
            except DBAPIError:
                # a connection in doubt must not go back to the pool still holding the lock
                conn.invalidate()
            finally:
                conn.close()
        handle, self._file = self._file, None
        if handle is not None:
            with suppress(OSError):
                handle.truncate(0)
            handle.close()  # closing the file lets the flock go
        memory, self._memory = self._memory, None
        if memory is not None:
            memory.release()

    def holder(self) -> str:
        """Who holds the lock, as far as we can tell ("process 1234 since 04:12:05 UTC")."""
        path = sqlite_path(self.engine)
        if self.engine.dialect.name == "postgresql" or path is None:
            return "another process"
        try:
            said = self.file_path(path).read_text(encoding="utf-8").split()
        except OSError:
            return "another process"
        if len(said) >= 2 and said[0].isdigit():
            return f"process {said[0]} since {said[1]}"
        return "another process"

    def file_path(self, path: Path) -> Path:
        return path.with_name(f"{path.name}-{self.name}.lock")

    def _try_advisory(self) -> bool:
        conn = self.engine.connect()
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self.name)}
            )
            held = bool(got.scalar())
            # the lock belongs to the session: no transaction has to stay open for it
            conn.commit()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not held:
            conn.close()
            return False
        self._conn = conn
        return True

    def _try_file(self, path: Path) -> bool:
        where = self.file_path(path)
        try:
            handle = where.open("a+", encoding="utf-8")
        except OSError as exc:
            msg = (
                f"cannot open the lock file {where}: {exc.strerror}; the store's folder "
                "must exist and be writable by this user"
            )
            raise StoreError(msg) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        except BaseException:
            handle.close()
            raise
        with suppress(OSError):
            since = datetime.now(tz=UTC).strftime("%H:%M:%S")
            handle.truncate(0)
            handle.write(f"{os.getpid()} {since}UTC\n")
            handle.flush()
        self._file = handle
        return True

    def _try_memory(self) -> bool:
        key = f"{id(self.engine)} {self.name}"
        with _MEMORY_GUARD:
            lock = _MEMORY_LOCKS.setdefault(key, threading.Lock())
        if not lock.acquire(blocking=False):
            return False
        self._memory = lock
        return True


def _busy(lock: StoreLock, waited: float, what: str) -> StoreBusy:
    return StoreBusy(
        f"{what} of this store is running in {lock.holder()} and did not finish within "
        f"{waited:.0f} s; nothing was changed: try again when it is done"
    )


@contextmanager
def hold(
    engine: Engine,
    name: str,
    *,
    wait: float,
    what: str = "",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[StoreLock]:
    """Hold lock ``name`` for the block; wait up to ``wait`` seconds, then ``StoreBusy``.

    ``on_wait`` hears once, with who holds it, that we are waiting.
    """
    lock = StoreLock(engine, name)
    deadline = time.monotonic() + wait
    told = False
    while not lock.try_acquire():
        if time.monotonic() >= deadline:
            raise _busy(lock, wait, what or f"the {name} work")
        if not told:
            told = True
            _tell(lock, wait, on_wait)
        time.sleep(POLL_SECONDS)
    try:
        yield lock
    finally:
        lock.release()


@asynccontextmanager
async def hold_async(
    engine: Engine,
    name: str,
    *,
    wait: float,
    what: str = "",
    on_wait: Callable[[str], None] | None = None,
) -> AsyncIterator[StoreLock]:
    """``hold`` for the event loop: each try runs in a worker thread, the waits are async."""
    lock = StoreLock(engine, name)
    deadline = time.monotonic() + wait
    told = False
    while not await _attempt(lock):
        if time.monotonic() >= deadline:
            raise _busy(lock, wait, what or f"the {name} work")
        if not told:
            told = True
            _tell(lock, wait, on_wait)
        await asyncio.sleep(POLL_SECONDS)
    try:
        yield lock
    finally:
        await asyncio.to_thread(lock.release)


async def _attempt(lock: StoreLock) -> bool:
    """One try in a worker thread; cancelled meanwhile, it lets go of what the try got."""
    attempt = asyncio.ensure_future(asyncio.to_thread(lock.try_acquire))
    try:
        return await asyncio.shield(attempt)
    except asyncio.CancelledError:
        with suppress(Exception):
            await attempt  # a try is short: a flock without waiting, or one query
        lock.release()
        raise


def _tell(lock: StoreLock, wait: float, on_wait: Callable[[str], None] | None) -> None:
    holder = lock.holder()
    log.info("the %s lock is held by %s; waiting up to %.0f s", lock.name, holder, wait)
    if on_wait is not None:
        on_wait(holder)
