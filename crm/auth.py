"""How a request to the portal is authorised: the transport seam under ``BitrixClient``.

Two ways behind one small interface (``RestAuth``), so the same client, pacing, retries and
batch serve both (reference §1):

- ``WebhookAuth``: an inbound webhook; the secret is in the URL (``.../rest/USER/CODE/``),
  requests carry nothing more. The default.
- ``AppAuth``: a local server application (OAuth 2.0). Requests go to ``{url}/rest/METHOD``
  with ``auth=ACCESS_TOKEN`` in the body (never in a URL, which httpx would log). Tokens come
  from a ``TokenStore`` (the store, never the config) and are refreshed at the auth server
  (``oauth_url``, ``grant_type=refresh_token``) shortly before they expire, and when the portal
  answers ``expired_token`` anyway: the client then sends the request that failed once more
  with the new token, so nothing in flight is lost. Refreshes are serialised: many requests
  that find the token stale cause one refresh. Each refresh returns a new refresh token and the
  old one dies, so before it refreshes the auth reads the store (another process may have
  refreshed already) and, when the auth server refuses a refresh token another process has
  just used, takes the pair that process stored. A refresh token that is dead for good raises
  ``ReauthorizeRequired``, whose message says the command to run; after that the auth looks in
  the store on every request, so a ``crm-pulse auth`` run meanwhile heals a running process.

Every request's auth parameters come from ``params()``; after an ``AuthError`` the client asks
``renew()`` whether a resend can help, and raises what ``refused()`` gives otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Protocol

import httpx
from sqlalchemy.engine import Engine

from crm.errors import AuthError, BitrixError, ServerError, TransportError
from store.oauth_models import Tokens, load_tokens, save_tokens

__all__ = [
    "DEFAULT_OAUTH_URL",
    "REAUTH_COMMAND",
    "AppAuth",
    "AuthServerError",
    "EngineTokenStore",
    "ReauthorizeRequired",
    "RestAuth",
    "TokenStore",
    "WebhookAuth",
    "exchange_code",
    "portal_key",
    "tokens_from_reply",
]

DEFAULT_OAUTH_URL = "https://oauth.bitrix24.tech/oauth/token/"
REAUTH_COMMAND = "crm-pulse auth --config PATH"
# The portal's answers that a fresh access token may cure (reference §4.3).
_TOKEN_CODES = frozenset({"expired_token", "invalid_token", "no_auth_found"})
_MARGIN_SECONDS = 60.0  # refresh this long before the token ends (a tenth of short lifetimes)
_OTHER_REFRESH_WAIT = 1.0  # how long a refused refresh waits for another process's new pair
_HEADERS = {"Accept": "application/json", "User-Agent": "crm-pulse/0.1"}

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class RestAuth(Protocol):
    """What the client asks of an auth: where to send, what to add, what to do on a 401."""

    @property
    def base(self) -> str:
        """The REST root; a method's URL is ``base + method``."""
        ...

    @property
    def base_is_secret(self) -> bool:
        """Whether the root itself is a secret (a webhook's code is in it)."""
        ...

    async def params(self) -> dict[str, str]:
        """Parameters every request carries (fresh tokens: refreshed first when due)."""
        ...

    async def renew(self, used: Mapping[str, str], error: AuthError) -> bool:
        """After ``error`` on a request sent with ``used``: True when resending may succeed."""
        ...

    def refused(self, error: AuthError) -> BitrixError:
        """The error to raise when the portal refuses the credentials for good."""
        ...

    def secrets(self) -> Iterable[str]:
        """Values that must never appear in a message."""
        ...


class WebhookAuth:
    """An inbound webhook: the URL is the credential; nothing to add, nothing to renew."""

    base_is_secret = True

    def __init__(self, webhook_url: str) -> None:
        self._base = webhook_url if webhook_url.endswith("/") else webhook_url + "/"

    @property
    def base(self) -> str:
        return self._base

    async def params(self) -> dict[str, str]:
        return {}

    async def renew(self, used: Mapping[str, str], error: AuthError) -> bool:
        return False

    def refused(self, error: AuthError) -> BitrixError:
        return error

    def secrets(self) -> Iterable[str]:
        return ()


class ReauthorizeRequired(BitrixError):
    """The application's grant is gone (no tokens, or a dead refresh token): authorize again."""

    def __init__(self, reason: str, command: str = REAUTH_COMMAND) -> None:
        self.reason = reason
        self.command = command
        super().__init__(f"Bitrix24 app mode: {reason}; authorize crm-pulse again: {command}")


