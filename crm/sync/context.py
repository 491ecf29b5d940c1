"""What one sync run carries around: options, the portal's clock, the client, the counters."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Engine

from crm.methods import ListSpec
from crm.sync.fields import MapContext

P = ParamSpec("P")
T = TypeVar("T")

Progress = Callable[[str, int], None]

# voximplant.statistic.get is read in windows of call start time no longer than this.
MAX_CALLS_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class SyncOptions:
    history_days: int = 400
    overlap: timedelta = timedelta(minutes=10)
    calls_window: timedelta = timedelta(days=14)
    calls_reread: timedelta = timedelta(days=2)
    # Every table is checked for deletions within this period: tables up to
    # ``reconcile_whole_rows`` rows in every sync, bigger ones in rolling slices.
    reconcile_every: timedelta = timedelta(hours=24)
    reconcile: bool = True  # False: no deletion check in this run (a full sync still does)
    reconcile_whole_rows: int = 50_000

    @property
    def history(self) -> timedelta:
        return timedelta(days=self.history_days)

    @property
    def window(self) -> timedelta:
        """The calls window actually used: never longer than 14 days, never empty."""
        return max(min(self.calls_window, MAX_CALLS_WINDOW), timedelta(minutes=1))


class SyncClient(Protocol):
    """The part of ``crm.client.BitrixClient`` the sync uses."""

    @property
    def requests(self) -> int: ...

    async def server_time(self) -> datetime: ...

    def iter_pages(
        self,
        spec: ListSpec,
        *,
        filter: Mapping[str, Any] | None = None,
        select: Sequence[str] | None = None,
        after_id: int = 0,
        pages_per_request: int = 50,
        expected: int | None = None,
        exact: bool = False,
    ) -> AsyncIterator[list[dict[str, Any]]]: ...

    async def count(self, spec: ListSpec, *, filter: Mapping[str, Any] | None = None) -> int: ...


@dataclass(frozen=True)
class PortalClock:
    """The portal's clock: our clock plus the skew ``server.time`` showed, in its offset.

    Cursors are portal times, so a local clock that runs fast or slow cannot make an
    incremental read skip rows; filters carry the portal's own offset (reference §9).
    """

    skew: timedelta
    tz: tzinfo

    @classmethod
    def learn(cls, portal_now: datetime) -> PortalClock:
        tz = portal_now.tzinfo
        if tz is None:
            msg = "server.time gave a naive datetime"
            raise ValueError(msg)
        return cls(skew=portal_now - datetime.now(UTC), tz=tz)

    def now(self) -> datetime:
        # Whole seconds: filters are sent to the second, so stored bounds match them exactly.
        return (datetime.now(UTC) + self.skew).astimezone(self.tz).replace(microsecond=0)

    def iso(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).isoformat(timespec="seconds")


class UsersUnavailable(Exception):
    """The users could not be read in this run: rows naming users are left for the next."""


@dataclass
class Counter:
    fetched: int = 0
    written: int = 0
    deleted: int = 0
    skipped: int = 0


@dataclass
class Run:
    client: SyncClient
    engine: Engine
    options: SyncOptions
    full: bool
    clock: PortalClock
    progress: Progress | None
    ctx: MapContext = field(default_factory=MapContext)
    counts: dict[str, Counter] = field(default_factory=dict)
    # Set once the users are read (or failed to be): rows naming users are mapped after it.
    users_ready: asyncio.Event = field(default_factory=asyncio.Event)
    users_failed: bool = False  # then rows naming users wait for the next run
    # One thread for all store work: the tables are read at once, written one at a time.
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="crm-sync-store")
    )

    def counter(self, entity: str) -> Counter:
        return self.counts.setdefault(entity, Counter())

    def report_progress(self, entity: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(entity, rows)

    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run store work in the run's store thread, one piece at a time.

        A chunk's upsert is milliseconds on SQLite but can be much longer on a busy
        PostgreSQL; the bot's handlers share this event loop and must not wait on it. One
        thread keeps the writes of tables read at once from contending for the store.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
