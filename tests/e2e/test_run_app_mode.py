"""App mode end to end: no public address, `crm-pulse run` drains the portal's offline queue.

`crm-pulse auth --code` keeps the tokens, `crm-pulse sync` fills the store, then `run` (a
subprocess) binds the offline events and drains them every second. A deleted company and a
missed call reach the store and the head's Telegram within 10 s, across an access token
that expires under it and a restart of the process, and nothing is told twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sqlite3
from pathlib import Path

from emulator.generator import generate
from emulator.live_calls import add_call
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from tests.e2e.process import HEAD_TELEGRAM, cli, until, write_config
from tests.e2e.test_run_live import LIVE
from tests.fakes.botapi import serve_botapi


def write_app_config(path: Path, emu: Emulator, api_base: str, store: Path) -> None:
    portal = (
        f'auth = "app"\nurl = "{emu.base_url}"\n'
        f'client_id = "{emu.settings.oauth_client_id}"\n'
        f'client_secret = "{emu.settings.oauth_client_secret}"\n'
        f'oauth_url = "{emu.oauth_url}"'
    )
    extra = f"{LIVE}[web]\nport = 0\n[events]\noffline = true\noffline_poll_seconds = 1\n"
    write_config(path, portal=portal, store=store, api_base=api_base, extra=extra)


async def collect(process: asyncio.subprocess.Process, lines: list[str]) -> None:
    assert process.stderr is not None
    while line := await process.stderr.readline():
        lines.append(line.decode())


async def finished(*args: str) -> str:
    process = await cli(*args)
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_offline_queue_brings_deletions_and_missed_calls(tmp_path: Path) -> None:
    portal = Portal(generate(5, "small", dt.datetime.now(dt.UTC).date()))
    config, store = tmp_path / "config.toml", tmp_path / "store.db"

    def stored(sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(store) as db:
            return db.execute(sql, args).fetchall()

    async with (
        running_emulator(portal, rate_limit=False, oauth_token_seconds=4) as emu,
        serve_botapi() as fake,
    ):
        write_app_config(config, emu, fake.base_url, store)
        code = emu.oauth.authorize(emu.settings.oauth_client_id)
        await finished("auth", "--config", str(config), "--code", code)
        await finished("sync", "--config", str(config))

        def told(phone: str) -> list[object]:
            return [
                c
                for c in fake.calls
                if c.method == "sendMessage"
                and c.params.get("chat_id") == HEAD_TELEGRAM
                and phone in str(c.params.get("text", ""))
            ]

        for round_, phone in enumerate(("+7 495 111-22-33", "+7 495 444-55-66")):
            process = await cli("run", "--config", str(config))
            lines: list[str] = []
            reader = asyncio.create_task(collect(process, lines))
            try:
                await until(
                    lambda out=lines: any("running:" in x for x in out), 90, "run to start"
                )
                await until(lambda: bool(emu.offline.bindings), 30, "the offline bindings")
                company = int(portal.rows("companies")[round_]["ID"])
                portal.delete("companies", company)
                add_call(portal, phone, None, "missed")
                await until(
                    lambda c=company: not stored("SELECT id FROM companies WHERE id = ?", c),
                    10,
                    "the deleted company leaving the store",
                )
                shown = phone[-9:]
                await until(lambda s=shown: len(told(s)) == 1, 10, "the missed-call alert")
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
                await reader
                print("".join(lines))  # the run's log, shown when the test fails
            log = "".join(lines)
            assert process.returncode == 0, log
            assert emu.settings.oauth_client_secret not in log
            assert "access token refreshed" in log  # they last 4 s: each run renews them
        # Tokens lasted 4 s: the process refreshed them under load, and lost nothing.
        assert len(told("111-22-33")) == 1 and len(told("444-55-66")) == 1
