"""Pacing with a fake clock: the leaky bucket, the operating-time budget, back-off, retry waits."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest

from crm.errors import AuthError, OperationTimeLimit, RateLimited, ServerError, TransportError
from crm.pacing import (
    LeakyBucket,
    OperatingBudget,
    RetryPolicy,
    backoff_delays,
    parse_unix_time,
)

EPOCH = 1_700_000_000.0


class FakeClock:
    """Time moves only when someone sleeps."""

    def __init__(self, start: float = EPOCH) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


def bucket(clock: FakeClock, rate: float = 2.0, burst: int = 50) -> LeakyBucket:
    return LeakyBucket(rate=rate, burst=burst, clock=clock, sleep=clock.sleep)


async def test_burst_goes_at_once_then_rate_per_second() -> None:
    clock = FakeClock()
    pacer = bucket(clock)
    times = []
    for _ in range(100):
        await pacer.acquire()
        times.append(clock.now - EPOCH)
    assert times[:50] == [0.0] * 50
    assert times[50:] == pytest.approx([0.5 * n for n in range(1, 51)])
    assert clock.now - EPOCH == pytest.approx(25.0)


async def test_concurrent_waiters_never_exceed_the_bucket() -> None:
    clock = FakeClock()
    pacer = bucket(clock, rate=2.0, burst=50)
    granted: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        granted.append(clock.now - EPOCH)

    await asyncio.gather(*(one() for _ in range(120)))
    assert len(granted) == 120
    assert granted.count(0.0) == 50
    for t in granted:
        # By time t no more than burst + rate * t requests may have gone.
        assert sum(1 for g in granted if g <= t) <= 50 + 2.0 * t + 1e-6
    assert max(granted) == pytest.approx(35.0)


async def test_the_bucket_drains_while_idle() -> None:
    clock = FakeClock()
    pacer = bucket(clock, rate=2.0, burst=10)
    for _ in range(10):
        await pacer.acquire()
    assert pacer.level == pytest.approx(10)
    clock.now += 3.0  # six requests' worth drains away
    assert pacer.level == pytest.approx(4)
    for _ in range(6):
        await pacer.acquire()
    assert clock.sleeps == []
    await pacer.acquire()
    assert clock.sleeps == [pytest.approx(0.5)]


async def test_fill_makes_the_next_request_wait_one_drip() -> None:
    clock = FakeClock()
    pacer = bucket(clock, rate=5.0, burst=250)
    pacer.fill()
    await pacer.acquire()
    assert clock.sleeps == [pytest.approx(0.2)]


def test_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        LeakyBucket(rate=0)
    with pytest.raises(ValueError, match="burst"):
        LeakyBucket(burst=0)


def test_backoff_schedule_is_exponential_and_capped() -> None:
    assert backoff_delays(0.5, 30.0, 8) == (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0)
    assert backoff_delays(1.0, 0.5, 2) == (0.5, 0.5)
    assert backoff_delays(0.5, 30.0, 0) == ()
    with pytest.raises(ValueError, match="negative"):
        backoff_delays(-1, 1, 1)


def test_backoff_jitter_only_with_a_seeded_generator() -> None:
    plain = backoff_delays(0.5, 30.0, 6)
    first = backoff_delays(0.5, 30.0, 6, rng=random.Random(7))
    again = backoff_delays(0.5, 30.0, 6, rng=random.Random(7))
    assert first == again
    assert first != plain
    for jittered, exact in zip(first, plain, strict=True):
        assert exact / 2 <= jittered <= exact


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_705_765_533, 1_705_765_533.0),
        (1_705_765_533.5, 1_705_765_533.5),
        ("1705765533", 1_705_765_533.0),
        (1_705_765_533_000, 1_705_765_533.0),  # milliseconds
        ("2024-01-20T18:45:33+03:00", 1_705_765_533.0),
        ("2024-01-20T18:45:33", None),  # no offset: no guess
        ("soon", None),
        ("", None),
        (None, None),
        (True, None),
        ([], None),
    ],
)
def test_reset_times_are_parsed_defensively(value: object, expected: float | None) -> None:
    assert parse_unix_time(value) == expected


def budget(clock: FakeClock, **kwargs: float) -> OperatingBudget:
    return OperatingBudget(clock=clock, sleep=clock.sleep, **kwargs)


async def test_budget_blocks_a_method_near_its_limit_until_the_reset() -> None:
    clock = FakeClock()
    ops = budget(clock, limit=480.0, window=600.0, reserve=30.0)
    ops.record("crm.deal.list", {"operating": 100.0, "operating_reset_at": EPOCH + 40})
    assert ops.used("crm.deal.list") == 100.0
    assert ops.blocked_until("crm.deal.list") is None
    ops.record("crm.deal.list", {"operating": 455.0, "operating_reset_at": EPOCH + 40})
    assert ops.blocked_until("crm.deal.list") == EPOCH + 40
    assert ops.blocked_until("crm.lead.list") is None  # other methods keep working
    await ops.wait("crm.lead.list")
    assert clock.sleeps == []
    await ops.wait("crm.deal.list")
    assert clock.now == EPOCH + 40
    assert ops.blocked_until("crm.deal.list") is None


def test_budget_block_falls_back_to_the_last_known_reset_then_one_minute() -> None:
    clock = FakeClock()
    ops = budget(clock)
    assert ops.block("a") == EPOCH + 60  # nothing known: one minute bucket
    ops.record("b", {"operating": 1, "operating_reset_at": EPOCH + 25})
    assert ops.block("b") == EPOCH + 25  # the reset time of the last good reply
    assert ops.block("c", EPOCH - 5) == EPOCH + 60  # a reset in the past says nothing
    assert ops.block("d", EPOCH + 10_000) == EPOCH + 600  # never longer than the window
    ops.record("e", {"operating": "470.2"})  # near the limit, no reset time anywhere
    assert ops.blocked_until("e") == EPOCH + 60
    ops.record("f", None)
    ops.record("f", {"operating": "n/a"})
    assert ops.used("f") == 0.0


async def test_retry_policy_waits_the_way_each_failure_asks() -> None:
    clock = FakeClock()
    pacer = bucket(clock)
    ops = budget(clock)
    policy = RetryPolicy(
        max_retries=3,
        backoff_base=0.5,
        backoff_cap=30.0,
        pacer=pacer,
        budget=ops,
        sleep=clock.sleep,
    )
    limited = RateLimited("QUERY_LIMIT_EXCEEDED", "Too many requests", 503, method="m")
    assert policy.allows(limited, 0) and policy.allows(limited, 2)
    assert not policy.allows(limited, 3)
    assert not policy.allows(AuthError("NO_AUTH_FOUND", "", 401), 0)
    assert not policy.allows(TransportError("x", retryable=False), 0)
    assert policy.allows(TransportError("x"), 0)
    assert policy.allows(ServerError("", "", 500), 0)

    await policy.pause("m", limited, 1)
    assert clock.sleeps == [1.0]
    assert pacer.level == pytest.approx(50 - 2.0)  # filled, then drained during the 1 s

    blocked = OperationTimeLimit("OPERATION_TIME_LIMIT", "", 429, method="m", reset_at=EPOCH + 90)
    await policy.pause("m", blocked, 0)
    assert clock.sleeps == [1.0]  # no blind sleep: the budget holds the method instead
    assert ops.blocked_until("m") == EPOCH + 90


class PortalCounter:
    """The portal's own bucket: it counts a request when it arrives, not when we sent it."""

    def __init__(self, clock: FakeClock, rate: float, burst: int) -> None:
        self.clock, self.rate, self.burst = clock, rate, burst
        self.level, self.stamp, self.refused = 0.0, clock.now, 0

    def arrive(self) -> None:
        now = self.clock.now
        self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1 > self.burst + 1e-9:
            self.refused += 1
        else:
            self.level += 1


