"""App mode's auth against the emulator's OAuth side: the code caught on the 127.0.0.1
redirect and exchanged, `crm-pulse auth --code` keeping the tokens in an owner-only SQLite
file, a sync that goes on while its tokens keep expiring, and a dead refresh token ending
`crm-pulse sync` with one line that names the command to run.
"""

from __future__ import annotations

import asyncio
import io
import os
import stat
import sys
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.cmd_auth import authorize, code_from
from app.config import Config, PortalConfig, StorageConfig
from app.wiring import bitrix_client
from crm.auth import AppAuth, EngineTokenStore, portal_key, tokens_from_reply
from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from store.db import make_engine
from store.migrate import migrate
from store.models import Company, Deal
from store.oauth_models import load_tokens, save_tokens, secure_sqlite_file

TODAY = date(2026, 3, 18)
ROOT = Path(__file__).resolve().parents[2]


def _portal() -> Portal:
    data = generate(11, "small", TODAY)
    as_of = datetime.fromisoformat(data.as_of)
    started = time.monotonic()
    return Portal(data, now=lambda: as_of + timedelta(seconds=time.monotonic() - started))


def _config(emu: Emulator, store_url: str) -> Config:
    return Config(
        portal=PortalConfig(
            auth="app",
            url=emu.base_url,
            client_id=emu.settings.oauth_client_id,
            client_secret=emu.settings.oauth_client_secret,
            oauth_url=emu.oauth_url,
            requests_per_second=500,
            burst=500,
        ),
        storage=StorageConfig(url=store_url),
    )


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with running_emulator(_portal(), rate_limit=False) as emulator:
        yield emulator


def _keep_tokens(emu: Emulator, engine: Engine) -> None:
    reply = emu.issue_tokens()
    save_tokens(
        engine,
        portal_key(emu.base_url),
        emu.settings.oauth_client_id,
        tokens_from_reply(reply, time.time()),
    )


async def test_the_code_is_caught_on_the_local_redirect_and_exchanged(
    emu: Emulator, store_engine: Engine, store_url: str
) -> None:
    config = _config(emu, store_url)
    out = io.StringIO()
    browser: list[asyncio.Task[httpx.Response]] = []

    async def open_in_browser(url: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10, follow_redirects=True) as http:
            return await http.get(url)

    def on_url(url: str) -> None:
        assert url.startswith(f"{emu.base_url}/oauth/authorize/?")
        assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
        browser.append(asyncio.create_task(open_in_browser(url)))

    tokens = await asyncio.wait_for(
        authorize(config, store_engine, None, out=out, stdin=None, port=0, on_url=on_url), 20
    )
    page = await browser[0]
    assert page.status_code == 200 and "received the code" in page.text
    stored = load_tokens(store_engine, portal_key(emu.base_url))
    assert stored is not None
    assert stored.tokens.access_token == tokens.access_token
    assert stored.tokens.refresh_token == tokens.refresh_token
    assert abs(stored.tokens.expires_at - tokens.expires_at) < 0.001
    assert stored.client_id == emu.settings.oauth_client_id
    printed = out.getvalue()
    assert emu.base_url in printed and "Code received" in printed
    assert tokens.access_token not in printed and tokens.refresh_token not in printed
    async with httpx.AsyncClient(timeout=10) as http:
        client = bitrix_client(config, http, store_engine)
        assert (await client.server_time()).year == TODAY.year


def test_a_pasted_address_gives_its_code_only_with_our_state() -> None:
    assert code_from("abc123\n", "s1") == "abc123"
    assert code_from("http://127.0.0.1:8799/?code=xyz&state=s1&domain=d", "s1") == "xyz"
    assert code_from("http://127.0.0.1:8799/?code=xyz&state=other", "s1") is None
    assert code_from("   ", "s1") is None


