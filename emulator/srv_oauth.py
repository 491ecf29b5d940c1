"""The portal's OAuth 2.0 side for one local server application (reference §1.2).

- ``GET /oauth/authorize/?client_id=..&state=..[&redirect_uri=..]``: the user is signed in and
  agrees at once; the answer is a 302 to the redirect URI (the ``redirect_uri`` given, else
  ``Settings.oauth_redirect_uri``) with ``code``, ``state``, ``domain``, ``member_id``,
  ``scope`` and ``server_domain``, or, without one, a page that shows the code. A code lives
  ``oauth_code_seconds`` (30) and works once.
- ``GET|POST /oauth/token/``: ``grant_type=authorization_code`` (``code``) or
  ``refresh_token`` (``refresh_token``), both with ``client_id`` and ``client_secret``; the
  reply is the auth server's JSON: ``access_token``, ``refresh_token``, ``expires``,
  ``expires_in``, ``scope``, ``domain``, ``member_id``, ``client_endpoint``,
  ``server_endpoint``, ``status``, ``user_id``. Errors: ``invalid_request``,
  ``invalid_client``, ``invalid_grant`` (an unknown, used or revoked refresh token; a code
  that is wrong, used or older than its lifetime).
- An access token lives ``oauth_token_seconds`` of wall time (the portal clock may be frozen).
  REST calls carry it as ``auth``; ``check`` answers 401 ``expired_token`` or
  ``invalid_token`` (``NO_AUTH_FOUND`` when there is none).

Test hooks: ``POST /_emulator/oauth/expire`` ends every access token now;
``POST /_emulator/oauth/revoke`` kills every refresh token (the next refresh gets
``invalid_grant``); ``GET /_emulator/oauth`` counts codes and tokens (never shows them).
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from yarl import URL

from emulator.srv_core import ApiError, Settings
from emulator.srv_http import json_response, read_params
from emulator.srv_methods import ALL_SCOPES

APP_STATUS = "L"  # a local application (app.info STATUS)


@dataclass
class Grant:
    user: int
    expires: float  # wall-clock time


class OAuthState:
    """Codes and tokens of the application; wall time from ``clock`` (tests may move it)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.codes: dict[str, Grant] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, int] = {}  # live refresh token -> user
        self.issued = 0  # token pairs handed out (exchange and refresh)
        self.refreshed = 0

    def scope(self) -> str:
        scopes = self.settings.scopes if self.settings.scopes is not None else ALL_SCOPES
        return ",".join(sorted(scopes))

    def authorize(self, client_id: str) -> str:
        if not hmac.compare_digest(client_id, self.settings.oauth_client_id):
            raise ApiError(
                400, "invalid_client", "Unknown client_id: the application is not installed"
            )
        code = secrets.token_hex(16)
        self.codes[code] = Grant(
            self.settings.webhook_user, self.clock() + self.settings.oauth_code_seconds
        )
        return code

    def token(self, params: dict[str, Any], base: URL) -> dict[str, Any]:
        """The ``/oauth/token/`` reply, or ``ApiError`` with the auth server's error code."""
        settings = self.settings
        grant_type = str(params.get("grant_type") or "")
        client_id = str(params.get("client_id") or "")
        secret = str(params.get("client_secret") or "")
        if grant_type not in ("authorization_code", "refresh_token") or not client_id:
            raise ApiError(400, "invalid_request", "grant_type and client_id are required")
        if not (
            hmac.compare_digest(client_id, settings.oauth_client_id)
            and hmac.compare_digest(secret, settings.oauth_client_secret)
        ):
            raise ApiError(401, "invalid_client", "Invalid client_id or client_secret")
        if grant_type == "authorization_code":
            grant = self.codes.pop(str(params.get("code") or ""), None)
            if grant is None or grant.expires <= self.clock():
                raise ApiError(400, "invalid_grant", "Invalid or expired authorization code")
            user = grant.user
        else:
            old = str(params.get("refresh_token") or "")
            found = self.refresh.get(old)
            if found is None:
                raise ApiError(400, "invalid_grant", "Invalid refresh token")
            if settings.oauth_refresh_rotates:
                del self.refresh[old]
            user = found
            self.refreshed += 1
        return self._pair(user, base)

    def _pair(self, user: int, base: URL) -> dict[str, Any]:
        seconds = self.settings.oauth_token_seconds
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        expires = self.clock() + seconds
        self.access[access] = Grant(user, expires)
        self.refresh[refresh] = user
        self.issued += 1
        return {
            "access_token": access,
            "expires": int(expires),
            "expires_in": int(seconds) if float(seconds).is_integer() else seconds,
            "scope": self.scope(),
            "domain": base.raw_authority,
            "server_endpoint": f"{base}/oauth/rest/",
            "status": APP_STATUS,
            "client_endpoint": f"{base}/rest/",
            "member_id": self.settings.member_id,
            "user_id": user,
            "refresh_token": refresh,
        }

    def event_auth(self) -> dict[str, Any]:
        """A fresh access token for the ``auth`` block of an event sent to the application."""
        seconds = self.settings.oauth_token_seconds
        token = secrets.token_hex(16)
        self.access[token] = Grant(self.settings.webhook_user, self.clock() + seconds)
        return {"access_token": token, "expires_in": str(int(seconds)), "scope": self.scope()}

    def check(self, token: str) -> int:
        """The user an access token stands for; 401 ``ApiError`` otherwise."""
        if not token:
            raise ApiError(401, "NO_AUTH_FOUND", "Wrong authorization data")
        grant = self.access.get(token)
        if grant is None:
            raise ApiError(401, "invalid_token", "Unable to get application by token")
        if grant.expires <= self.clock():
            raise ApiError(401, "expired_token", "The access token provided has expired.")
        return grant.user

    def expire(self) -> int:
        now = self.clock()
        for grant in self.access.values():
            grant.expires = min(grant.expires, now)
        return len(self.access)

    def revoke(self) -> int:
        count = len(self.refresh)
        self.refresh.clear()
        return count

    def counts(self) -> dict[str, int]:
        now = self.clock()
        return {
            "codes": sum(1 for g in self.codes.values() if g.expires > now),
            "access_live": sum(1 for g in self.access.values() if g.expires > now),
            "access_expired": sum(1 for g in self.access.values() if g.expires <= now),
            "refresh_live": len(self.refresh),
            "issued": self.issued,
            "refreshed": self.refreshed,
        }