async def _late_one_then_a_burst(
    pacer: LeakyBucket, clock: FakeClock, portal: PortalCounter, burst: int
) -> None:
    """One request reaches the portal late (a busy event loop, a portal serving a slow batch
    first); meanwhile we sit idle long enough for our counter to drain, then send a burst."""
    arrived = asyncio.Event()

    async def late() -> None:
        async with pacer.sending():
            await arrived.wait()
            portal.arrive()

    task = asyncio.create_task(late())
    await asyncio.sleep(0)  # sent, on its way
    clock.now += 10.0
    for _ in range(burst):
        async with pacer.sending():
            portal.arrive()
    arrived.set()
    await task


async def test_requests_in_flight_count_until_their_replies_land() -> None:
    clock = FakeClock()
    pacer = bucket(clock, rate=2.0, burst=3)
    async with pacer.sending(), pacer.sending():
        assert pacer.in_flight == 2
        assert pacer.level == 0
        assert not pacer.busy()
        clock.now += 10.0  # however long the replies take, they still count
        async with pacer.sending():
            assert pacer.busy()
    assert pacer.in_flight == 0
    assert pacer.level == pytest.approx(3)  # they joined the counter as they landed
    await pacer.acquire()
    assert clock.sleeps == [pytest.approx(0.5)]


async def test_a_late_arrival_never_overflows_the_portal_counter() -> None:
    """A request still in flight holds its place: the burst after an idle spell leaves room
    for it. Counted as of sending, it would have drained away and the portal refuse one."""
    clock = FakeClock()
    portal = PortalCounter(clock, rate=2.0, burst=5)
    pacer = bucket(clock, rate=2.0, burst=5)
    waited = asyncio.create_task(_late_one_then_a_burst(pacer, clock, portal, burst=5))
    for _ in range(10_000):  # until the burst is held up
        if pacer.busy() and pacer.in_flight == 1:
            break
        await asyncio.sleep(0)
    assert pacer.in_flight == 1  # the late one; the fifth of the burst waits for it
    await waited
    assert portal.refused == 0
    assert clock.sleeps  # the fifth waited for room

    class AsOfSending(LeakyBucket):
        @contextlib.asynccontextmanager
        async def sending(self) -> AsyncIterator[None]:
            await self.acquire()
            yield

    clock = FakeClock()
    portal = PortalCounter(clock, rate=2.0, burst=5)
    old = AsOfSending(2.0, 5, clock=clock, sleep=clock.sleep)
    await _late_one_then_a_burst(old, clock, portal, burst=5)
    assert portal.refused == 1
