"""Starting the installed ``crm-pulse`` command as a user would, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

CLI = str(Path(sys.executable).with_name("crm-pulse"))


async def cli(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        CLI,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def until(check: Callable[[], bool], within: float, what: str) -> float:
    """Seconds until ``check`` holds, looked at every 0.1 s; fails the test after ``within``."""
    import pytest

    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            pytest.fail(f"{what}: not within {within} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


HEAD_BITRIX, HEAD_TELEGRAM = 2, 700001  # the sales department's head, linked to Telegram


def write_config(path: Path, *, portal: str, store: Path, api_base: str, extra: str = "") -> None:
    """A config for `crm-pulse run` against the emulator and the fake Bot API: ``portal`` is
    the body of [portal], ``extra`` any further sections; the sales head is linked."""
    from tests.fakes.botapi import TOKEN

    path.write_text(
        f"""[portal]
{portal}
[storage]
url = "sqlite:///{store}"
[telegram]
token = "{TOKEN}"
api_base = "{api_base}"
[scope]
sales_departments = [2]
[[people]]
bitrix_id = {HEAD_BITRIX}
telegram_id = {HEAD_TELEGRAM}
role = "head"
{extra}
""",
        encoding="utf-8",
    )