class AuthServerError(BitrixError):
    """The auth server refused a request for a reason other than a dead grant."""

    def __init__(self, code: str, description: str, hint: str = "") -> None:
        self.code = code
        self.description = description
        text = f"the Bitrix24 auth server refused: {code or 'error'}"
        if description:
            text += f": {description}"
        super().__init__(f"{text}. {hint}" if hint else text)


class InvalidGrant(AuthServerError):
    """``invalid_grant``: the code or refresh token is wrong, used, expired or revoked."""


class TokenStore(Protocol):
    async def load(self) -> Tokens | None: ...

    async def save(self, tokens: Tokens) -> None: ...


def tokens_from_reply(body: Mapping[str, Any], now: float) -> Tokens:
    """A token reply as ``Tokens``; the lifetime is counted on our clock from ``now``."""
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
        msg = "the Bitrix24 auth server's reply has no access_token and refresh_token"
        raise ServerError("", msg, None, method="oauth")
    try:
        lifetime = float(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600.0
    user = body.get("user_id")
    return Tokens(
        access_token=access,
        refresh_token=refresh,
        expires_at=now + lifetime,
        lifetime_seconds=lifetime,
        scope=str(body.get("scope") or ""),
        member_id=str(body.get("member_id") or ""),
        user_id=int(str(user)) if str(user or "").isdigit() else None,
    )


async def _grant(
    http: httpx.AsyncClient, oauth_url: str, fields: Mapping[str, str], clock: Clock
) -> Tokens:
    """One POST to the token endpoint (form body: secrets stay out of the URL)."""
    host = httpx.URL(oauth_url).host
    try:
        response = await http.post(oauth_url, data=dict(fields), headers=_HEADERS)
    except httpx.TransportError as exc:
        # Not chained and no str(exc): nothing the network layer says reaches a message.
        msg = f"oauth: {type(exc).__name__} talking to the auth server {host}"
        raise TransportError(msg, method="oauth") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500 or not isinstance(body, Mapping):
        msg = f"HTTP {response.status_code} from the auth server {host}"
        raise ServerError("", msg, response.status_code, method="oauth")
    error = body.get("error")
    if error:
        code, description = str(error), str(body.get("error_description") or "")
        if code.lower() == "invalid_grant":
            raise InvalidGrant(code, description)
        if code.lower() == "invalid_client":
            hint = (
                "Check portal.client_id and portal.client_secret: copy them again from the "
                "local application's page on the portal"
            )
            raise AuthServerError(code, description, hint)
        raise AuthServerError(code, description)
    return tokens_from_reply(body, clock())


async def exchange_code(
    http: httpx.AsyncClient,
    *,
    oauth_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    clock: Clock = time.time,
) -> Tokens:
    """The authorization code for a token pair (``grant_type=authorization_code``)."""
    fields = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
    }
    return await _grant(http, oauth_url, fields, clock)


