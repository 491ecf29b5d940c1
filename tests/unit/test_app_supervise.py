"""``supervised``: a front end that cannot start retries with backoff in one line per attempt,
a rejected token stops the process, and everything else keeps running meanwhile."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import GetMe

from app.supervise import FrontEndFatal, supervised
from crm.errors import AuthError

TOKEN = "123456:AAH-secret-token-value"
FAST = {"first_delay": 0.001, "max_delay": 0.004}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "app.supervise" and r.levelno == logging.WARNING
    ]


async def test_a_front_end_that_cannot_start_retries_one_line_each_then_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    stop = asyncio.Event()
    attempts: list[int] = []
    running = asyncio.Event()

    async def polling() -> None:
        attempts.append(1)
        if len(attempts) <= 3:
            raise TelegramNetworkError(GetMe(), f"Cannot connect to host (bot{TOKEN})")
        running.set()
        await stop.wait()

    task = asyncio.create_task(
        supervised("Telegram polling", polling, stop, secrets=[TOKEN], **FAST)
    )
    await asyncio.wait_for(running.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)

    lines = _warnings(caplog)
    assert len(lines) == 3
    assert [f"(attempt {n})" in r.getMessage() for n, r in enumerate(lines, 1)] == [True] * 3
    assert all(
        "could not start" in r.getMessage() and "retrying in" in r.getMessage() for r in lines
    )
    assert all(r.exc_info is None for r in caplog.records)
    assert TOKEN not in caplog.text


async def test_a_rejected_token_is_fatal_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    calls = 0

    async def polling() -> None:
        nonlocal calls
        calls += 1
        raise TelegramUnauthorizedError(GetMe(), "Unauthorized")

    with pytest.raises(FrontEndFatal, match="401 Unauthorized.*telegram.token"):
        await asyncio.wait_for(supervised("Telegram polling", polling, stop, **FAST), 5)
    assert calls == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None


async def test_the_portal_refusing_the_bot_is_fatal() -> None:
    async def bot() -> None:
        raise AuthError(
            "INVALID_CREDENTIALS", "Invalid request credentials", 401, method="imbot.register"
        )

    with pytest.raises(FrontEndFatal, match="imbot.register.*portal.webhook_url"):
        await asyncio.wait_for(supervised("Bitrix24 bot", bot, asyncio.Event(), **FAST), 5)


async def test_the_other_front_end_and_the_schedule_run_while_one_retries() -> None:
    stop = asyncio.Event()
    failures = 0
    ticks = 0

    async def unreachable() -> None:
        nonlocal failures
        failures += 1
        raise OSError("Network is unreachable")

    async def other_front_end() -> None:
        nonlocal ticks
        while ticks < 20:
            ticks += 1
            await asyncio.sleep(0)
        stop.set()

    await asyncio.wait_for(
        asyncio.gather(
            supervised("Telegram polling", unreachable, stop, **FAST), other_front_end()
        ),
        5,
    )
    assert ticks == 20
    assert failures >= 1


async def test_stop_ends_the_wait_between_attempts() -> None:
    stop = asyncio.Event()

    async def unreachable() -> None:
        stop.set()  # the operator stops the process while the front end is down
        raise OSError("Connection refused")

    # a wait of an hour would fail this test by its timeout: the stop ends it at once
    await asyncio.wait_for(
        supervised("Telegram polling", unreachable, stop, first_delay=3600, max_delay=3600), 5
    )


async def test_an_unexpected_error_shows_its_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    calls = 0

    async def buggy() -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            stop.set()
        raise KeyError("chat_id")

    await asyncio.wait_for(supervised("Bitrix24 bot", buggy, stop, **FAST), 5)
    with_traceback = [r for r in caplog.records if r.exc_info is not None]
    assert len(with_traceback) == 1
    assert len(_warnings(caplog)) == 4


async def test_backoff_doubles_and_resets_after_a_healthy_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    now = [0.0]
    # how long each start "runs" before it fails, on a clock of our own
    runs = [0.0, 0.0, 0.0, 120.0, 0.0]

    async def flaky() -> None:
        now[0] += runs.pop(0)
        if not runs:
            stop.set()
        raise ConnectionResetError("reset by peer")

    await asyncio.wait_for(
        supervised(
            "Telegram polling",
            flaky,
            stop,
            first_delay=0.001,
            max_delay=1.0,
            healthy_after=60,
            clock=lambda: now[0],
        ),
        5,
    )
    messages = [r.getMessage() for r in _warnings(caplog)]
    attempts = [int(m.split("(attempt ")[1].split(")")[0]) for m in messages]
    assert attempts == [1, 2, 3, 1, 2]
    assert "stopped (attempt 1)" in messages[3]


async def test_a_front_end_that_returns_by_itself_is_started_again() -> None:
    stop = asyncio.Event()
    starts = 0

    async def returns() -> None:
        nonlocal starts
        starts += 1
        if starts == 3:
            stop.set()

    await asyncio.wait_for(supervised("Bitrix24 bot", returns, stop, **FAST), 5)
    assert starts == 3
