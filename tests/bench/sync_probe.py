"""One full sync as ``crm-pulse sync`` runs it, reporting what the sync bench compares.

``python -m tests.bench.sync_probe WEBHOOK_URL STORE_PATH`` syncs into a fresh SQLite store
with the production pacing (2 requests/s, a burst of 50 less one) and prints one JSON line:
rows, requests our client sent, wall seconds, the portal's own serving seconds (the sum of
each reply's ``time.duration``), bytes received and the largest share of a method's 480 s
operating budget. Run in its own process so that its peak memory is the sync's alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from store.db import make_engine
from store.migrate import migrate

RATE, BURST = 2.0, 50


async def main(webhook_url: str, path: str) -> dict[str, object]:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
        client = BitrixClient(http, webhook_url, pacer=LeakyBucket(rate=RATE, burst=BURST - 1))
        started = time.monotonic()
        report = await run_sync(client, engine)
        wall = time.monotonic() - started
    engine.dispose()
    usage = client.budget.usage()
    worst = max(usage, key=lambda m: usage[m]) if usage else ""
    return {
        "ok": report.ok,
        "errors": dict(report.errors),
        "rows": report.fetched,
        "requests": client.requests,
        "wall": wall,
        "serving": client.server_seconds,
        "bytes": client.bytes_received,
        "worst_method": worst,
        "worst_share": usage.get(worst, 0.0) / client.budget.limit,
        # The biggest users of the budget, to see what a share is made of.
        "shares": {
            method: round(usage[method] / client.budget.limit, 4)
            for method in sorted(usage, key=lambda m: -usage[m])[:3]
        },
        "by_method": dict(client.by_method),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))  # noqa: T201
