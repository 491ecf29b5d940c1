"""From nothing to the first morning post, as the README says: init, check, post morning.

Against the portal emulator and the fake Bot API, both on 127.0.0.1; only the commands a
newcomer types, driven in-process.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app import cmd_check, cmd_init, cmd_post
from tests.fakes import tg_updates as tu
from tests.integration.init_world import TEAM_CHAT, TEAM_TITLE, run_in_thread, world


@pytest.fixture
def fresh_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CRM_PULSE_PORTAL__REQUESTS_PER_SECOND", "500")
    monkeypatch.setenv("CRM_PULSE_PORTAL__BURST", "500")
    for name in ("CRM_PULSE_PORTAL__WEBHOOK_URL", "CRM_PULSE_TELEGRAM__TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config.toml"


async def test_init_check_then_the_morning_post_reaches_the_team_chat(
    fresh_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with world() as w:
        monkeypatch.setenv("CRM_PULSE_TELEGRAM__API_BASE", w.telegram.base_url)
        w.telegram.groups[TEAM_CHAT] = (TEAM_TITLE, "member")
        chat = {"id": TEAM_CHAT, "type": "supergroup", "title": TEAM_TITLE}
        w.telegram.add_update(tu.message("/start", sender=tu.user(555, "Anna"), chat=chat))
        init = argparse.Namespace(
            config=fresh_env,
            webhook_url=w.emulator.webhook_url,
            telegram_token="42:TEST",
            non_interactive=True,
            force=False,
        )
        assert await run_in_thread(cmd_init.run, init) == 0
        assert await run_in_thread(cmd_check.run, argparse.Namespace(config=fresh_env)) == 0
        post = argparse.Namespace(config=fresh_env, job="morning", force=False)
        assert await run_in_thread(cmd_post.run, post) == 0
        sent = [c for c in w.telegram.sent() if c.method.startswith("send")]
        assert sent, [c.method for c in w.telegram.calls]
        assert {int(c.params["chat_id"]) for c in sent} == {TEAM_CHAT}
        assert any(c.method in ("sendPhoto", "sendMediaGroup") for c in sent)
        # the ledger holds: a second run posts nothing new
        assert await run_in_thread(cmd_post.run, post) == 0
        again = [c for c in w.telegram.sent() if c.method.startswith("send")]
        assert len(again) == len(sent)
    assert w.telegram.errors == []
    assert "Traceback" not in capsys.readouterr().err
