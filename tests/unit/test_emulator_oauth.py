"""The emulator as a local server application's portal: authorize, token exchange and refresh,
token expiry, and REST over ``auth=ACCESS_TOKEN`` with the webhook's limits, faults and batch.

Each test runs a real server on 127.0.0.1 over a small generated portal (clock frozen) and
talks to it with httpx. Token lifetimes are wall time, so expiry tests use fractions of a
second and wait on the condition, or end the tokens at once through the test hook.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from emulator.srv_faults import FaultKind

TODAY = date(2026, 3, 18)
TOKEN_KEYS = {
    "access_token",
    "refresh_token",
    "expires",
    "expires_in",
    "scope",
    "domain",
    "member_id",
    "client_endpoint",
    "server_endpoint",
    "status",
    "user_id",
}


@pytest.fixture
def portal() -> Portal:
    data = generate(7, "small", TODAY)
    frozen = datetime.fromisoformat(data.as_of)
    return Portal(data, now=lambda: frozen)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def emu(portal: Portal) -> AsyncIterator[Emulator]:
    async with running_emulator(portal, rate_limit=False) as emulator:
        yield emulator


def keys(emu: Emulator) -> dict[str, str]:
    return {
        "client_id": emu.settings.oauth_client_id,
        "client_secret": emu.settings.oauth_client_secret,
    }


async def code_for(http: httpx.AsyncClient, emu: Emulator) -> str:
    reply = await http.get(emu.authorize_url("s1") + "&redirect_uri=http://127.0.0.1:9/back")
    assert reply.status_code == 302
    return parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]


async def exchange(http: httpx.AsyncClient, emu: Emulator) -> dict[str, Any]:
    code = await code_for(http, emu)
    reply = await http.get(
        emu.oauth_url, params={"grant_type": "authorization_code", "code": code, **keys(emu)}
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def refresh(http: httpx.AsyncClient, emu: Emulator, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, **keys(emu)}
    return await http.post(emu.oauth_url, data=form)


async def rest(
    http: httpx.AsyncClient, emu: Emulator, method: str, token: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    reply = await http.post(emu.rest_url + method, json={"auth": token, **params})
    return reply.status_code, reply.json()


# -- authorize ---------------------------------------------------------------------------------


async def test_authorize_sends_the_code_back_or_shows_it(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    back = "http://127.0.0.1:9/oauth/back?app=1"
    async with running_emulator(portal, rate_limit=False, oauth_redirect_uri=back) as emu:
        reply = await http.get(emu.authorize_url("state-42"))
        assert reply.status_code == 302
        target = urlsplit(reply.headers["location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == "http://127.0.0.1:9/oauth/back"
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        host = emu.base_url.removeprefix("http://")
        assert query.pop("code") in emu.oauth.codes
        assert query == {
            "app": "1",
            "state": "state-42",
            "domain": host,
            "member_id": emu.settings.member_id,
            "scope": "crm,department,disk,im,imbot,task,telephony,user",
            "server_domain": host,
        }
    async with running_emulator(portal, rate_limit=False) as emu:
        page = await http.get(emu.authorize_url())
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        [code] = list(emu.oauth.codes)
        assert f"<code id=code>{code}</code>" in page.text
        given = await http.get(emu.authorize_url() + "&redirect_uri=http://127.0.0.1:9/cb")
        assert given.headers["location"].startswith("http://127.0.0.1:9/cb?code=")
        stranger = await http.get(f"{emu.base_url}/oauth/authorize/?client_id=local.other")
        assert (stranger.status_code, stranger.json()["error"]) == (400, "invalid_client")


# -- token -------------------------------------------------------------------------------------


async def test_the_code_exchange_answers_the_auth_servers_shape(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    started = time.time()
    body = await exchange(http, emu)
    assert set(body) == TOKEN_KEYS
    assert body["client_endpoint"] == emu.rest_url
    assert body["server_endpoint"] == f"{emu.base_url}/oauth/rest/"
    assert body["domain"] == emu.base_url.removeprefix("http://")
    assert (body["member_id"], body["status"], body["user_id"]) == (emu.settings.member_id, "L", 1)
    assert body["expires_in"] == 3600
    assert started + 3600 - 1 <= body["expires"] <= time.time() + 3600 + 1
    assert body["access_token"] != body["refresh_token"]
    assert len(body["access_token"]) == 32
    status, reply = await rest(http, emu, "server.time", body["access_token"])
    assert (status, reply["result"]) == (200, "2026-03-18T12:00:00+03:00")


async def test_codes_work_once_and_only_with_the_right_keys(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    code = await code_for(http, emu)
    wrong = await http.get(
        emu.oauth_url,
        params={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": emu.settings.oauth_client_id,
            "client_secret": "not-the-secret",
        },
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert "not-the-secret" not in wrong.text
    good = {"grant_type": "authorization_code", "code": code, **keys(emu)}
    assert (await http.post(emu.oauth_url, data=good)).status_code == 200
    again = await http.post(emu.oauth_url, data=good)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    bad_type = await http.get(emu.oauth_url, params={"grant_type": "password", **keys(emu)})
    assert (bad_type.status_code, bad_type.json()["error"]) == (400, "invalid_request")


async def test_a_code_expires(portal: Portal, http: httpx.AsyncClient) -> None:
    async with running_emulator(portal, rate_limit=False, oauth_code_seconds=0.0) as emu:
        code = await code_for(http, emu)
        late = await http.get(
            emu.oauth_url, params={"grant_type": "authorization_code", "code": code, **keys(emu)}
        )
        assert (late.status_code, late.json()["error"]) == (400, "invalid_grant")


async def wait_until_expired(http: httpx.AsyncClient, emu: Emulator, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status, body = await rest(http, emu, "server.time", token)
        if status != 200:
            return body | {"status": status}
        await asyncio.sleep(0.05)
    raise AssertionError("the access token did not expire within 5 s")


async def test_access_tokens_expire_and_refresh_tokens_renew_them(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    async with running_emulator(portal, rate_limit=False, oauth_token_seconds=0.4) as emu:
        first = await exchange(http, emu)
        assert first["expires_in"] == 0.4
        assert (await rest(http, emu, "crm.deal.list", first["access_token"]))[0] == 200
        expired = await wait_until_expired(http, emu, first["access_token"])
        assert expired["status"] == 401
        assert (expired["error"], expired["error_description"]) == (
            "expired_token",
            "The access token provided has expired.",
        )
        renewed = await refresh(http, emu, first["refresh_token"])
        assert renewed.status_code == 200
        second = renewed.json()
        assert set(second) == TOKEN_KEYS
        assert second["refresh_token"] != first["refresh_token"]
        assert (await rest(http, emu, "server.time", second["access_token"]))[0] == 200
        # A refresh token works once: each refresh hands out the next one.
        reused = await refresh(http, emu, first["refresh_token"])
        assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
        assert emu.oauth.counts()["refreshed"] == 1


async def test_test_hooks_end_tokens_at_once(emu: Emulator, http: httpx.AsyncClient) -> None:
    pair = await exchange(http, emu)
    ended = await http.post(emu.base_url + "/_emulator/oauth/expire")
    assert ended.json() == {"expired": 1}
    status, body = await rest(http, emu, "server.time", pair["access_token"])
    assert (status, body["error"]) == (401, "expired_token")
    revoked = await http.post(emu.base_url + "/_emulator/oauth/revoke")
    assert revoked.json() == {"revoked": 1}
    dead = await refresh(http, emu, pair["refresh_token"])
    assert (dead.status_code, dead.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid refresh token"},
    )
    counts = (await http.get(emu.base_url + "/_emulator/oauth")).json()
    assert counts == {
        "codes": 0,
        "access_live": 0,
        "access_expired": 1,
        "refresh_live": 0,
        "issued": 1,
        "refreshed": 0,
    }
    assert pair["access_token"] not in str(counts)


# -- REST over OAuth ---------------------------------------------------------------------------


async def test_rest_takes_the_token_from_the_query_or_the_body(
    emu: Emulator, http: httpx.AsyncClient, portal: Portal
) -> None:
    token = emu.issue_tokens()["access_token"]
    last = portal.rows("deals")[-1]["ID"]
    query = f"auth={token}&order[ID]=DESC&select[]=ID&start=-1"
    by_query = await http.get(emu.rest_url + "crm.deal.list.json?" + query)
    assert by_query.status_code == 200
    assert by_query.json()["result"][0] == {"ID": last}
    by_form = await http.post(emu.rest_url + "crm.deal.get", data={"auth": token, "id": last})
    assert by_form.json()["result"]["ID"] == last
    by_json = await http.post(emu.rest_url + "crm.deal.get", json={"auth": token, "id": last})
    assert by_json.json()["result"] == by_form.json()["result"]
    missing = await http.post(emu.rest_url + "server.time")
    assert (missing.status_code, missing.json()["error"]) == (401, "NO_AUTH_FOUND")
    wrong = await http.post(emu.rest_url + "server.time", data={"auth": "0" * 32})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_token")
    assert "time" in wrong.json()
    # The webhook keeps working beside it.
    assert (await http.post(emu.webhook_url + "server.time")).status_code == 200


async def test_rest_over_oauth_has_the_webhooks_limits_faults_and_batch(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    async with running_emulator(portal, burst=3, rate=0.01, scopes=frozenset({"crm"})) as emu:
        pair = emu.issue_tokens()
        token = pair["access_token"]
        assert pair["scope"] == "crm"
        batch = {"cmd": {"a": "server.time", "c": "scope", "d": "user.get"}}
        status, body = await rest(http, emu, "batch", token, **batch)
        assert status == 200
        assert body["result"]["result"]["a"] == "2026-03-18T12:00:00+03:00"
        assert body["result"]["result"]["c"] == ["crm"]
        assert body["result"]["result_error"]["d"]["error"] == "insufficient_scope"
        status, body = await rest(http, emu, "user.get", token)
        assert (status, body["error"]) == (401, "insufficient_scope")
        assert (await rest(http, emu, "server.time", token))[0] == 200  # the third of 3
        status, body = await rest(http, emu, "server.time", token)
        assert (status, body["error"]) == (503, "QUERY_LIMIT_EXCEEDED")
    async with running_emulator(portal, rate_limit=False) as emu:
        token = emu.issue_tokens()["access_token"]
        emu.faults.add(FaultKind.SERVER_ERROR, "crm.deal.list")
        status, body = await rest(http, emu, "crm.deal.list", token)
        assert (status, body["error"]) == (500, "INTERNAL_SERVER_ERROR")
        assert (await rest(http, emu, "crm.deal.list", token))[0] == 200
        assert emu.portal.stats.per_method["crm.deal.list"] == 2


async def test_event_methods_need_the_application(emu: Emulator, http: httpx.AsyncClient) -> None:
    reply = await http.post(
        emu.webhook_url + "event.bind", json={"event": "ONCRMDEALUPDATE", "event_type": "offline"}
    )
    assert (reply.status_code, reply.json()["error"]) == (403, "WRONG_AUTH_TYPE")
    token = emu.issue_tokens()["access_token"]
    status, body = await rest(
        http, emu, "event.bind", token, event="ONCRMDEALUPDATE", event_type="offline"
    )
    assert (status, body["result"]) == (200, True)
