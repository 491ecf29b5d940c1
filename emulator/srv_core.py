"""Shared pieces of the emulator server: settings, errors, method results, limits, ``time``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.portal import Portal

OPERATING_WINDOW = 600.0  # seconds: ten one-minute buckets
OPERATING_BUCKET = 60.0


@dataclass(frozen=True)
class Settings:
    """How one emulated webhook and portal behave (see ``build_app`` for the meaning)."""

    webhook_user: int = 1
    webhook_code: str = "testcode"
    scopes: frozenset[str] | None = None
    rate: float = 2.0
    burst: int = 50
    rate_limit: bool = True
    moved_to: str | None = None
    operating_limit: float = 480.0
    # Synthetic execution cost: per call, per row returned, per row counted for ``total``
    # (COUNT(*) is what makes offset paging expensive on a real portal).
    operating_base: float = 0.002
    operating_per_row: float = 0.0001
    operating_per_counted_row: float = 0.000002
    # voximplant.statistic.get returns only this many newest days of a long range (None: off).
    calls_recent_days: int | None = 30
    imbot_v2: bool = True
    # The outbound webhook (reference §7.1-7.2): every change is POSTed to ``events_to`` with
    # ``auth[application_token]`` = ``events_token``, each after a random delay (seconds) drawn
    # from ``events_delay``. Off unless both are set.
    events_to: str | None = None
    events_token: str | None = None
    events_delay: tuple[float, float] = (0.5, 3.0)
    # What the portal calls itself in ``auth[member_id]`` of events and OAuth replies.
    member_id: str = "e2a6d1b0c3f94e5a8b7c6d5e4f3a2b1c"
    # The local server application (``srv_oauth``): its keys, where the authorize step sends
    # the user back (None: a page shows the code), how long an access token and a code live,
    # and whether a refresh token works only once (each refresh hands out a new one).
    oauth_client_id: str = "local.6571a3b2c4d5e6.12345678"
    oauth_client_secret: str = "emulatorSecret0123456789abcdefABCDEF0123456789xyz"  # noqa: S105
    oauth_redirect_uri: str | None = None
    oauth_token_seconds: float = 3600.0
    oauth_code_seconds: float = 30.0
    oauth_refresh_rotates: bool = True
    # The application's ``application_token``: ``auth[application_token]`` of the events sent
    # to its ``event.bind`` handlers (the portal hands it over in ONAPPINSTALL).
    app_token: str = "51856fefc120afa4b628cc82d3935cce"  # noqa: S105


class ApiError(Exception):
    """A Bitrix24 error reply: HTTP status plus ``error`` / ``error_description``."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


def method_not_found() -> ApiError:
    return ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def insufficient_scope() -> ApiError:
    # Docs list 403, b24pysdk groups it with 401s; the portal answers 401 with a Bearer challenge.
    return ApiError(
        401,
        "insufficient_scope",
        "The request requires higher privileges than provided by the webhook token",
    )


def operation_time_limit() -> ApiError:
    return ApiError(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")


@dataclass
class MethodResult:
    """What a method handler produced; ``rows``/``counted`` drive the synthetic cost."""

    result: Any
    total: int | None = None
    next: int | None = None
    rows: int = 0
    counted: int = 0


@dataclass(frozen=True)
class Caller:
    """Who calls: the inbound webhook, or the application with an OAuth token (``app``) and
    the ``auth_connector`` it sent ("" for none)."""

    app: bool = False
    user: int = 1
    connector: str = ""


WEBHOOK = Caller()


@dataclass
class CallContext:
    portal: Portal
    settings: Settings
    method: str
    in_batch: bool = False
    caller: Caller = WEBHOOK


Handler = Callable[[CallContext, dict[str, Any]], MethodResult]


@dataclass(frozen=True)
class MethodSpec:
    """A REST method: the scope it needs (None: always allowed) and its handler."""

    scope: str | None
    handler: Handler
    batchable: bool = True


class LeakyBucket:
    """The portal's request-rate limit: +1 per request, draining at ``rate``/s, per client IP."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._levels: dict[str, tuple[float, float]] = {}

    def level(self, key: str, now: float) -> float:
        level, last = self._levels.get(key, (0.0, now))
        return max(0.0, level - max(0.0, now - last) * self.rate)

    def admit(self, key: str, now: float) -> bool:
        level = self.level(key, now)
        if level + 1 > self.burst:
            self._levels[key] = (level, now)
            return False
        self._levels[key] = (level + 1, now)
        return True


@dataclass
class OperatingMeter:
    """Execution time per method in ten one-minute buckets, as the portal accounts it."""

    limit: float
    _buckets: dict[str, dict[int, float]] = field(default_factory=dict)

    def _live(self, method: str, now: float) -> dict[int, float]:
        buckets = self._buckets.setdefault(method, {})
        oldest = int((now - OPERATING_WINDOW) // OPERATING_BUCKET) + 1
        for minute in [m for m in buckets if m < oldest]:
            del buckets[minute]
        return buckets

    def used(self, method: str, now: float) -> float:
        return sum(self._live(method, now).values())

    def blocked(self, method: str, now: float) -> bool:
        return self.used(method, now) > self.limit

    def add(self, method: str, now: float, cost: float) -> None:
        buckets = self._live(method, now)
        minute = int(now // OPERATING_BUCKET)
        buckets[minute] = buckets.get(minute, 0.0) + cost

    def reset_at(self, method: str, now: float) -> float:
        """When the oldest bucket that holds time expires."""
        buckets = self._live(method, now)
        if not buckets:
            return now + OPERATING_WINDOW
        return min(buckets) * OPERATING_BUCKET + OPERATING_WINDOW


def time_block(
    portal: Portal,
    started: datetime,
    processing: float,
    *,
    operating: float = 0.0,
    reset_at: float | None = None,
) -> dict[str, Any]:
    """The ``time`` member every reply carries."""
    finished = portal.now()
    start = started.timestamp()
    finish = max(finished.timestamp(), start + processing)
    block: dict[str, Any] = {
        "start": round(start, 6),
        "finish": round(finish, 6),
        "duration": round(finish - start, 6),
        "processing": round(processing, 6),
        "date_start": portal.iso(started),
        "date_finish": portal.iso(finished),
        "operating_reset_at": int(reset_at if reset_at is not None else start + OPERATING_WINDOW),
        "operating": round(operating, 6),
    }
    return block
