"""Secrets never leave: the webhook code, the bot token, the application token and the OAuth
client secret appear in no log line at DEBUG, no error text, no ``check`` line, no cell of
the store (its error columns included) and no xlsx, even when the portal fails and the
Telegram server cannot be reached."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import zipfile
from pathlib import Path

import httpx

from tests.reliability.world import run_cli, serving

CODE = "Wh00kS3cretC0de9x"
WRONG_CODE = "WrongC0deSecretZZ"
BOT_TOKEN = "987654321:AAbotSecretTokenValue_xyz"
APP_TOKEN = "appT0kenSecretValue42"
CLIENT_SECRET = "clientSecretOAuthValue0123456789"
SECRETS = (CODE, WRONG_CODE, BOT_TOKEN, APP_TOKEN, CLIENT_SECRET, BOT_TOKEN.split(":")[1])


def _config(path: Path, webhook: str, store: Path, telegram: str) -> Path:
    path.write_text(
        f"""
[portal]
webhook_url = "{webhook}"
max_retries = 2
client_id = "local.app"
client_secret = "{CLIENT_SECRET}"
[storage]
url = "sqlite:///{store}"
[telegram]
token = "{BOT_TOKEN}"
api_base = "{telegram}"
team_chats = ["-100123"]
[events]
enabled = true
application_token = "{APP_TOKEN}"
[logging]
level = "DEBUG"
""",
        encoding="utf-8",
    )
    return path


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _store_text(store: Path) -> str:
    with sqlite3.connect(store) as conn:
        return "\n".join(conn.iterdump())


def _xlsx_text(folder: Path) -> str:
    texts = []
    for book in folder.rglob("*.xlsx"):
        with zipfile.ZipFile(book) as archive:
            texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    assert texts, "no workbook written"
    return "\n".join(texts)


async def test_no_secret_in_logs_errors_check_store_or_xlsx(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    with socket.socket() as closed:  # a Telegram server that is not there
        closed.bind(("127.0.0.1", 0))
        telegram = f"http://127.0.0.1:{closed.getsockname()[1]}"
        async with serving(webhook_code=CODE) as emulator:
            # the portal fails along the way: errors are logged and stored with their texts
            async with httpx.AsyncClient(base_url=emulator.base_url) as http:
                for fault in (
                    {"kind": "server_error", "method": "crm.deal.list", "times": 3},
                    {"kind": "drop", "method": "crm.lead.list", "times": 1},
                    {"kind": "rate_limit", "method": "crm.activity.list", "times": 1},
                ):
                    (await http.post("/_emulator/faults", json=fault)).raise_for_status()
            config = _config(tmp_path / "config.toml", emulator.webhook_url, store, telegram)
            sync = await run_cli("sync", "--config", str(config))
            wrong = _config(
                tmp_path / "wrong.toml",
                emulator.webhook_url.replace(CODE, WRONG_CODE),
                tmp_path / "other.db",
                telegram,
            )
            where = ("--out", str(tmp_path / "out"), "--config", str(config))
            # independent of each other: at once
            check, report, refused = await asyncio.gather(
                run_cli("check", "--config", str(config)),
                run_cli("report", "rating", "--xlsx", *where),
                run_cli("sync", "--config", str(wrong)),
            )

    assert sync[0] == 1, sync[2]  # deals failed for good: a failed sync, said so
    assert "crm.deal.list" in sync[1] + sync[2]
    assert "DEBUG" in sync[2]  # the log was on at DEBUG
    assert refused[0] == 3, refused[2]
    assert "the portal refused the webhook" in refused[2]
    assert check[0] != 0  # Telegram cannot be reached: check says so
    assert report[0] == 0, report[2]
    for name, (_, out, err) in {
        "sync": sync,
        "check": check,
        "report": report,
        "refused": refused,
    }.items():
        assert _leaks(out + err) == [], f"{name} printed a secret"
    assert _leaks(_store_text(store)) == []
    assert _leaks(_store_text(tmp_path / "other.db")) == []
    assert _leaks(_xlsx_text(tmp_path / "out")) == []
