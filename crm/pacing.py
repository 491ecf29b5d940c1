"""Pacing for the portal's two limits, and the retry back-off schedule.

* ``LeakyBucket``: the request-rate limit. Bitrix24 keeps a counter per portal and caller IP that
  grows by one per HTTP request (a whole ``batch`` is one) and drains at ``rate`` per second; a
  request that would lift it above ``burst`` is refused with QUERY_LIMIT_EXCEEDED. We keep the
  same counter on our side and wait before the portal would refuse. A request in flight is
  counted in full until its reply is back: the portal counts it when it arrives, which may be
  later than we sent it (see ``LeakyBucket.sending``).
* ``OperatingBudget``: the execution-time limit per method. Each reply's ``time.operating`` says
  how many seconds of this method's 10-minute budget are used; near ``limit`` (or once the portal
  answers OPERATION_TIME_LIMIT) the method waits until ``operating_reset_at``.
* ``RetryPolicy``: which failures are sent again (only transient ones, ``max_retries`` times)
  and how long to wait first: the ``backoff_delays`` schedule, or the budget's reset time.

Clocks and sleeps are injectable so that tests run instantly and deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from crm.errors import OperationTimeLimit, RateLimited, is_retryable

__all__ = [
    "Clock",
    "LeakyBucket",
    "OperatingBudget",
    "RetryPolicy",
    "Sleep",
    "backoff_delays",
    "parse_unix_time",
]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

logger = logging.getLogger(__name__)

# Float drift after sleeping exactly the computed time must not cost another sleep.
_EPSILON = 1e-9


def backoff_delays(
    base: float, cap: float, attempts: int, *, rng: random.Random | None = None
) -> tuple[float, ...]:
    """Waits before retry 1..attempts: base, 2*base, 4*base, ... each at most ``cap``.

    With ``rng`` each wait is drawn from [d/2, d] ("equal jitter"), so several clients that
    failed together do not retry together; without it the schedule is exact.
    """
    if base < 0 or cap < 0 or attempts < 0:
        msg = "backoff base, cap and attempts must not be negative"
        raise ValueError(msg)
    delays = [min(cap, base * 2.0**n) for n in range(attempts)]
    if rng is not None:
        delays = [d / 2 + rng.uniform(0, d / 2) for d in delays]
    return tuple(delays)


def parse_unix_time(value: object) -> float | None:
    """A unix time from the portal's ``operating_reset_at``: a number, numeric text or ISO text.

    Anything unreadable (or an ISO time without an offset) gives None rather than a guess.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return None
            if parsed.tzinfo is None:
                return None
            seconds = parsed.timestamp()
    else:
        return None
    # Milliseconds would put the reset tens of thousands of years ahead.
    return seconds / 1000 if seconds > 1e11 else seconds


