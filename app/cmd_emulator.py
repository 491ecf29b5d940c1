"""``crm-pulse emulator``: the built-in portal emulator on 127.0.0.1, until interrupted."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from emulator.gen_world import Scale
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, serve
from emulator.srv_core import Settings

TIMEZONE = "Europe/Moscow"


def make_portal(
    seed: int, scale: str, *, timezone: str = TIMEZONE, today: date | None = None
) -> Portal:
    """A generated portal whose data ends ``today`` (default: today in the portal's zone)."""
    today = today or datetime.now(tz=ZoneInfo(timezone)).date()
    return Portal(generate(seed, cast(Scale, scale), today, timezone))


def run(args: argparse.Namespace) -> int:
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

    serve(
        portal,
        port=args.port,
        settings=Settings(rate_limit=not args.no_rate_limit),
        on_ready=ready,
    )
    return 0
