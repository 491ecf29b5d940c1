"""`crm-pulse init` against the portal emulator and the fake Bot API, both on 127.0.0.1."""

from __future__ import annotations

import argparse
import io
import stat
from pathlib import Path

import pytest
from sqlmodel import Session

from app import cmd_init
from app.config import load_config
from app.setup_discover import propose_sales
from store.db import make_engine
from tests.fakes import tg_updates as tu
from tests.integration.init_world import (
    TEAM_CHAT,
    TEAM_TITLE,
    Terminal,
    World,
    portal_now,
    run_in_thread,
    world,
)

TOKEN = "42:TEST"


@pytest.fixture
def fast_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    # The emulator runs without a rate limit here; pace the client to match (a test need
    # not wait for the real 2 requests a second).
    monkeypatch.setenv("CRM_PULSE_PORTAL__REQUESTS_PER_SECOND", "500")
    monkeypatch.setenv("CRM_PULSE_PORTAL__BURST", "500")
    for name in ("CRM_PULSE_PORTAL__WEBHOOK_URL", "CRM_PULSE_TELEGRAM__TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config.toml"


def _args(config: Path, **given: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "config": config,
        "webhook_url": None,
        "telegram_token": None,
        "non_interactive": True,
        "force": False,
    }
    return argparse.Namespace(**{**values, **given})


def _team_start(w: World, sender_id: int = 555) -> None:
    chat = {"id": TEAM_CHAT, "type": "supergroup", "title": TEAM_TITLE}
    w.telegram.add_update(tu.message("/start", sender=tu.user(sender_id, "Anna"), chat=chat))


def _file(path: Path) -> tuple[bool, str, int]:
    """Whether the config exists, its text and its mode."""
    if not path.exists():
        return False, "", 0
    return True, path.read_text(encoding="utf-8"), stat.S_IMODE(path.stat().st_mode)


async def _init(
    w: World, args: argparse.Namespace, stdin: io.StringIO | None = None
) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_in_thread(cmd_init.run, args, stdin or io.StringIO(), out)
    return code, out.getvalue()


async def test_non_interactive_init_writes_a_config_that_passes_check(
    fast_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with world() as w:
        monkeypatch.setenv("CRM_PULSE_TELEGRAM__API_BASE", w.telegram.base_url)
        w.telegram.groups[TEAM_CHAT] = (TEAM_TITLE, "member")
        _team_start(w)
        args = _args(fast_env, webhook_url=w.emulator.webhook_url, telegram_token=TOKEN)
        code, out = await _init(w, args)
        assert code == 0, out
        assert _file(fast_env)[2] == 0o600
        config = load_config(fast_env, environ={})
        assert config.portal.webhook_url.get_secret_value() == w.emulator.webhook_url
        assert config.telegram.token.get_secret_value() == TOKEN
        assert config.telegram.team_chats == [str(TEAM_CHAT)]
        engine = make_engine(config.storage.url)
        with Session(engine) as session:
            expected = propose_sales(session, portal_now(w.emulator.portal.data))
        engine.dispose()
        assert expected
        assert config.scope.sales_departments == expected
        assert {p.bitrix_id: p.role for p in config.people}[1] == "admin"
        assert all(p.telegram_id is None for p in config.people)  # nobody confirmed /start
        assert set(config.plans["department"]) == {str(d) for d in expected}
        # the updates init read are confirmed: `run` will not answer that /start again
        assert w.telegram.requests("getUpdates")[-1].params.get("offset")

        from app import cmd_check

        check_code = await run_in_thread(cmd_check.run, argparse.Namespace(config=fast_env))
        printed = capsys.readouterr().out
        assert check_code == 0, printed
        assert f"ok   team chat '{TEAM_TITLE}'" in printed


async def test_init_never_overwrites_without_force(fast_env: Path) -> None:
    await run_in_thread(fast_env.write_text, "# mine\n", "utf-8")
    async with world() as w:
        code, out = await _init(w, _args(fast_env, webhook_url=w.emulator.webhook_url))
    assert code == 2
    assert "--force" in out
    assert _file(fast_env)[1] == "# mine\n"


async def test_a_rejected_webhook_is_one_line_with_the_fix(fast_env: Path) -> None:
    async with world() as w:
        wrong = w.emulator.webhook_url.replace("testcode", "wrongcode")
        code, out = await _init(w, _args(fast_env, webhook_url=wrong))
    assert code == 1
    assert "fail the portal rejected the webhook" in out
    assert "wrongcode" not in out
    assert "Traceback" not in out
    assert not _file(fast_env)[0]


async def test_a_webhook_that_is_no_address_is_one_line(fast_env: Path) -> None:
    async with world() as w:
        code, out = await _init(w, _args(fast_env, webhook_url="portal.bitrix24.ru/rest/1/x"))
    assert code == 1
    assert "fail the webhook URL is malformed" in out
    assert "Traceback" not in out


async def test_each_missing_scope_is_named_with_the_fix(fast_env: Path) -> None:
    async with world(scopes=frozenset({"crm", "user", "department"})) as w:
        code, out = await _init(w, _args(fast_env, webhook_url=w.emulator.webhook_url))
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("fail")]
    assert [line.split("'")[1] for line in failed] == ["telephony", "task"]
    assert all("tick" in line and "Inbound webhook" in line for line in failed)
    assert not _file(fast_env)[0]


async def test_interactive_init_driven_through_the_terminal(
    fast_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world() as w:
        monkeypatch.setenv("CRM_PULSE_TELEGRAM__API_BASE", w.telegram.base_url)
        w.telegram.groups[TEAM_CHAT] = (TEAM_TITLE, "member")
        _team_start(w, sender_id=777)
        answers = [
            w.emulator.webhook_url.replace("testcode", "typo"),  # refused: asked again
            w.emulator.webhook_url,
            "Mars/Olympus",  # not a time zone: both asked again
            "",
            "",  # time zone: the default
            "",  # store: the default
            "99",  # not a department: asked again
            "3",
            "n",  # no plans
            "bad-token",  # not a token's shape: asked again
            "42:WRONG",  # refused by getMe: asked again
            TOKEN,
            "y",  # that is the team chat
            "y",  # it was me who sent /start
            "y",  # secrets out of the file
            "general",  # not a dialog id: asked again
            "chat12",  # posts to this Bitrix24 chat too
        ]
        terminal = Terminal("\n".join(answers) + "\n")
        code, out = await _init(w, _args(fast_env, non_interactive=False), terminal)
    assert code == 0, out
    assert "fail the portal rejected the webhook" in out
    assert "fail portal.timezone: Value error, unknown time zone 'Mars/Olympus'" in out
    assert "Not department ids of this portal: '99'" in out
    assert "fail the Telegram bot token is malformed" in out
    assert "fail Telegram rejected the bot token" in out
    text = _file(fast_env)[1]
    assert TOKEN not in text
    assert "testcode" not in text
    assert f"export CRM_PULSE_TELEGRAM__TOKEN='{TOKEN}'" in out
    config = load_config(fast_env, environ={})
    assert config.scope.sales_departments == [3]
    assert config.plans == {}
    assert config.bitrix_chat.enabled
    assert config.bitrix_chat.team_dialogs == ["chat12"]
    assert "'general' is not a dialog id" in out
    admin = next(p for p in config.people if p.role == "admin")
    assert admin.telegram_id == 777


async def test_input_ending_early_writes_nothing(fast_env: Path) -> None:
    async with world() as w:
        terminal = Terminal(w.emulator.webhook_url + "\n")
        code, out = await _init(w, _args(fast_env, non_interactive=False), terminal)
    assert code == 1
    assert "nothing was written" in out
    assert not _file(fast_env)[0]


def test_without_a_terminal_init_asks_for_non_interactive(
    fast_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cmd_init.run(_args(fast_env, non_interactive=False), io.StringIO(""), io.StringIO())
    assert code == 2
    assert "--non-interactive" in capsys.readouterr().err
    assert not _file(fast_env)[0]


async def test_an_unreachable_store_is_one_line(fast_env: Path) -> None:
    async with world() as w:
        args = _args(fast_env, webhook_url=w.emulator.webhook_url)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CRM_PULSE_STORAGE__URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
            code, out = await _init(w, args)
    assert code == 1
    assert "fail the store cannot be opened" in out
    assert "Traceback" not in out
    assert not _file(fast_env)[0]


async def test_force_offers_the_replaced_config_as_the_defaults(
    fast_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world() as w:
        monkeypatch.setenv("CRM_PULSE_TELEGRAM__API_BASE", w.telegram.base_url)
        w.telegram.groups[TEAM_CHAT] = (TEAM_TITLE, "member")
        old = (
            f'[portal]\nwebhook_url = "{w.emulator.webhook_url}"\ntimezone = "Europe/Samara"\n'
            f'[telegram]\ntoken = "{TOKEN}"\nteam_chats = ["{TEAM_CHAT}"]\n'
        )
        await run_in_thread(fast_env.write_text, old, "utf-8")
        code, out = await _init(w, _args(fast_env, force=True))  # no URL, no token given
    assert code == 0, out
    config = load_config(fast_env, environ={})
    assert config.portal.webhook_url.get_secret_value() == w.emulator.webhook_url
    assert config.portal.timezone == "Europe/Samara"  # set on purpose: kept
    assert config.telegram.token.get_secret_value() == TOKEN
    assert config.telegram.team_chats == [str(TEAM_CHAT)]  # kept: no new /start was seen
    assert _file(fast_env)[2] == 0o600