class LeakyBucket:
    """The portal's request counter, mirrored: ``await acquire()`` before each HTTP request.

    The counter drains at ``rate`` per second; a request may go when counter + 1 <= ``burst``.
    So up to ``burst`` requests go at once from idle, then ``rate`` per second. Waiters are served
    in arrival order. ``sending()`` is the form for real requests: see there.
    """

    def __init__(
        self,
        rate: float = 2.0,
        burst: int = 50,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            msg = "LeakyBucket needs rate > 0 and burst >= 1"
            raise ValueError(msg)
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._stamp: float | None = None
        self._in_flight = 0
        self._lock = asyncio.Lock()

    @property
    def level(self) -> float:
        """The counter as of now (requests still in flight not included)."""
        return self._drained(self._clock())

    @property
    def in_flight(self) -> int:
        """Requests sent through ``sending`` whose replies are not back yet."""
        return self._in_flight

    def busy(self) -> bool:
        """Whether a request now would have to wait (for the counter or for earlier waiters)."""
        if self._lock.locked():
            return True
        return self._drained(self._clock()) + self._in_flight + 1 - self.burst > _EPSILON

    def _drained(self, now: float) -> float:
        if self._stamp is None:
            return self._level
        return max(0.0, self._level - (now - self._stamp) * self.rate)

    def _drain(self) -> None:
        now = self._clock()
        self._level = self._drained(now)
        self._stamp = now

    async def _room(self) -> None:
        # Called under the lock: wait until the counter, requests in flight included, has room.
        while True:
            self._drain()
            excess = self._level + self._in_flight + 1 - self.burst
            if excess <= _EPSILON:
                return
            # Only the counter drains; past it, wait (briefly, again) for replies to land.
            await self._sleep(min(excess, max(self._level, 0.1)) / self.rate)

    async def acquire(self) -> None:
        """Wait until one more request fits in the bucket, and count it as arrived now."""
        async with self._lock:
            await self._room()
            self._level += 1

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Hold a place for one request from before it is sent until its reply is back.

        The portal counts a request when it arrives, and that may be later than we sent it: a
        busy event loop, a connection pool, the portal serving an earlier request first. With
        several requests in flight, one that arrives late lands beside the ones sent after it,
        and a counter kept as of sending would show the portal one request fewer than it counts:
        a 503 with a headroom of one. So a request counts in full while in flight, and joins
        the draining counter when its reply lands, which is never before the portal counted it.
        The portal's counter then never exceeds ours.
        """
        async with self._lock:
            await self._room()
            self._in_flight += 1
        try:
            yield
        finally:
            self._drain()
            self._in_flight -= 1
            self._level += 1

    def fill(self) -> None:
        """The portal says the bucket is full: others behind our IP use it too. Slow down."""
        self._drain()
        self._level = max(self._level, float(self.burst))


class OperatingBudget:
    """Per-method execution-time budget (``time.operating``) with blocks until reset.

    ``operating`` is read as the portal reports it: the seconds this webhook has used on the
    method in the sliding window, not the cost of the one request, so the latest value is kept
    rather than summed. When it comes within ``reserve`` seconds of ``limit``, or the portal
    answers OPERATION_TIME_LIMIT, the method is blocked until ``operating_reset_at``; if no
    reset time is known, for one minute bucket (``window`` / 10). Blocks never exceed ``window``.
    The clock is wall time, because ``operating_reset_at`` is a unix time.
    """

    def __init__(
        self,
        limit: float = 480.0,
        window: float = 600.0,
        *,
        reserve: float = 30.0,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit <= 0 or window <= 0 or reserve < 0:
            msg = "OperatingBudget needs limit > 0, window > 0 and reserve >= 0"
            raise ValueError(msg)
        self.limit = limit
        self.window = window
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._used: dict[str, float] = {}
        self._reset_at: dict[str, float] = {}
        self._blocked: dict[str, float] = {}

    def used(self, method: str) -> float:
        """Seconds of the method's budget the portal last reported as used."""
        return self._used.get(method, 0.0)

    def usage(self) -> dict[str, float]:
        """Every method's last reported use, in seconds."""
        return dict(self._used)

    def record(self, method: str, timing: object) -> None:
        """Take in one reply's ``time`` block (or a batch sub-call's ``result_time`` entry)."""
        if not isinstance(timing, Mapping):
            return
        reset_at = parse_unix_time(timing.get("operating_reset_at"))
        if reset_at is not None:
            self._reset_at[method] = reset_at
        operating = _as_float(timing.get("operating"))
        if operating is None:
            return
        self._used[method] = operating
        if operating >= self.limit - self.reserve and self.blocked_until(method) is None:
            until = self.block(method, reset_at)
            logger.warning(
                "Bitrix24 %s has used %.0f s of its %.0f s budget; pausing it for %.0f s",
                method,
                operating,
                self.limit,
                until - self._clock(),
            )

    def block(self, method: str, reset_at: float | None = None) -> float:
        """Hold the method back until ``reset_at`` (or the best known reset); returns the time."""
        now = self._clock()
        until = reset_at if reset_at is not None and reset_at > now else None
        if until is None:
            known = self._reset_at.get(method)
            until = known if known is not None and known > now else now + self.window / 10
        until = min(until, now + self.window)
        self._blocked[method] = max(until, self._blocked.get(method, until))
        return self._blocked[method]

    def blocked_until(self, method: str) -> float | None:
        """When the method may run again, or None if it may run now."""
        until = self._blocked.get(method)
        if until is None:
            return None
        if until <= self._clock():
            del self._blocked[method]
            return None
        return until

    async def wait(self, method: str) -> None:
        """Sleep while the method is blocked."""
        while (until := self.blocked_until(method)) is not None:
            await self._sleep(until - self._clock())


class RetryPolicy:
    """Which failures are sent again, and the wait before each retry."""

    def __init__(
        self,
        *,
        max_retries: int,
        backoff_base: float,
        backoff_cap: float,
        pacer: LeakyBucket,
        budget: OperatingBudget,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.max_retries = max_retries
        self.delays = backoff_delays(backoff_base, backoff_cap, max_retries)
        self._pacer = pacer
        self._budget = budget
        self._sleep = sleep

    def allows(self, exc: BaseException, attempt: int) -> bool:
        """Whether retry ``attempt + 1`` may follow this failure."""
        return attempt < self.max_retries and is_retryable(exc)

    async def pause(self, method: str, exc: BaseException, attempt: int) -> None:
        """Wait before retry ``attempt + 1``, the way the failure asks for, and log it."""
        if isinstance(exc, OperationTimeLimit):
            # The budget holds the method back; the next attempt waits on it before sending.
            until = self._budget.block(exc.method or method, exc.reset_at)
            logger.warning(
                "Bitrix24 %s; retry %d of %d when its budget resets at %s",
                exc,
                attempt + 1,
                self.max_retries,
                datetime.fromtimestamp(until, tz=UTC).isoformat(timespec="seconds"),
            )
            return
        if isinstance(exc, RateLimited):
            self._pacer.fill()
        delay = self.delays[attempt]
        logger.warning(
            "Bitrix24 %s; retry %d of %d in %.1f s",
            exc,
            attempt + 1,
            self.max_retries,
            delay,
        )
        await self._sleep(delay)


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
