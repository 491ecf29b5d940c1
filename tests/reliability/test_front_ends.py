"""``crm-pulse run`` whose Telegram cannot be reached keeps running: polling is retried with
backoff in one line per attempt while the schedule syncs; a bot token Telegram rejects
(401) stops the process with a non-zero exit and one line saying which key to fix.

Before: the polling task died with a traceback and the process exited 0 in 0.2 s, so a
restart-on-failure policy never brought it back.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

from tests.e2e.process import cli
from tests.fakes.botapi import serve_botapi
from tests.reliability.world import serving, wait_until, write_config

RUN = """
[telegram]
token = "{token}"
api_base = "{api}"
[web]
port = 0
[schedule]
quiet_hours = ""
disabled = ["morning", "weekly", "pace", "overdue", "celebrate", "contests", "streaks", "badges"]
[calendar]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""


async def _collect(stream: asyncio.StreamReader, lines: list[str]) -> None:
    async for line in stream:
        lines.append(line.decode(errors="replace"))  # noqa: PERF401  (read while it runs)


async def test_run_with_telegram_unreachable_retries_and_keeps_the_schedule(
    tmp_path: Path,
) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        api = f"http://127.0.0.1:{closed.getsockname()[1]}"
        async with serving() as emulator:
            extra = RUN.format(token="42:TEST", api=api)
            store = f"sqlite:///{tmp_path / 'store.db'}"
            config = write_config(tmp_path / "config.toml", emulator.webhook_url, store, extra)
            process = await cli("run", "--config", str(config))
            assert process.stderr is not None
            lines: list[str] = []
            reader = asyncio.create_task(_collect(process.stderr, lines))
            try:

                def retried(times: int) -> bool:
                    return sum("Telegram polling could not start" in x for x in lines) >= times

                await wait_until(lambda: retried(2), 60, "two attempts at Telegram")
                # meanwhile the schedule works: its first sync fills the store
                await wait_until(lambda: any("sync done in" in x for x in lines), 90, "a sync")
                assert process.returncode is None
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
                await reader
    log = "".join(lines)
    assert process.returncode == 0, log
    attempts = [x for x in lines if "Telegram polling could not start" in x]
    assert "(attempt 1)" in attempts[0] and "(attempt 2)" in attempts[1]
    assert "retrying in" in attempts[0]
    assert "Traceback" not in log


async def test_run_with_a_rejected_bot_token_exits_non_zero_in_one_line(tmp_path: Path) -> None:
    async with serving() as emulator, serve_botapi() as fake:
        extra = RUN.format(token="42:REVOKED", api=fake.base_url)  # the fake knows 42:TEST
        store = f"sqlite:///{tmp_path / 'store.db'}"
        config = write_config(tmp_path / "config.toml", emulator.webhook_url, store, extra)
        process = await cli("run", "--config", str(config))
        _, err = await asyncio.wait_for(process.communicate(), 90)
    log = err.decode()
    assert process.returncode == 1, log
    fatal = [x for x in log.splitlines() if "401 Unauthorized" in x]
    assert fatal, log
    assert "telegram.token" in fatal[0]
    assert "Traceback" not in log
    assert "REVOKED" not in log
