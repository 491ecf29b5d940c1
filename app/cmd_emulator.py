"""``crm-pulse emulator``: the built-in portal emulator on 127.0.0.1, until interrupted."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from typing import cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from emulator.gen_world import Scale
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, serve
from emulator.srv_core import Settings
from emulator.srv_events import check_delay

TIMEZONE = "Europe/Moscow"


def make_portal(
    seed: int, scale: str, *, timezone: str = TIMEZONE, today: date | None = None
) -> Portal:
    """A generated portal whose data ends ``today`` (default: today in the portal's zone)."""
    today = today or datetime.now(tz=ZoneInfo(timezone)).date()
    return Portal(generate(seed, cast(Scale, scale), today, timezone))


class UsageError(ValueError):
    """A bad option: one line saying what is wrong and how to fix it."""


def event_settings(settings: Settings, to: str | None, token: str | None, delay: str) -> Settings:
    """``settings`` with the outbound webhook of the command line (``UsageError``)."""
    if not to:
        if token:
            raise UsageError("--events-token needs --events-to URL (where to POST the events)")
        return settings
    parts = urlsplit(to)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        example = "http://127.0.0.1:8080/bitrix24/events"
        msg = f"--events-to must be an http(s) URL such as {example}, not {to!r}"
        raise UsageError(msg)
    if not token:
        raise UsageError("--events-to needs --events-token T (the application token to send)")
    low, sep, high = delay.partition("-")
    try:
        if not sep:
            raise ValueError(delay)
        bounds = check_delay((float(low), float(high)))
    except ValueError:
        msg = (
            f"--events-delay must be MIN-MAX seconds, 0 <= MIN <= MAX (e.g. 0.5-3), not {delay!r}"
        )
        raise UsageError(msg) from None
    return replace(settings, events_to=to, events_token=token, events_delay=bounds)


def run(args: argparse.Namespace) -> int:
    try:
        settings = event_settings(
            Settings(rate_limit=not args.no_rate_limit),
            args.events_to,
            args.events_token,
            args.events_delay,
        )
    except UsageError as exc:
        print(f"crm-pulse emulator: {exc}", file=sys.stderr)
        return 2
    print(f"generating the {args.scale} portal (seed {args.seed})...", file=sys.stderr)
    started = time.monotonic()
    portal = make_portal(args.seed, args.scale)
    counts = ", ".join(f"{name} {len(rows):,}" for name, rows in portal.data.tables.items())
    print(
        f"{portal.data.count():,} records in {time.monotonic() - started:.1f} s: {counts}",
        file=sys.stderr,
    )

    def ready(emulator: Emulator) -> None:
        limit = "no rate limit" if args.no_rate_limit else "2 requests/s, burst 50"
        print(f"serving {emulator.webhook_url} ({limit}); Ctrl+C stops", flush=True)
        print(
            f"app mode: client_id {emulator.settings.oauth_client_id}, "
            f"authorize at {emulator.authorize_url()}, tokens at {emulator.oauth_url}",
            flush=True,
        )
        if emulator.events.active:
            low, high = emulator.events.delay
            print(f"events go to {emulator.events.url} after {low:g}-{high:g} s", flush=True)

    serve(portal, port=args.port, settings=settings, on_ready=ready)
    return 0
