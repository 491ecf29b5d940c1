"""A chat front end kept alive: retried with backoff when it cannot start, fatal when a retry
cannot help.

``crm-pulse run`` starts Telegram polling and the Bitrix24 bot as tasks. Before, a polling
task that could not reach Telegram died with a traceback and the process went on without it
(or exited 0), so a restart-on-failure policy never brought it back. Under ``supervised``:

- a failure to start (or a front end that stops by itself) is logged in one line per attempt,
  without a traceback, and retried after 1, 2, 4 ... up to 300 seconds (with jitter), while
  the other front end and the schedule keep running;
- a fatal failure (Telegram rejects the bot token: 401 Unauthorized; the portal rejects the
  credentials) is logged in one line and raised as ``FrontEndFatal``: the process stops
  with a non-zero exit code, so the operator and the service manager both see it;
- a front end that ran a while before it failed starts again from the shortest wait;
- an error of a kind we do not expect is logged with its traceback the first time only.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable

from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiohttp import ClientError

from app.config import ConfigError
from crm.errors import AuthError, ScopeError, TransportError, is_retryable

log = logging.getLogger("app.supervise")

FIRST_DELAY = 1.0
MAX_DELAY = 300.0
# A front end that ran this long before it failed was healthy: its next wait starts short.
HEALTHY_AFTER = 60.0

_EXPECTED = (
    OSError,
    TimeoutError,
    ClientError,
    TelegramNetworkError,
    TelegramServerError,
    TelegramConflictError,
    TransportError,
)


class FrontEndFatal(Exception):
    """A front end failed in a way no retry mends; the process should stop non-zero."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def fatal_reason(exc: BaseException) -> str | None:
    """Why ``exc`` cannot be mended by waiting, or None when a retry may help."""
    if isinstance(exc, TelegramUnauthorizedError):
        return (
            "Telegram rejected the bot token (401 Unauthorized): set telegram.token to the "
            "token @BotFather gave (or CRM_PULSE_TELEGRAM__TOKEN)"
        )
    if isinstance(exc, AuthError | ScopeError | ConfigError):
        return str(exc)  # these say the key and the fix, and never the secret
    return None


def _scrubbed(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


async def _stopped(stop_event: asyncio.Event, delay: float) -> bool:
    """Wait ``delay`` seconds or until stopped; True when stopped."""
    try:
        await asyncio.wait_for(stop_event.wait(), delay)
    except TimeoutError:
        return False
    return True


async def supervised(  # noqa: PLR0913  (the knobs are keyword-only and have defaults)
    name: str,
    start_front_end: Callable[[], Awaitable[object]],
    stop_event: asyncio.Event,
    *,
    secrets: Iterable[str] = (),
    is_fatal: Callable[[BaseException], str | None] = fatal_reason,
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
    healthy_after: float = HEALTHY_AFTER,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``start_front_end()`` until ``stop_event`` is set, restarting it as it fails.

    Returns when stopped; raises ``FrontEndFatal`` on a fatal failure. ``secrets`` are cut
    out of every message logged (a bot token can sit in a URL inside an error's text).
    """
    hidden = tuple(secrets)
    attempt = 0
    seen: set[type[BaseException]] = set()
    while not stop_event.is_set():
        started = clock()
        try:
            await start_front_end()
        except Exception as exc:
            reason = is_fatal(exc)
            if reason is not None:
                reason = _scrubbed(reason, hidden)
                log.error("%s cannot run: %s; stopping crm-pulse", name, reason)
                raise FrontEndFatal(name, reason) from None
            what = _scrubbed(f"{type(exc).__name__}: {exc}".strip().splitlines()[0], hidden)
            unexpected = not isinstance(exc, _EXPECTED) and not is_retryable(exc)
            if unexpected and type(exc) not in seen:
                seen.add(type(exc))
                log.error("%s failed unexpectedly: %s", name, what, exc_info=exc)
        else:
            if stop_event.is_set():
                return
            what = "it stopped by itself"
        ran = clock() - started
        attempt = 1 if ran >= healthy_after else attempt + 1
        delay = min(max_delay, first_delay * 2 ** (attempt - 1))
        delay *= random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not a secret)
        verb = "stopped" if ran >= healthy_after else "could not start"
        log.warning("%s %s (attempt %d): %s; retrying in %.0f s", name, verb, attempt, what, delay)
        if await _stopped(stop_event, delay):
            return
