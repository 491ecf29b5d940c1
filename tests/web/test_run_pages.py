"""The TV through `crm-pulse run`'s one listener: made by `crm-pulse link`, live, and 404s."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
from pathlib import Path

import httpx

from tests.web.world import CLI, World, synced_world


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def cli(world: World, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        CLI,
        *args,
        "--config",
        str(world.config_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_run_serves_the_tv_made_by_link(tmp_path: Path) -> None:
    async with synced_world(tmp_path) as world:
        port = free_port()
        with world.config_path.open("a") as config:
            config.write(f'[web]\nport = {port}\npublic_url = "http://127.0.0.1:{port}"\n')
        made = await cli(world, "link", "tv")
        url = made.strip().splitlines()[-1]
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/tv/[A-Za-z0-9_-]{{43}}", url)
        process = await asyncio.create_subprocess_exec(
            CLI,
            "run",
            "--config",
            str(world.config_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                async with asyncio.timeout(60):
                    while True:
                        try:
                            page = await client.get(url)
                            break
                        except httpx.ConnectError:
                            await asyncio.sleep(0.2)
                assert page.status_code == 200
                assert page.text.count("data-employee-id") >= 3
                async with client.stream("GET", f"{url}/events") as stream:
                    async for line in stream.aiter_lines():
                        if line.startswith("data: "):
                            assert "data-rank" in json.loads(line[6:])["parts"]["board"]
                            break
                forged = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
                missing = await client.get(forged)
                assert missing.status_code == 404 and "data-employee-id" not in missing.text
                await cli(world, "link", "revoke", url)
                assert (await client.get(url)).status_code == 404
        finally:
            process.terminate()
            async with asyncio.timeout(30):
                await process.wait()
        assert process.returncode == 0, (await process.stderr.read()).decode()  # type: ignore[union-attr]
