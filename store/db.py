"""Engine and sessions: SQLite by default (WAL), PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session, create_engine

from store.errors import StoreError


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the bot read while the sync writes; NORMAL is durable enough with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A 64 MiB page cache instead of the default 2 MiB: the report queries probe indexes all
    # over a store of hundreds of MB (coverage on the large portal: ~20 ms less). It holds
    # only pages read, so a small store stays small.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _postgres_text_without_nul(dbapi_connection: Any, _record: Any) -> None:
    """PostgreSQL text cannot hold a NUL byte: one in a portal's field (a contact named
    "Иван\x00Петров") failed the whole chunk, and every sync after it. The byte means
    nothing in a name or a title, so it is dropped on the way in."""
    from psycopg.adapt import Dumper, PyFormat  # noqa: PLC0415  (only where PostgreSQL is)

    adapters = dbapi_connection.adapters
    for fmt in (PyFormat.TEXT, PyFormat.BINARY):
        base: Any = adapters.get_dumper(str, fmt)

        class WithoutNul(Dumper):
            # psycopg's own dumper does the work (its C one cannot be subclassed)
            inner = base
            oid = base.oid
            format = base.format

            def __init__(self, cls: type, context: Any = None) -> None:
                super().__init__(cls, context)
                self._dumper = self.inner(cls, context)

            def dump(self, obj: str) -> Any:
                return self._dumper.dump(obj.replace("\x00", "") if "\x00" in obj else obj)

        adapters.register_dumper(str, WithoutNul)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """One engine per process; the URL picks SQLite or PostgreSQL."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # JIT compiles a plan for queries PostgreSQL guesses are costly; for our report queries
    # that took 730 of 880 ms (coverage on the large portal) to save a few milliseconds.
    engine = create_engine(
        url, echo=echo, pool_pre_ping=True, connect_args={"options": "-c jit=off"}
    )
    event.listen(engine, "connect", _postgres_text_without_nul)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def refresh_statistics(engine: Engine, tables: Iterable[str] | None = None) -> None:
    """Let the query planner see the row counts: ANALYZE ``tables`` (None: all of them).

    Without it SQLite may pick a poor index for the report queries on a freshly filled store.
    A plain ANALYZE, not ``PRAGMA optimize``: on a fresh connection (every ``crm-pulse
    sync``) SQLite 3.40's optimize analyzes nothing, and a resumed sync was left without any
    ``sqlite_stat1`` at all.
    """
    with engine.begin() as connection:
        known = set(inspect(connection).get_table_names())
        if tables is None:
            connection.exec_driver_sql("ANALYZE")
            return
        for table in sorted(set(tables) & known):
            # a name from the store's own list of tables, quoted all the same
            quoted = connection.dialect.identifier_preparer.quote(table)
            connection.exec_driver_sql(f"ANALYZE {quoted}")


def unanalysed(engine: Engine, tables: Iterable[str]) -> set[str]:
    """Those of ``tables`` the planner has no statistics of yet (never ANALYZEd)."""
    wanted = set(tables)
    with engine.connect() as connection:
        known = set(inspect(connection).get_table_names())
        if engine.dialect.name == "sqlite":
            if "sqlite_stat1" not in known and not _has_stat1(connection):
                return wanted & known
            done = {row[0] for row in connection.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
        else:
            query = (
                "SELECT relname FROM pg_stat_user_tables "
                "WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
            )
            done = {row[0] for row in connection.exec_driver_sql(query)}
    return (wanted & known) - done


def _has_stat1(connection: Any) -> bool:
    found = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    )
    return found.first() is not None


def store_address(url: str) -> str:
    """The store's URL as it may be shown: the password hidden."""
    try:
        from sqlalchemy.engine import make_url  # noqa: PLC0415  (only when there is an error)

        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "(an unreadable URL)"


_SQLITE_CAUSES = (
    ("disk is full", "the disk is full: free some space; the next sync resumes where this one "
     "stopped"),
    ("readonly database", "the store is read-only: give this user write access to the file "
     "and its folder"),
    ("unable to open database file", "the file cannot be opened: check that its folder exists "
     "and this user may write there"),
    ("disk i/o error", "the disk failed a read or write: check the disk and free space"),
    ("not a database", "the file is not a SQLite database: point the URL at another file"),
    ("database is locked", "another program holds the file locked too long: stop it, or "
     "try again"),
)  # fmt: skip
_POSTGRES_CAUSES = (
    ("connection refused", "PostgreSQL is not running there: start it, or fix the host and "
     "port"),
    ("could not translate host name", "the host name is unknown: fix it"),
    ("timeout expired", "PostgreSQL did not answer in time: check the host and the network"),
    ("password authentication failed", "the user or password is wrong: fix them"),
    ("no password supplied", "the server asks for a password: add it to the URL"),
    ('database "* does not exist', "the database does not exist: create it (createdb NAME) or "
     "fix its name"),
    ('role "* does not exist', "the user does not exist on that server: fix the user name"),
    ("no space left on device", "the database server's disk is full: free some space"),
    ("read-only transaction", "the server takes no writes (a standby?): point the URL at the "
     "primary"),
    ("server closed the connection", "the server went away: check that PostgreSQL is up"),
)  # fmt: skip


def explain(exc: BaseException) -> str | None:
    """What a database error means and how to fix it, in one line; None when we don't know."""
    if not isinstance(exc, DBAPIError):
        return None
    said = str(exc.orig if exc.orig is not None else exc).strip()
    first = _first_line(exc)
    causes = _SQLITE_CAUSES if "sqlite" in type(exc.orig).__module__ else _POSTGRES_CAUSES
    low = said.lower()
    for needle, fix in causes:
        if all(part in low for part in needle.split("*")):
            return f"{fix} ({first})"
    return None


def check_reachable(engine: Engine) -> None:
    """Open one connection now, so a wrong address fails here with its fix (``StoreError``)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not database.startswith(":memory:"):
        if engine.url.query.get("uri") == "true":
            database = database.removeprefix("file:").split("?", 1)[0]
        folder = Path(database).absolute().parent
        if not folder.is_dir():
            msg = f"the folder {folder} does not exist: create it (mkdir -p {folder}) or "
            msg += "point the URL at a file in an existing folder"
            raise StoreError(msg, exit_code=2)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        reason = explain(exc) or _first_line(exc)
        raise StoreError(reason, exit_code=2) from None


def _first_line(exc: DBAPIError) -> str:
    said = str(exc.orig if exc.orig is not None else exc).strip()
    return said.splitlines()[0] if said else type(exc).__name__
