"""`crm-pulse run` as a user starts it: a subprocess against the portal emulator and a fake
Bot API server on 127.0.0.1. A linked head asks /rating and gets a chart; a stranger gets
no figures; every request the bot sends is checked against the Bot API schema."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import running_emulator
from tests.e2e.process import HEAD_TELEGRAM, cli, write_config
from tests.fakes import tg_updates as tg
from tests.fakes.botapi import Call, serve_botapi

STRANGER_TELEGRAM = 700002


def write_config_for(path: Path, webhook_url: str, api_base: str, store: Path) -> None:
    portal = f'webhook_url = "{webhook_url}"'
    extra = '[web]\nport = 0\n[logging]\nlevel = "WARNING"'
    write_config(path, portal=portal, store=store, api_base=api_base, extra=extra)


async def test_run_answers_a_linked_head_and_refuses_a_stranger(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    portal = Portal(generate(5, "small", today))
    config = tmp_path / "config.toml"
    async with running_emulator(portal, rate_limit=False) as emulator, serve_botapi() as fake:
        write_config_for(config, emulator.webhook_url, fake.base_url, tmp_path / "store.db")
        sync = await cli("sync", "--config", str(config))
        out, err = await asyncio.wait_for(sync.communicate(), 120)
        assert sync.returncode == 0, err.decode()
        assert b"requests" in out

        process = await cli("run", "--config", str(config))
        try:
            head = tg.user(HEAD_TELEGRAM, "Head")
            stranger = tg.user(STRANGER_TELEGRAM, "Stranger")
            fake.add_update(tg.message("/rating", sender=head))
            fake.add_update(tg.message("/rating", sender=stranger))

            def to(chat: int, method: str) -> object:
                return lambda c: c.method == method and c.params.get("chat_id") == chat

            photo: Call = await fake.wait_for(to(HEAD_TELEGRAM, "sendPhoto"), within=90)
            refusal: Call = await fake.wait_for(to(STRANGER_TELEGRAM, "sendMessage"), within=30)
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()

    (png,) = photo.files.values()
    assert png.startswith(b"\x89PNG")
    assert "Рейтинг" in photo.params["caption"]
    assert "/link" in refusal.params["text"]
    stranger_calls = [c.method for c in fake.calls if c.params.get("chat_id") == STRANGER_TELEGRAM]
    assert stranger_calls == ["sendMessage"]
    assert fake.errors == []
    # The webhook's secret code never reaches the process's output.
    assert emulator.settings.webhook_code not in err.decode()