class AppAuth:
    """A local server application's OAuth tokens; see the module docstring."""

    base_is_secret = False

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        url: str,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        oauth_url: str = DEFAULT_OAUTH_URL,
        connector: str = "",
        command: str = REAUTH_COMMAND,
        clock: Clock = time.time,
        margin_seconds: float = _MARGIN_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        root = httpx.URL(url.rstrip("/") + "/rest/")
        if root.scheme not in ("http", "https") or not root.host:
            msg = "portal.url must be the portal's address, like https://example.bitrix24.ru"
            raise ValueError(msg)
        self._base = str(root.copy_with(query=None, fragment=None))
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = store
        self._oauth_url = oauth_url
        self._connector = connector
        self._command = command
        self._clock = clock
        self._margin = margin_seconds
        self._sleep = sleep
        self._tokens: Tokens | None = None
        self._dead: tuple[str, str] | None = None  # (refresh token, why) once refused
        self._lock = asyncio.Lock()
        self.refreshes = 0  # refreshes this process made at the auth server

    @property
    def base(self) -> str:
        return self._base

    def secrets(self) -> Iterable[str]:
        out = [self._client_secret]
        if self._tokens is not None:
            out += [self._tokens.access_token, self._tokens.refresh_token]
        return [s for s in out if s]

    async def params(self) -> dict[str, str]:
        tokens = self._tokens or await self._load()
        if self._due(tokens):
            tokens = await self._refresh(tokens.access_token, force=False)
        extra = {"auth_connector": self._connector} if self._connector else {}
        return {"auth": tokens.access_token, **extra}

    async def renew(self, used: Mapping[str, str], error: AuthError) -> bool:
        if error.code.lower() not in _TOKEN_CODES:
            return False
        await self._refresh(used.get("auth", ""), force=True)
        return True

    def refused(self, error: AuthError) -> BitrixError:
        if error.code.lower() not in _TOKEN_CODES:
            return error
        reason = f"the portal refused the application's token ({error.code}"
        reason += f": {error.description})" if error.description else ")"
        return ReauthorizeRequired(reason, self._command)

    # --- tokens ------------------------------------------------------------------------

    def _due(self, tokens: Tokens) -> bool:
        margin = min(self._margin, tokens.lifetime_seconds / 10)
        return tokens.expires_at - margin <= self._clock()

    def _fresh_instead(self, tokens: Tokens | None, stale_access: str) -> bool:
        return tokens is not None and tokens.access_token != stale_access and not self._due(tokens)

    async def _load(self) -> Tokens:
        tokens = await self._store.load()
        if tokens is None:
            raise ReauthorizeRequired("no tokens for this portal in the store", self._command)
        self._tokens = tokens
        return tokens

    async def _refresh(self, stale_access: str, *, force: bool) -> Tokens:
        """A live token pair instead of the one whose access token is ``stale_access``."""
        async with self._lock:
            current = self._tokens
            if self._fresh_instead(current, stale_access):
                assert current is not None
                return current  # another request refreshed while this one waited
            stored = await self._store.load()
            if self._fresh_instead(stored, stale_access):
                assert stored is not None
                self._tokens = stored  # another process refreshed
                return stored
            base = stored or current
            if base is None:
                raise ReauthorizeRequired("no tokens for this portal in the store", self._command)
            if self._dead is not None and self._dead[0] == base.refresh_token:
                self._spent(base, force=force)
                raise ReauthorizeRequired(self._dead[1], self._command)
            try:
                fresh = await _grant(
                    self._http,
                    self._oauth_url,
                    {
                        "grant_type": "refresh_token",
                        "client_id": self._client_id,
                        "client_secret": self._client_secret,
                        "refresh_token": base.refresh_token,
                    },
                    self._clock,
                )
            except InvalidGrant as exc:
                other = await self._pair_of_another_process(base.refresh_token)
                if other is not None:
                    return other
                why = f"the portal no longer accepts the refresh token ({exc.code}"
                why += f": {exc.description})" if exc.description else ")"
                self._dead = (base.refresh_token, why)
                self._spent(base, force=force)
                raise ReauthorizeRequired(why, self._command) from None
            await self._store.save(fresh)
            self._tokens = fresh
            self._dead = None
            self.refreshes += 1
            log.info("Bitrix24 app mode: access token refreshed%s", " (expired)" * force)
            return fresh

    def _spent(self, tokens: Tokens, *, force: bool) -> None:
        """The portal refused this access token and it cannot be renewed: send it no more."""
        if force:
            self._tokens = replace(tokens, expires_at=min(tokens.expires_at, self._clock()))

    async def _pair_of_another_process(self, used_refresh: str) -> Tokens | None:
        """A refresh token refused just after another process used it: take that one's pair."""
        waited = 0.0
        step = _OTHER_REFRESH_WAIT / 10
        while True:
            stored = await self._store.load()
            if stored is not None and stored.refresh_token != used_refresh:
                self._tokens = stored
                self._dead = None
                return stored
            if waited >= _OTHER_REFRESH_WAIT:
                return None
            await self._sleep(step)
            waited += step


def portal_key(url: str) -> str:
    """How the store names a portal's tokens: its host (and port, when one is given)."""
    parsed = httpx.URL(url if "://" in url else f"https://{url}")
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


class EngineTokenStore:
    """``TokenStore`` over the store's ``oauth_tokens`` table (blocking work in a thread)."""

    def __init__(self, engine: Engine, portal: str, client_id: str) -> None:
        self._engine = engine
        self._portal = portal
        self._client_id = client_id

    async def load(self) -> Tokens | None:
        found = await asyncio.to_thread(load_tokens, self._engine, self._portal)
        return found.tokens if found is not None else None

    async def save(self, tokens: Tokens) -> None:
        await asyncio.to_thread(save_tokens, self._engine, self._portal, self._client_id, tokens)