async def test_auth_with_code_keeps_tokens_in_an_owner_only_store(
    emu: Emulator, tmp_path: Path
) -> None:
    store = tmp_path / "pulse.db"
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        "[portal]\n"
        'auth = "app"\n'
        f'url = "{emu.base_url}"\n'
        f'client_id = "{emu.settings.oauth_client_id}"\n'
        f'client_secret = "{emu.settings.oauth_client_secret}"\n'
        f'oauth_url = "{emu.oauth_url}"\n'
        "[storage]\n"
        f'url = "sqlite:///{store}"\n',
        encoding="utf-8",
    )
    code = emu.oauth.authorize(emu.settings.oauth_client_id)
    done = await _crm_pulse("auth", "--config", str(config_file), "--code", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: the application is authorized")
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    engine = make_engine(f"sqlite:///{store}")
    stored = load_tokens(engine, portal_key(emu.base_url))
    engine.dispose()
    assert stored is not None
    for secret in (stored.tokens.access_token, stored.tokens.refresh_token, code):
        assert secret not in done.stdout + done.stderr
    assert emu.settings.oauth_client_secret not in done.stdout + done.stderr
    assert emu.settings.oauth_client_secret not in config_file.read_text().replace(
        emu.settings.oauth_client_secret, ""
    )
    again = await _crm_pulse("auth", "--config", str(config_file), "--code", code)
    assert again.returncode == 1
    assert "refused the code" in again.stderr and len(again.stderr.strip().splitlines()) == 1


async def test_a_sync_goes_on_while_its_tokens_keep_expiring(sqlite_engine: Engine) -> None:
    # Nothing here is database-specific (the token store is tested on both elsewhere).
    store_engine = sqlite_engine
    portal = _portal()
    lifetime = 0.2  # short: the whole sync takes under a second
    async with (
        running_emulator(portal, rate_limit=False, oauth_token_seconds=lifetime) as emu,
        httpx.AsyncClient(timeout=30) as http,
    ):
        _keep_tokens(emu, store_engine)
        # Our clock runs 2 s behind the portal's: for 2 s after each token's end we still
        # think it good, so requests meet expired_token and must be sent again.
        auth = AppAuth(
            http,
            url=emu.base_url,
            client_id=emu.settings.oauth_client_id,
            client_secret=emu.settings.oauth_client_secret,
            store=EngineTokenStore(
                store_engine, portal_key(emu.base_url), emu.settings.oauth_client_id
            ),
            oauth_url=emu.oauth_url,
            clock=lambda: time.time() - 2.0,
            margin_seconds=0,
        )
        client = BitrixClient(http, auth=auth, pacer=LeakyBucket(rate=500, burst=500))
        report = await run_sync(client, store_engine)
        refused = portal.stats.per_status[401]

    assert report.errors == {}
    assert report.duration_seconds > 3 * lifetime  # several token lifetimes
    assert refused >= 1  # requests did meet expired tokens, and were sent again
    assert auth.refreshes >= refused
    assert portal.stats.requests == client.requests  # no request lost on the way
    with Session(store_engine) as session:
        companies = session.execute(select(func.count()).select_from(Company)).scalar_one()
        deals = session.execute(select(func.count()).select_from(Deal)).scalar_one()
    assert companies == len(portal.rows("companies"))
    assert deals == report.entities["deals"].fetched > 0


async def test_a_dead_refresh_token_ends_sync_with_the_command_to_run(
    emu: Emulator, tmp_path: Path
) -> None:
    store = tmp_path / "pulse.db"
    config_file = tmp_path / "pulse config.toml"
    config_file.write_text(
        "[portal]\n"
        'auth = "app"\n'
        f'url = "{emu.base_url}"\n'
        f'client_id = "{emu.settings.oauth_client_id}"\n'
        f'client_secret = "{emu.settings.oauth_client_secret}"\n'
        f'oauth_url = "{emu.oauth_url}"\n'
        "[storage]\n"
        f'url = "sqlite:///{store}"\n',
        encoding="utf-8",
    )
    secure_sqlite_file(f"sqlite:///{store}")
    engine = make_engine(f"sqlite:///{store}")
    migrate(engine)
    _keep_tokens(emu, engine)
    engine.dispose()
    emu.oauth.revoke()  # the portal killed the refresh token (app reinstalled, 180 days, ...)
    emu.oauth.expire()

    done = await _crm_pulse("sync", "--config", str(config_file))

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("crm-pulse: sync failed: Bitrix24 app mode:")
    assert lines[0].endswith(f"crm-pulse auth --config '{config_file}'")
    assert "invalid_grant" in lines[0]


class _Done:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


async def _crm_pulse(*args: str) -> _Done:
    """The CLI in a child process, while this loop keeps serving the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_PULSE_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return _Done(process.returncode, out.decode(), err.decode())
