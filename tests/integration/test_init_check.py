"""`crm-pulse check` against the portal emulator and the fake Bot API, both on 127.0.0.1."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from app import cmd_check
from app.config import load_config
from app.settings import bitrix_chat_settings
from app.wiring import bitrix_client
from bot.bitrix.registration import register_bot
from store.db import make_engine
from store.migrate import migrate
from tests.integration.init_world import TEAM_CHAT, TEAM_TITLE, World, run_in_thread, world

LEFT_CHAT = -100999


def _config(tmp_path: Path, w: World, *, token: str = "42:TEST", extra: str = "") -> Path:
    store = tmp_path / "store.db"
    if not store.exists():
        engine = make_engine(f"sqlite:///{store}")
        migrate(engine)
        engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[portal]
webhook_url = "{w.emulator.webhook_url}"
timezone = "Europe/Moscow"
[storage]
url = "sqlite:///{store}"
[telegram]
token = "{token}"
api_base = "{w.telegram.base_url}"
team_chats = ["{TEAM_CHAT}", "{LEFT_CHAT}"]
[schedule]
pace = ""
{extra}
""",
        encoding="utf-8",
    )
    w.telegram.groups[TEAM_CHAT] = (TEAM_TITLE, "member")
    w.telegram.groups[LEFT_CHAT] = ("Old group", "left")
    return path


async def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = await run_in_thread(cmd_check.run, argparse.Namespace(config=path))
    return code, capsys.readouterr().out.splitlines()


def _status(lines: list[str], part: str) -> str:
    found = [line for line in lines if part in line]
    assert len(found) == 1, (part, lines)
    return found[0].split()[0]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CRM_PULSE_PORTAL__WEBHOOK_URL", "CRM_PULSE_TELEGRAM__TOKEN"):
        monkeypatch.delenv(name, raising=False)


async def test_every_line_has_a_status_and_failures_their_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with world(scopes=frozenset({"crm", "user", "department", "task"})) as w:
        code, lines = await _check(_config(tmp_path, w), capsys)
    assert code == 1
    assert all(line.split()[0] in ("ok", "warn", "fail") for line in lines), lines
    assert all(" - fix: " in line for line in lines if line.startswith(("fail", "warn")))
    assert _status(lines, "scope 'telephony' missing") == "fail"
    assert not [line for line in lines if "'im'" in line or "'imbot'" in line]
    assert _status(lines, "reachable; the webhook acts as") == "ok"
    assert _status(lines, "schema 00") == "ok"
    assert _status(lines, "Telegram bot @crm_pulse_bot") == "ok"
    assert _status(lines, f"team chat '{TEAM_TITLE}'") == "ok"
    assert _status(lines, f"({LEFT_CHAT}): the bot may not post (it is left)") == "fail"
    assert _status(lines, "job pace: off") == "ok"
    assert _status(lines, "job morning: next run") == "ok"


async def test_chat_scopes_fail_only_with_bitrix_chat_and_the_bot_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scopes = frozenset({"crm", "telephony", "user", "department", "task", "im", "imbot", "disk"})
    async with world(scopes=scopes - {"disk"}) as w:
        path = _config(tmp_path, w, extra="[bitrix_chat]\nenabled = true\n")
        code, lines = await _check(path, capsys)
        assert _status(lines, "scope 'disk' missing") == "fail"
        assert _status(lines, "Bitrix24 chat bot 'crm_pulse' not registered") == "warn"
        config = load_config(path, environ={})
        async with httpx.AsyncClient() as http:
            await register_bot(bitrix_client(config, http), bitrix_chat_settings(config))
        _, lines = await _check(path, capsys)
        assert _status(lines, "Bitrix24 chat bot 'crm_pulse' registered") == "ok"
    assert code == 1


async def test_a_wrong_token_and_an_old_store_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine, "0003")
    engine.dispose()
    async with world() as w:
        code, lines = await _check(_config(tmp_path, w, token="42:WRONG"), capsys)
    assert code == 1
    assert _status(lines, "Telegram rejected the bot token") == "fail"
    assert _status(lines, "at schema 0003, the program needs") == "fail"
    assert not [line for line in lines if "team chat" in line]


async def test_a_rejected_webhook_is_one_line_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with world(webhook_code="another") as w:
        path = _config(tmp_path, w)
        text = path.read_text(encoding="utf-8").replace("/another/", "/testcode/")
        path.write_text(text, encoding="utf-8")
        code, lines = await _check(path, capsys)
    assert code == 1
    assert _status(lines, "the portal rejected the webhook") == "fail"
    assert not [line for line in lines if "Traceback" in line or "testcode" in line]


async def test_the_public_url_is_checked_at_healthz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {"status": 200}

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True}, status=answers["status"])

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with world() as w:
            path = _config(tmp_path, w, extra=f'[web]\npublic_url = "http://127.0.0.1:{port}"\n')
            _, lines = await _check(path, capsys)
            assert _status(lines, f"public URL http://127.0.0.1:{port} reachable") == "ok"
            answers["status"] = 503
            _, lines = await _check(path, capsys)
            assert _status(lines, "/healthz says the data is stale") == "warn"
            answers["status"] = 404
            _, lines = await _check(path, capsys)
            assert _status(lines, "answers 404 at /healthz") == "fail"
    finally:
        await runner.cleanup()
    async with world() as w:
        path = _config(tmp_path, w, extra=f'[web]\npublic_url = "http://127.0.0.1:{port}"\n')
        code, lines = await _check(path, capsys)
    assert _status(lines, "unreachable (ConnectError)") == "fail"
    assert code == 1


async def test_app_mode_without_tokens_says_to_authorize(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with world() as w:
        path = _config(tmp_path, w)
        text = path.read_text(encoding="utf-8").replace(
            "[portal]\n",
            f'[portal]\nauth = "app"\nurl = "{w.emulator.base_url}"\n'
            'client_id = "local.abc"\nclient_secret = "s3cret"\n',
        )
        path.write_text(text, encoding="utf-8")
        code, lines = await _check(path, capsys)
    assert code == 1
    assert _status(lines, "the application is not authorized") == "fail"
    assert "run crm-pulse auth --config" in next(x for x in lines if "not authorized" in x)
    assert not [line for line in lines if "s3cret" in line]
