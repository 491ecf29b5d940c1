"""``crm-pulse emulator``: the built-in portal emulator on 127.0.0.1, until interrupted."""

from __future__ import annotations

import argparse
import errno
import socket
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from typing import cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from emulator.english import in_english
from emulator.gen_world import Scale
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, serve
from emulator.srv_core import Settings
from emulator.srv_events import check_delay

TIMEZONE = "Europe/Moscow"


def make_portal(
    seed: int,
    scale: str,
    *,
    timezone: str = TIMEZONE,
    today: date | None = None,
    language: str | None = None,
) -> Portal:
    """A generated portal whose data ends ``today`` (default: today in the portal's zone).

    ``language="en"``: the same portal with its texts in English (``emulator.english``).
    """
    today = today or datetime.now(tz=ZoneInfo(timezone)).date()
    data = generate(seed, cast(Scale, scale), today, timezone)
    return Portal(in_english(data) if language == "en" else data)


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
    # Before the portal is generated (a minute at --scale large), not after.
    problem = port_problem(args.port)
    if problem:
        print(f"crm-pulse emulator: {problem}", file=sys.stderr)
        return 2
    print(f"generating the {args.scale} portal (seed {args.seed})...", file=sys.stderr)
    started = time.monotonic()
    portal = make_portal(args.seed, args.scale, language=getattr(args, "lang", None))
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

    try:
        serve(portal, port=args.port, settings=settings, on_ready=ready)
    except OSError as exc:
        # taken between our check and the bind, or refused for another reason
        print(f"crm-pulse emulator: {port_problem(args.port, exc) or exc}", file=sys.stderr)
        return 2
    return 0


def port_problem(port: int, error: OSError | None = None) -> str | None:
    """Why the emulator cannot listen on 127.0.0.1:``port``, in one line; None if it can."""
    if not 0 <= port <= 65535:
        return f"--port must be between 1 and 65535 (0: any free port), not {port}"
    if error is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # as the server will bind it: a port left in TIME_WAIT is free to take
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                error = exc
    if error is None:
        return None
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use: stop what listens there or choose another with --port"
    if error.errno == errno.EACCES:
        return f"port {port} needs privileges: choose one above 1023 with --port"
    return f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}"
