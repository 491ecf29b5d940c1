"""The client over app auth (crm.auth) against a scripted portal and auth server on
httpx.MockTransport: where the token goes, refresh before expiry and on ``expired_token``
with the request resent once, one refresh for many concurrent requests, a dead refresh token
(a typed error naming the command, no storm of refreshes, healed by new tokens in the store),
another process's refresh, and secrets kept out of messages and the store file's rights.
"""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from crm.auth import (
    AppAuth,
    AuthServerError,
    EngineTokenStore,
    ReauthorizeRequired,
    WebhookAuth,
    exchange_code,
    portal_key,
)
from crm.client import BitrixClient
from crm.errors import TransportError
from crm.pacing import LeakyBucket
from store.db import make_engine
from store.migrate import migrate
from store.oauth_models import Tokens, load_tokens, secure_sqlite_file

PORTAL = "https://pulse.bitrix24.ru"
OAUTH = "https://oauth.bitrix24.tech/oauth/token/"
CLIENT_ID = "local.abc.123"
SECRET = "client-secret-0123456789"  # noqa: S105


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class MemoryTokens:
    """The token store's contract in memory (the store-backed one is tested below)."""

    def __init__(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        self.saved = 0

    async def load(self) -> Tokens | None:
        return self.tokens

    async def save(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.saved += 1


class FakeBitrix:
    """A portal that accepts live access tokens and an auth server that rotates them."""

    def __init__(self, clock: Clock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.live: dict[str, float] = {}  # access token -> expiry
        self.refresh_tokens: set[str] = set()
        self.rest: list[tuple[str, dict[str, Any]]] = []  # (path, body) of REST calls
        self.grants: list[dict[str, str]] = []
        self.serial = 0
        self.grant_delay = 0.0
        self.down = 0  # the next n requests to the auth server fail to connect
        self.always_expired = False

    def issue(self) -> Tokens:
        self.serial += 1
        access, refresh = f"acc{self.serial:04d}xyz", f"ref{self.serial:04d}xyz"
        self.live[access] = self.clock() + self.lifetime
        self.refresh_tokens.add(refresh)
        return Tokens(access, refresh, self.clock() + self.lifetime, self.lifetime)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "oauth.bitrix24.tech":
            return await self._token(request)
        body = json.loads(request.content or b"{}")
        self.rest.append((request.url.path, body))
        token = body.get("auth", "")
        if token not in self.live:
            return httpx.Response(
                401, json={"error": "invalid_token", "error_description": f"bad {token}"}
            )
        if self.always_expired or self.live[token] <= self.clock():
            return httpx.Response(
                401,
                json={"error": "expired_token", "error_description": "The access token expired"},
            )
        return httpx.Response(200, json={"result": {"method": request.url.path, "ok": True}})

    async def _token(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert not request.url.query, "secrets must not travel in the URL"
        fields = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.grants.append(fields)
        if self.down:
            self.down -= 1
            raise httpx.ConnectError("connection refused", request=request)
        if self.grant_delay:
            await asyncio.sleep(self.grant_delay)
        if fields.get("client_id") != CLIENT_ID or fields.get("client_secret") != SECRET:
            return httpx.Response(401, json={"error": "invalid_client", "error_description": "?"})
        if fields.get("grant_type") == "refresh_token":
            old = fields.get("refresh_token", "")
            if old not in self.refresh_tokens:
                return httpx.Response(
                    400, json={"error": "invalid_grant", "error_description": "Invalid token"}
                )
            self.refresh_tokens.discard(old)
        elif fields.get("code") != "good-code":
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "no"})
        pair = self.issue()
        return httpx.Response(
            200,
            json={
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
                "expires_in": int(self.lifetime),
                "expires": int(pair.expires_at),
                "scope": "crm,user",
                "member_id": "m1",
                "user_id": 1,
                "status": "L",
            },
        )


class Rig:
    def __init__(self, lifetime: float = 3600.0, *, tokens: bool = True) -> None:
        self.clock = Clock()
        self.bitrix = FakeBitrix(self.clock, lifetime)
        self.store = MemoryTokens(self.bitrix.issue() if tokens else None)
        self.http = httpx.AsyncClient(transport=httpx.MockTransport(self.bitrix.handle))
        self.slept: list[float] = []
        self.auth = AppAuth(
            self.http,
            url=PORTAL,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            store=self.store,
            oauth_url=OAUTH,
            connector="crm-pulse",
            command="crm-pulse auth --config /etc/pulse.toml",
            clock=self.clock,
            sleep=self._sleep,
        )
        self.client = BitrixClient(
            self.http,
            auth=self.auth,
            pacer=LeakyBucket(rate=1000, burst=1000),
            sleep=self._sleep,
            backoff_base=0.01,
        )

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)

    def refreshes(self) -> int:
        return sum(1 for g in self.bitrix.grants if g.get("grant_type") == "refresh_token")


@pytest.fixture
def rig() -> Iterator[Rig]:
    yield Rig()


async def test_app_requests_carry_the_token_in_the_body_at_the_rest_root(rig: Rig) -> None:
    result = await rig.client.call("crm.deal.list", {"select": ["ID"]})
    assert result == {"method": "/rest/crm.deal.list", "ok": True}
    path, body = rig.bitrix.rest[0]
    assert path == "/rest/crm.deal.list"
    assert body["auth"] == rig.store.tokens.access_token  # type: ignore[union-attr]
    assert body["auth_connector"] == "crm-pulse"
    assert body["select"] == ["ID"]
    assert rig.bitrix.grants == []


async def test_batch_goes_over_the_same_auth(rig: Rig) -> None:
    result = await rig.client.batch({"a": ("user.get", {"ID": 1}), "b": ("server.time", {})})
    path, body = rig.bitrix.rest[0]
    assert path == "/rest/batch"
    assert body["auth"] and "cmd" in body
    assert result.errors == {}


async def test_a_token_about_to_expire_is_refreshed_before_the_request(rig: Rig) -> None:
    old = rig.store.tokens
    assert old is not None
    rig.clock.now = old.expires_at - 30  # inside the minute of margin
    await rig.client.call("server.time")
    assert rig.refreshes() == 1
    assert len(rig.bitrix.rest) == 1  # no failed request first
    new = rig.store.tokens
    assert new is not None and new.access_token != old.access_token
    assert new.refresh_token != old.refresh_token  # the rotated one is kept
    assert rig.bitrix.rest[0][1]["auth"] == new.access_token
    assert rig.auth.refreshes == 1


async def test_expired_token_is_refreshed_and_the_request_sent_once_more(rig: Rig) -> None:
    token = rig.store.tokens
    assert token is not None
    rig.bitrix.live[token.access_token] = rig.clock() - 1  # the portal's clock disagrees
    result = await rig.client.call("crm.company.list", {"start": 50})
    assert result["ok"] is True
    assert [p for p, _ in rig.bitrix.rest] == ["/rest/crm.company.list"] * 2
    first, second = (body for _, body in rig.bitrix.rest)
    assert first["start"] == second["start"] == 50  # the same request, not a new one
    assert second["auth"] != first["auth"]
    assert rig.refreshes() == 1
    assert rig.client.requests == 2


async def test_many_requests_that_find_the_token_expired_cause_one_refresh(rig: Rig) -> None:
    token = rig.store.tokens
    assert token is not None
    rig.bitrix.live[token.access_token] = rig.clock() - 1
    rig.bitrix.grant_delay = 0.01  # requests pile up behind the refresh in flight
    results = await asyncio.gather(*(rig.client.call("server.time") for _ in range(20)))
    assert all(r["ok"] for r in results)
    assert rig.refreshes() == 1
    assert rig.store.saved == 1


async def test_an_expired_token_is_resent_once_only(rig: Rig) -> None:
    rig.bitrix.always_expired = True
    with pytest.raises(ReauthorizeRequired) as caught:
        await rig.client.call("server.time")
    assert len(rig.bitrix.rest) == 2
    assert rig.refreshes() == 1
    assert "crm-pulse auth --config /etc/pulse.toml" in str(caught.value)


async def test_a_dead_refresh_token_says_what_to_run_and_stops_refreshing(rig: Rig) -> None:
    rig.bitrix.refresh_tokens.clear()  # revoked on the portal
    token = rig.store.tokens
    assert token is not None
    rig.clock.now = token.expires_at + 1
    with pytest.raises(ReauthorizeRequired) as caught:
        await rig.client.call("server.time")
    message = str(caught.value)
    assert message.endswith("authorize crm-pulse again: crm-pulse auth --config /etc/pulse.toml")
    assert "invalid_grant" in message and "\n" not in message
    assert token.refresh_token not in message and token.access_token not in message
    assert rig.bitrix.rest == []  # nothing sent with a token known to be dead
    assert rig.refreshes() == 1
    with pytest.raises(ReauthorizeRequired):
        await rig.client.call("server.time")
    assert rig.refreshes() == 1  # the dead token is not tried again
    # `crm-pulse auth` ran meanwhile: the running process takes the new pair from the store.
    rig.store.tokens = rig.bitrix.issue()
    assert (await rig.client.call("server.time"))["ok"] is True


async def test_no_tokens_at_all_names_the_command() -> None:
    rig = Rig(tokens=False)
    with pytest.raises(ReauthorizeRequired, match="no tokens for this portal"):
        await rig.client.call("server.time")
    assert rig.bitrix.rest == [] and rig.bitrix.grants == []


async def test_a_refresh_token_another_process_just_used_is_not_dead(rig: Rig) -> None:
    token = rig.store.tokens
    assert token is not None
    rig.clock.now = token.expires_at + 1
    other = rig.bitrix.issue()
    rig.bitrix.refresh_tokens.discard(token.refresh_token)  # the other process rotated it
    saved_at_refusal = False

    async def late_save(seconds: float) -> None:
        nonlocal saved_at_refusal
        if not saved_at_refusal:  # the other process stores its pair a moment after
            saved_at_refusal = True
            rig.store.tokens = other
        await asyncio.sleep(0)

    rig.auth._sleep = late_save
    result = await rig.client.call("server.time")
    assert result["ok"] is True
    assert rig.bitrix.rest[-1][1]["auth"] == other.access_token
    assert rig.refreshes() == 1


async def test_a_wrong_client_secret_is_named_not_retried() -> None:
    rig = Rig()
    rig.auth._client_secret = "wrong-secret-value"
    token = rig.store.tokens
    assert token is not None
    rig.clock.now = token.expires_at + 1
    with pytest.raises(AuthServerError, match="portal.client_secret") as caught:
        await rig.client.call("server.time")
    assert "wrong-secret-value" not in str(caught.value)
    assert rig.refreshes() == 1


async def test_an_unreachable_auth_server_is_retried_like_any_transport_error(rig: Rig) -> None:
    token = rig.store.tokens
    assert token is not None
    rig.clock.now = token.expires_at + 1
    rig.bitrix.down = 2
    assert (await rig.client.call("server.time"))["ok"] is True
    assert rig.refreshes() == 3
    assert len(rig.slept) >= 2  # backed off between tries


async def test_an_auth_server_that_stays_down_is_a_transport_error(rig: Rig) -> None:
    token = rig.store.tokens
    assert token is not None
    rig.clock.now = token.expires_at + 1
    rig.bitrix.down = 100
    with pytest.raises(TransportError, match="auth server oauth.bitrix24.tech") as caught:
        await rig.client.call("server.time")
    assert SECRET not in str(caught.value)


async def test_tokens_in_a_portal_reply_are_scrubbed_from_errors(rig: Rig) -> None:
    rig.store.tokens = Tokens("acc-unknown-123456", "ref-unknown-123456", rig.clock() + 3600)
    with pytest.raises(ReauthorizeRequired) as caught:
        await rig.client.call("server.time")  # invalid_token, refreshed, still refused
    assert "acc-unknown-123456" not in str(caught.value)
    assert "invalid_grant" in str(caught.value)


def test_tokens_never_show_in_their_repr() -> None:
    text = repr(Tokens("access-secret", "refresh-secret", 1.0))
    assert "access-secret" not in text and "refresh-secret" not in text


async def test_the_webhook_default_adds_nothing_to_the_body() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        assert request.url.path == "/rest/1/hookcode1/crm.deal.list"
        return httpx.Response(200, json={"result": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = BitrixClient(http, "https://x.bitrix24.ru/rest/1/hookcode1/")
        await client.call("crm.deal.list", {"start": 0})
        same = BitrixClient(http, auth=WebhookAuth("https://x.bitrix24.ru/rest/1/hookcode1"))
        await same.call("crm.deal.list", {"start": 0})
    assert seen == [{"start": 0}, {"start": 0}]


async def test_code_exchange_and_a_wrong_code() -> None:
    clock = Clock()
    bitrix = FakeBitrix(clock, lifetime=3600)
    async with httpx.AsyncClient(transport=httpx.MockTransport(bitrix.handle)) as http:
        tokens = await exchange_code(
            http,
            oauth_url=OAUTH,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            code="good-code",
            clock=clock,
        )
        assert tokens.expires_at == clock() + 3600
        assert tokens.scope == "crm,user" and tokens.user_id == 1
        assert bitrix.grants[0]["grant_type"] == "authorization_code"
        with pytest.raises(AuthServerError, match="invalid_grant"):
            await exchange_code(
                http, oauth_url=OAUTH, client_id=CLIENT_ID, client_secret=SECRET, code="bad"
            )


def test_portal_key_names_host_and_port() -> None:
    assert portal_key("https://pulse.bitrix24.ru/") == "pulse.bitrix24.ru"
    assert portal_key("http://127.0.0.1:8765") == "127.0.0.1:8765"


def test_store_keeps_tokens_in_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    assert secure_sqlite_file(url) == tmp_path / "pulse.db"
    engine = make_engine(url)
    migrate(engine)
    store = EngineTokenStore(engine, "pulse.bitrix24.ru", CLIENT_ID)
    assert asyncio.run(store.load()) is None
    pair = Tokens("access-1", "refresh-1", 1_900_000_000.0, 3600.0, "crm", "m", 7)
    asyncio.run(store.save(pair))
    assert asyncio.run(store.load()) == pair
    found = load_tokens(engine, "pulse.bitrix24.ru")
    assert found is not None and found.client_id == CLIENT_ID
    files = [
        p for p in tmp_path.iterdir() if p.name in ("pulse.db", "pulse.db-wal", "pulse.db-shm")
    ]
    assert tmp_path / "pulse.db-wal" in files  # the journal holding the rows is checked too
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    engine.dispose()


def test_an_existing_store_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    secure_sqlite_file(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secure_sqlite_file("postgresql+psycopg://u@127.0.0.1/db") is None


async def test_a_token_the_portal_refused_is_not_sent_again_while_the_grant_is_dead(
    rig: Rig,
) -> None:
    token = rig.store.tokens
    assert token is not None
    rig.bitrix.refresh_tokens.clear()
    rig.bitrix.live[token.access_token] = rig.clock() - 1  # ended early on the portal's side
    with pytest.raises(ReauthorizeRequired):
        await rig.client.call("server.time")
    assert len(rig.bitrix.rest) == 1
    for _ in range(3):
        with pytest.raises(ReauthorizeRequired):
            await rig.client.call("server.time")
    assert len(rig.bitrix.rest) == 1 and rig.refreshes() == 1
