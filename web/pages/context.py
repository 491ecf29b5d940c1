"""What every page handler is given: the store, the settings, the clock, the watch, a cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from kpi.settings import KpiSettings
from web.pages.live import StoreWatch

T = TypeVar("T")
CACHE_SECONDS = 120.0  # even with no change, "today", the stale banner and contests move on
CACHE_ENTRIES = 64


class FiguresCache:
    """Figures per key, valid while the store has not changed since they were computed.

    Only while the watch is running (it alone knows the store did not change); without it
    every call computes. A lock per key: ten screens of one scope compute once.
    """

    def __init__(self, watch: StoreWatch) -> None:
        self._watch = watch
        self._entries: dict[Hashable, tuple[int, float, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            version = self._watch.version
            live = self._watch.running
            entry = self._entries.get(key)
            if (
                live
                and entry
                and entry[0] == version
                and time.monotonic() - entry[1] < CACHE_SECONDS
            ):
                return entry[2]  # type: ignore[no-any-return]
            value = compute()
            if live:
                with self._guard:
                    if len(self._entries) >= CACHE_ENTRIES:
                        self._entries.pop(next(iter(self._entries)))
                    self._entries[key] = (version, time.monotonic(), value)
            return value


@dataclass
class PagesContext:
    engine: Engine
    settings: KpiSettings
    fresh: timedelta  # schedule.fresh_minutes: the stale banner shows past twice this
    clock: Callable[[], datetime]
    watch: StoreWatch
    cache: FiguresCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = FiguresCache(self.watch)