def _error(error: ApiError) -> web.Response:
    return json_response(error.status, error.body())


def oauth_routes(state: OAuthState) -> list[web.RouteDef]:
    settings = state.settings

    async def authorize(request: web.Request) -> web.Response:
        query = request.rel_url.query
        try:
            code = state.authorize(query.get("client_id", ""))
        except ApiError as exc:
            return _error(exc)
        base = request.url.origin()
        back = {
            "code": code,
            "state": query.get("state", ""),
            "domain": base.raw_authority,
            "member_id": settings.member_id,
            "scope": state.scope(),
            "server_domain": base.raw_authority,
        }
        target = query.get("redirect_uri") or settings.oauth_redirect_uri
        if target:
            joiner = "&" if "?" in target else "?"
            return web.Response(
                status=302, headers={"Location": f"{target}{joiner}{urlencode(back)}"}
            )
        page = (
            "<!doctype html><meta charset=utf-8><title>Код авторизации</title>"
            f"<p>Код авторизации: <code id=code>{html.escape(code)}</code></p>"
            f"<p>Действует {int(settings.oauth_code_seconds)} с.</p>"
        )
        return web.Response(text=page, content_type="text/html")

    async def token(request: web.Request) -> web.Response:
        try:
            params = await read_params(request)
            return json_response(200, state.token(params, request.url.origin()))
        except ApiError as exc:
            return _error(exc)

    async def expire(request: web.Request) -> web.Response:
        return web.json_response({"expired": state.expire()})

    async def revoke(request: web.Request) -> web.Response:
        return web.json_response({"revoked": state.revoke()})

    async def counts(request: web.Request) -> web.Response:
        return web.json_response(state.counts())

    routes = [
        web.get("/oauth/authorize/", authorize),
        web.get("/oauth/authorize", authorize),
        web.post("/_emulator/oauth/expire", expire),
        web.post("/_emulator/oauth/revoke", revoke),
        web.get("/_emulator/oauth", counts),
    ]
    for path in ("/oauth/token/", "/oauth/token"):
        routes += [web.get(path, token), web.post(path, token)]
    return routes
