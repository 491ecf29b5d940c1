"""`crm-pulse demo --serve`: after the demo, the TV and the dashboard on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import httpx

from tests.web.world import CLI

LINE = re.compile(r"^\s+(TV|dashboard)\s+(http://127\.0\.0\.1:\d+/\S+)$")


async def test_demo_serve_prints_working_links_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        CLI,
        "demo",
        "--serve",
        "--port",
        "0",
        "--out",
        str(tmp_path / "out"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    links: dict[str, str] = {}
    try:
        async with asyncio.timeout(240):
            while len(links) < 2:
                line = (await process.stdout.readline()).decode()
                assert line, "demo ended before printing its links"
                if found := LINE.match(line.rstrip()):
                    links[found.group(1)] = found.group(2)
        async with httpx.AsyncClient(timeout=60) as client:
            tv = await client.get(links["TV"])
            assert tv.status_code == 200 and tv.text.count("data-employee-id") >= 3
            board = await client.get(links["dashboard"] + "?report=kpi")
            assert board.status_code == 200 and 'data-key="metrics.calls.fact"' in board.text
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            await process.wait()
    assert process.returncode == 0
    # The demo's live part: a missed call on the portal, its event, the alert it became.
    alert = (tmp_path / "out" / "live-missed-call.caption.html").read_text(encoding="utf-8")
    assert "Пропущенный звонок" in alert and "/crm/company/details/" in alert
