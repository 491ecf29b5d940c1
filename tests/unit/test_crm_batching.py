"""``BatchPool``: submissions made together share one batch; each gets its own part back."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from crm.batching import BatchPool
from crm.errors import ServerError
from crm.query import BatchResult


class Portal:
    """Answers each command with its own key; records every batch sent."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[list[str], bool]] = []
        self.fail = fail

    async def send(self, commands: Mapping[str, tuple[str, Any]], halt: bool) -> BatchResult:
        self.sent.append((list(commands), halt))
        await asyncio.sleep(0)
        if self.fail:
            raise ServerError("", "boom", 500, method="batch")
        return BatchResult(
            results={k: [k] for k in commands},
            totals={k: 1 for k in commands},
        )


def _commands(prefix: str, n: int) -> dict[str, tuple[str, dict[str, Any]]]:
    return {f"{prefix}c{i:04d}": ("crm.deal.list", {}) for i in range(1, n + 1)}


async def test_submissions_made_together_share_one_batch() -> None:
    portal = Portal()
    pool = BatchPool(portal.send, linger=0.01)
    a, b = pool.prefix(), pool.prefix()
    assert a != b
    first, second = await asyncio.gather(
        pool.submit(_commands(a, 3), halt=True), pool.submit(_commands(b, 2), halt=True)
    )
    assert len(portal.sent) == 1
    keys, halt = portal.sent[0]
    assert len(keys) == 5
    assert halt is False  # one listing's failure must not stop the other's commands
    assert set(first.results) == set(_commands(a, 3))
    assert set(second.results) == set(_commands(b, 2))
    assert set(second.totals) == set(_commands(b, 2))


async def test_alone_a_submission_keeps_its_halt() -> None:
    portal = Portal()
    pool = BatchPool(portal.send, linger=0.001)
    await pool.submit(_commands(pool.prefix(), 2), halt=True)
    assert portal.sent == [(list(_commands("q1_", 2)), True)]


async def test_more_than_fifty_commands_waiting_go_in_several_batches() -> None:
    portal = Portal()
    pool = BatchPool(portal.send, linger=0.01)
    parts = [pool.prefix() for _ in range(4)]
    results = await asyncio.gather(*(pool.submit(_commands(p, 20)) for p in parts))
    assert [len(keys) for keys, _ in portal.sent] == [40, 40]
    for prefix, result in zip(parts, results, strict=True):
        assert set(result.results) == set(_commands(prefix, 20))
    with pytest.raises(ValueError, match="at most 50"):
        await pool.submit(_commands(pool.prefix(), 51))


async def test_a_failed_request_fails_every_submission_in_it() -> None:
    pool = BatchPool(Portal(fail=True).send, linger=0.01)
    outcomes = await asyncio.gather(
        pool.submit(_commands(pool.prefix(), 1)),
        pool.submit(_commands(pool.prefix(), 1)),
        return_exceptions=True,
    )
    assert all(isinstance(o, ServerError) for o in outcomes)


async def test_while_the_pacing_is_busy_part_batches_wait_to_go_together() -> None:
    """Tails of two listings a while apart travel in one request when the pacing would make
    the first wait anyway; with an idle pacing the first goes at once."""
    portal = Portal()
    busy = True
    pool = BatchPool(portal.send, linger=0.001, busy=lambda: busy, hold=5.0)
    first = asyncio.create_task(pool.submit(_commands(pool.prefix(), 11)))
    for _ in range(200):  # well past the linger: a tail alone would have gone by now
        await asyncio.sleep(0)
    await asyncio.sleep(0.02)
    assert portal.sent == []
    second = asyncio.create_task(pool.submit(_commands(pool.prefix(), 34)))
    await asyncio.sleep(0.02)
    busy = False
    await asyncio.gather(first, second)
    assert [len(keys) for keys, _ in portal.sent] == [45]

    idle = Portal()
    pool = BatchPool(idle.send, linger=0.001, busy=lambda: False, hold=5.0)
    await pool.submit(_commands(pool.prefix(), 3))
    assert [len(keys) for keys, _ in idle.sent] == [3]


async def test_a_part_batch_waits_no_longer_than_hold() -> None:
    portal = Portal()
    pool = BatchPool(portal.send, linger=0.001, busy=lambda: True, hold=0.05)
    await asyncio.wait_for(pool.submit(_commands(pool.prefix(), 3)), timeout=5)
    assert [len(keys) for keys, _ in portal.sent] == [3]
