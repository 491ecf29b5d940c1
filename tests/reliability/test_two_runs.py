"""Two ``crm-pulse run`` on one store (SQLite and PostgreSQL): the morning post arrives once.

The first process leads the schedule and catches the morning up; the second stands by. When
the leader is stopped, the second takes over and catches up too: the delivery ledger must
make that a no-op, so the team chat holds one morning post, not two, and nothing crashes.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.process import cli
from tests.fakes.botapi import TOKEN, serve_botapi
from tests.reliability.world import postgres_database, run_cli, serving, wait_until, write_config

TEAM = -1001234567890
POSTING = ("sendPhoto", "sendMediaGroup", "sendMessage")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with postgres_database() as url:
        yield url


class Run:
    """One ``crm-pulse run`` subprocess and the log it has written so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.log: list[str] = []
        assert process.stderr is not None
        self.reader = asyncio.create_task(self._read(process.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            self.log.append(line.decode(errors="replace"))  # noqa: PERF401 (read while it runs)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.log)

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 60)
        await self.reader
        return code


async def test_two_runs_on_one_store_post_the_morning_once(store: str, tmp_path: Path) -> None:
    async with serving() as emulator, serve_botapi() as fake:
        extra = f"""
[telegram]
token = "{TOKEN}"
api_base = "{fake.base_url}"
team_chats = ["{TEAM}"]
[scope]
sales_departments = [2]
[web]
port = 0
[calendar]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
[schedule]
quiet_hours = ""
morning = "0 0 * * *"
grace_minutes = {{ morning = 1440 }}
leader_lease_seconds = 5
disabled = ["weekly", "pace", "missed", "overdue", "celebrate", "contests", "streaks", "badges"]
"""
        config = str(write_config(tmp_path / "config.toml", emulator.webhook_url, store, extra))
        code, _, err = await run_cli("sync", "--config", config)
        assert code == 0, err

        def team_posts() -> int:
            return sum(
                1 for c in fake.calls if c.method in POSTING and c.params.get("chat_id") == TEAM
            )

        first = Run(await cli("run", "--config", config))
        second: Run | None = None
        try:
            await wait_until(lambda: first.said("morning") and first.said("sent"), 120, "post")
            await wait_until(lambda: team_posts() > 0, 30, "the morning post in the team chat")
            posted = team_posts()
            second = Run(await cli("run", "--config", config))
            await wait_until(lambda: second.said("running:"), 60, "the second run's start")
            assert not second.said("this process runs the schedule now")
            assert await first.stop() == 0, "".join(first.log)
            await wait_until(
                lambda: second.said("this process runs the schedule now"), 60, "the takeover"
            )
            await wait_until(lambda: second.said("morning"), 60, "the second catch-up")
            assert team_posts() == posted, "".join(second.log)
        finally:
            codes = [await first.stop()] + ([await second.stop()] if second else [])
        logs = "".join(first.log) + "".join(second.log if second else [])
        assert codes == [0, 0], logs
        assert "Traceback" not in logs, logs
        # the first sent it; the second's catch-up found it in the ledger
        assert any(x.rstrip().endswith(": sent 1") for x in first.log if "morning" in x)
        taken_over = [x for x in second.log if "morning" in x] if second else []
        assert any("sent 0 already sent 1" in x for x in taken_over), taken_over
