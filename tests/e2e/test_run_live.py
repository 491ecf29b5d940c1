"""Live data end to end: the emulator changes, sends the event a real portal would send to
`crm-pulse run` (a subprocess), which reads the record back into its store and, for a missed
call, tells the head in Telegram (the fake Bot API) within seconds."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulator.generator import generate
from emulator.live_calls import add_call
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from tests.e2e.process import HEAD_TELEGRAM, cli, until, write_config
from tests.fakes.botapi import FakeTelegram, serve_botapi

EVENTS_TOKEN = "e2e-events-token-5d1c"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LIVE = """[schedule]
quiet_hours = ""
sync = ""
[calendar]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
[logging]
level = "INFO"
"""


def write_live_config(
    path: Path, emulator: Emulator, api_base: str, store: Path, port: int
) -> None:
    events = f'[events]\nenabled = true\napplication_token = "{EVENTS_TOKEN}"\n'
    extra = f"{LIVE}[web]\nport = {port}\n{events}"
    portal = f'webhook_url = "{emulator.webhook_url}"'
    write_config(path, portal=portal, store=store, api_base=api_base, extra=extra)


@dataclass
class Live:
    portal: Portal
    emulator: Emulator
    fake: FakeTelegram
    store: Path
    port: int

    def stored(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.store) as db:
            return db.execute(sql, args).fetchall()


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    today = dt.datetime.now(dt.UTC).date()
    portal = Portal(generate(5, "small", today))
    port = free_port()
    config = tmp_path / "config.toml"
    store = tmp_path / "store.db"
    async with (
        running_emulator(
            portal,
            rate_limit=False,
            events_to=f"http://127.0.0.1:{port}/bitrix24/events",
            events_token=EVENTS_TOKEN,
            events_delay=(0.05, 0.2),
        ) as emulator,
        serve_botapi() as fake,
    ):
        write_live_config(config, emulator, fake.base_url, store, port)
        sync = await cli("sync", "--config", str(config))
        _, err = await asyncio.wait_for(sync.communicate(), 120)
        assert sync.returncode == 0, err.decode()
        process = await cli("run", "--config", str(config))
        try:
            live = Live(portal, emulator, fake, store, port)
            await until(lambda: _listening(port), 60, "the listener")
            yield live
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 60)
            print(err.decode())  # the run's log, shown when a test fails
        assert process.returncode == 0, err.decode()
        assert EVENTS_TOKEN not in err.decode()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_a_deleted_company_leaves_the_store_within_seconds(live: Live) -> None:
    company = int(live.portal.rows("companies")[0]["ID"])
    assert live.stored("SELECT id FROM companies WHERE id = ?", company)
    renamed = int(live.portal.rows("companies")[1]["ID"])

    live.portal.delete("companies", company)
    live.portal.update("companies", renamed, TITLE="ООО «Живые данные»")

    seconds = await until(
        lambda: not live.stored("SELECT id FROM companies WHERE id = ?", company),
        20,
        "the deleted company leaving the store",
    )
    await until(
        lambda: (
            live.stored("SELECT title FROM companies WHERE id = ?", renamed)
            == [("ООО «Живые данные»",)]
        ),
        20,
        "the renamed company",
    )
    assert seconds < 20


async def test_a_missed_call_is_told_to_the_head_within_15_seconds(live: Live) -> None:
    missed = add_call(live.portal, "+7 (495) 123-45-67", None, "missed")

    alert = await live.fake.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.params.get("chat_id") == HEAD_TELEGRAM
            and "123-45-67" in str(c.params.get("text", ""))
        ),
        within=15,
    )
    assert "+7 495 123-45-67" in alert.params["text"]
    told = [
        c
        for c in live.fake.calls
        if c.method == "sendMessage" and "123-45-67" in str(c.params.get("text", ""))
    ]
    assert len(told) == 1

    # An employee calls back: a one-second call that starts after the missed one ended.
    ended = dt.datetime.fromisoformat(missed["CALL_START_DATE"])
    await until(lambda: live.portal.local_now() >= ended + dt.timedelta(seconds=2), 5, "a second")
    add_call(live.portal, "8 495 123 45 67", 3, "outgoing", 1)

    note = await live.fake.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.params.get("chat_id") == HEAD_TELEGRAM
            and "123-45-67" in str(c.params.get("text", ""))
            and c is not alert
        ),
        within=15,
    )
    assert "через" in note.params["text"]

    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"http://127.0.0.1:{live.port}/metrics")).text
    assert 'crm_pulse_posts_sent{job="missed_live"} 1.0' in metrics
    assert "crm_pulse_alert_latency_seconds_count 1.0" in metrics
