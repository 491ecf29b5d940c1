"""Starting the installed ``crm-pulse`` command as a user would, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import sys
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
