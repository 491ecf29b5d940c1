"""The Bitrix24 REST client over an inbound webhook: calls, batches, keyset listing.

Every request is a JSON POST to ``webhook_url + method``, paced by a ``LeakyBucket`` and a
per-method ``OperatingBudget``, and retried only when the failure is transient (see
``crm.errors``). A portal that moved answers 302; the request is sent again to the new address
and the new address is kept.

The webhook URL holds the webhook's secret, so it never appears in an error message or in our
logs. httpx logs each request URL at INFO: the app keeps the ``httpx`` logger at WARNING
(``app.logs``). Timeouts belong to the ``httpx.AsyncClient`` handed in; ``DEFAULT_TIMEOUT`` is
what fits the portal (every request is cut off after 60 s in the cloud).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from crm import listing
from crm.auth import RestAuth, WebhookAuth
from crm.batching import BatchPool
from crm.errors import (
    AuthError,
    BatchError,
    BitrixError,
    OperationTimeLimit,
    TransportError,
    error_from_reply,
)
from crm.methods import ListSpec
from crm.pacing import LeakyBucket, OperatingBudget, RetryPolicy, Sleep, parse_unix_time
from crm.query import (
    MAX_BATCH,
    BatchResult,
    build_command,
    check_cmd_key,
    check_method,
    cmd_key,
    json_params,
    parse_batch_reply,
)

__all__ = ["DEFAULT_TIMEOUT", "USER_AGENT", "BatchResult", "BitrixClient"]

USER_AGENT = "crm-pulse/0.1"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_MIN_SECRET = 6
# Sending these again cannot help: the URL or our own request is at fault.
_FATAL_TRANSPORT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)

logger = logging.getLogger(__name__)


class BitrixClient:
    """A portal reached through one inbound webhook (``https://PORTAL/rest/USER/CODE/``).

    ``requests`` counts HTTP requests sent (retries and redirects included), ``by_method`` the
    same per method (a batch counts as ``batch``), ``bytes_received`` the bytes of the replies.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        webhook_url: str = "",
        *,
        auth: RestAuth | None = None,
        pacer: LeakyBucket | None = None,
        budget: OperatingBudget | None = None,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        max_pages: int = MAX_BATCH,
    ) -> None:
        # How requests are authorised (crm.auth): the webhook in the URL unless told otherwise.
        self._auth = auth if auth is not None else WebhookAuth(webhook_url)
        base = httpx.URL(self._auth.base)
        if base.scheme not in ("http", "https") or not base.host:
            msg = "the webhook URL must be an http(s) address like https://PORTAL/rest/1/CODE/"
            raise ValueError(msg)
        self._http = http
        self._base = str(base.copy_with(query=None, fragment=None))
        self._secrets: set[str] = set()
        self._remember_secret(self._base)
        self._pacer = pacer if pacer is not None else LeakyBucket(sleep=sleep)
        self._budget = budget if budget is not None else OperatingBudget(sleep=sleep)
        self._retry = RetryPolicy(
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            pacer=self._pacer,
            budget=self._budget,
            sleep=sleep,
        )
        self._pool = BatchPool(
            lambda commands, halt: self.batch(commands, halt=halt), busy=self._pacer.busy
        )
        # Pages chained in one request at most: every request is cut off at 60 s, and a
        # portal slow to serve pages may need shorter chains (tests use them for many requests).
        self.max_pages = max(1, min(max_pages, MAX_BATCH))
        self.requests = 0
        self.bytes_received = 0  # response bodies, as they came over the wire
        self.server_seconds = 0.0  # the portal's own serving time (``time.duration``)
        self.by_method: Counter[str] = Counter()

    @property
    def budget(self) -> OperatingBudget:
        """The per-method execution-time budget as the portal reports it."""
        return self._budget

    @property
    def portal(self) -> str:
        """The portal's host name (safe to show; the webhook URL is not)."""
        return httpx.URL(self._base).host

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call one method and return its ``result``."""
        return (await self.call_raw(method, params)).get("result")

    async def call_raw(
        self, method: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call one method; the whole reply: ``result``, ``total``, ``next``, ``time``."""
        check_method(method)  # a name with "/" or "?" would change the URL
        return await self._send(method, json_params(params or {}), (method,))

    async def server_time(self) -> datetime:
        """The portal's clock (``server.time``), with its offset."""
        value = await self.call("server.time")
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            msg = f"server.time: not an ISO time with an offset: {value!r}"
            raise BitrixError(msg)
        return moment

    async def batch(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], *, halt: bool = False
    ) -> BatchResult:
        """Run up to 50 commands in one request; ``halt`` stops at the first failing one.

        Failed commands are in ``errors`` as ``ApiError`` by key; only the request as a whole is
        retried here.
        """
        if not commands:
            return BatchResult()
        if len(commands) > MAX_BATCH:
            msg = f"a batch takes at most {MAX_BATCH} commands, not {len(commands)}"
            raise ValueError(msg)
        methods: dict[str, str] = {}
        cmd: dict[str, str] = {}
        for key, (method, params) in commands.items():
            check_cmd_key(key)
            cmd[key] = build_command(method, params)
            methods[key] = method
        payload = {"halt": 1 if halt else 0, "cmd": cmd}
        waits_on = ("batch", *sorted(set(methods.values())))
        body = await self._send("batch", payload, waits_on)
        result = parse_batch_reply(body.get("result"), methods, scrub=self._scrub)
        for key, timing in result.times.items():
            if key in methods:
                self._budget.record(methods[key], timing)
        for key, error in result.errors.items():
            if isinstance(error, OperationTimeLimit):
                self._budget.block(methods.get(key, "batch"), error.reset_at)
        return result

    async def call_many(
        self, method: str, params_list: Sequence[Mapping[str, Any] | None]
    ) -> list[Any]:
        """Call one method once per parameter set, 50 to a batch; results in the same order.

        Sub-calls that failed transiently are sent again (bounded like any retry); otherwise
        ``BatchError`` is raised, its ``errors`` keyed by position in ``params_list``.
        """
        out: list[Any] = [None] * len(params_list)
        for first in range(0, len(params_list), MAX_BATCH):
            pending = list(range(first, min(first + MAX_BATCH, len(params_list))))
            attempt = 0
            while pending:
                keys = {cmd_key(index): index for index in pending}
                commands = {key: (method, params_list[i] or {}) for key, i in keys.items()}
                result = await self.batch(commands)
                failed = {keys[key]: err for key, err in result.errors.items() if key in keys}
                for key, index in keys.items():
                    if index not in failed:
                        out[index] = result.results.get(key)
                if not failed:
                    break
                errors = list(failed.values())
                if not all(self._retry.allows(err, attempt) for err in errors):
                    raise BatchError({str(i): err for i, err in failed.items()}, method=method)
                await self._retry.pause(method, errors[0], attempt)
                attempt += 1
                pending = sorted(failed)
        return out

    async def submit(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], *, halt: bool = False
    ) -> BatchResult:
        """Like ``batch``, but shared with commands other tasks submit at the same time."""
        return await self._pool.submit(commands, halt=halt)

    def iter_pages(
        self,
        spec: ListSpec,
        *,
        filter: Mapping[str, Any] | None = None,
        select: Sequence[str] | None = None,
        after_id: int = 0,
        pages_per_request: int = 50,
        expected: int | None = None,
        exact: bool = False,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Rows with id > ``after_id`` in ascending id order, one chunk per HTTP request.

        Keyset methods chain up to ``pages_per_request`` pages in one batch (up to 2,500 rows
        a request), sized by the portal's count (``crm.listing``); ``expected`` guesses the
        rows to come, to size the first (``exact``: it is a count just taken, not a guess).
        The others page by ``start`` offsets.
        """
        if not spec.keyset:
            return listing.offset_pages(
                self.submit, self._pool.prefix, self._retry, spec,
                filter=filter, select=select, after_id=after_id,
            )  # fmt: skip
        return listing.keyset_pages(
            self.submit, self._pool.prefix, self._retry, spec,
            filter=filter, select=select, after_id=after_id,
            pages_per_request=min(pages_per_request, self.max_pages), expected=expected,
            exact=exact,
        )  # fmt: skip

    async def count(self, spec: ListSpec, *, filter: Mapping[str, Any] | None = None) -> int:
        """How many rows of ``spec`` the filter matches (one command in a shared batch)."""
        return await listing.count(
            self.submit, self._pool.prefix, self._retry, spec, filter=filter
        )

    # --- one request, with retries ------------------------------------------------------

    async def _send(
        self, method: str, payload: Mapping[str, Any], waits_on: Iterable[str]
    ) -> dict[str, Any]:
        waits = tuple(waits_on)
        attempt = 0
        renewed = False
        creds: dict[str, str] = {}
        while True:
            for name in waits:
                await self._budget.wait(name)
            try:
                creds = await self._auth.params()
                return await self._exchange(method, {**payload, **creds})
            except AuthError as exc:
                # An expired token: the auth renews it and the request goes once more.
                if renewed or not await self._auth.renew(creds, exc):
                    raise self._auth.refused(exc) from None
                renewed = True
            except BitrixError as exc:
                if not self._retry.allows(exc, attempt):
                    raise
                await self._retry.pause(method, exc, attempt)
                attempt += 1

    async def _exchange(self, method: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        for _ in range(_MAX_REDIRECTS + 1):
            # Counted in full until the reply is back (``LeakyBucket.sending``).
            async with self._pacer.sending():
                self.requests += 1
                self.by_method[method] += 1
                try:
                    response = await self._http.post(
                        self._base + method, json=payload, headers=_HEADERS, follow_redirects=False
                    )
                except httpx.TransportError as exc:
                    # Not chained: httpx's own message may carry the URL, and with it the secret.
                    raise self._transport_error(method, exc) from None
            self.bytes_received += len(response.content)
            if response.status_code in _REDIRECTS and "location" in response.headers:
                self._move(method, response)
                continue
            return self._decode(method, response)
        msg = f"{method}: the portal redirected more than {_MAX_REDIRECTS} times"
        raise TransportError(msg, method=method, retryable=False)

    def _decode(self, method: str, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if 200 <= response.status_code < 300 and isinstance(body, dict) and "error" not in body:
            self._budget.record(method, body.get("time"))
            self.server_seconds += _duration(body.get("time"))
            return body
        timing = body.get("time") if isinstance(body, dict) else None
        reset_at = (
            parse_unix_time(timing.get("operating_reset_at"))
            if isinstance(timing, Mapping)
            else None
        )
        raise error_from_reply(
            response.status_code, body, method, reset_at=reset_at, scrub=self._scrub
        )

    def _move(self, method: str, response: httpx.Response) -> None:
        """The portal moved: keep its new address (base part of the Location) from now on."""
        old = httpx.URL(self._base)
        target = response.request.url.join(response.headers["location"])
        if old.scheme == "https" and target.scheme != "https":
            msg = f"{method}: the portal redirected to a non-HTTPS address; not following"
            raise TransportError(msg, method=method, retryable=False)
        path = target.path
        base_path = old.path
        for suffix in (f"{method}.json", method):
            if path.endswith("/" + suffix):
                base_path = path[: -len(suffix)]
                break
        self._base = str(target.copy_with(path=base_path, query=None, fragment=None))
        self._remember_secret(self._base)
        logger.info(
            "Bitrix24 portal moved from %s to %s; using the new address", old.host, target.host
        )

    def _transport_error(self, method: str, exc: httpx.TransportError) -> TransportError:
        detail = self._scrub(str(exc)) or "no details"
        msg = f"{method}: {type(exc).__name__} talking to {self.portal}: {detail}"
        return TransportError(msg, method=method, retryable=not isinstance(exc, _FATAL_TRANSPORT))

    def _remember_secret(self, base: str) -> None:
        if not self._auth.base_is_secret:
            return
        self._secrets.add(base.rstrip("/"))
        code = httpx.URL(base).path.rstrip("/").rsplit("/", 1)[-1]
        if len(code) >= _MIN_SECRET:  # a short last segment is a path word, not a webhook code
            self._secrets.add(code)

    def _scrub(self, text: str) -> str:
        for secret in sorted(self._secrets.union(self._auth.secrets()), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def _duration(timing: object) -> float:
    value = timing.get("duration") if isinstance(timing, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
