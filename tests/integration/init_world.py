"""A portal emulator and a fake Bot API that knows its groups, for the init and check tests.

``ChatTelegram`` adds getChat and getChatMember to the shared fake: each group the bot is in
has a title and the bot's status there.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from app.cmd_emulator import make_portal
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from tests.fakes.botapi import FakeTelegram, serve_botapi
from tests.fakes.botapi_core import BOT_USER, error_body

TODAY = date(2026, 11, 19)
TEAM_CHAT = -1001234567
TEAM_TITLE = "Отдел продаж"


@dataclass
class ChatTelegram(FakeTelegram):
    groups: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (title, status)

    def _getChat(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        found = self.groups.get(int(params["chat_id"]))
        if found is None:
            return error_body(400, "Bad Request: chat not found")
        return {
            "id": int(params["chat_id"]),
            "type": "supergroup",
            "title": found[0],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _getChatMember(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        found = self.groups.get(int(params["chat_id"]))
        if found is None:
            return error_body(400, "Bad Request: chat not found")
        return {"status": found[1], "user": BOT_USER}


@cache
def _portal_data() -> Any:
    return make_portal(5, "small", today=TODAY).data


def fresh_portal() -> Portal:
    """The same generated portal each time (generated once per test run), with its clock."""
    data = _portal_data()
    portal = Portal(data)
    portal.now = lambda: portal_now(data)
    return portal


def portal_now(data: Any) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(data.as_of)


@dataclass
class World:
    emulator: Emulator
    telegram: ChatTelegram


@asynccontextmanager
async def world(**emulator_settings: Any) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(
            running_emulator(fresh_portal(), rate_limit=False, **emulator_settings)
        )
        telegram = await stack.enter_async_context(serve_botapi(ChatTelegram()))
        assert isinstance(telegram, ChatTelegram)
        yield World(emulator, telegram)


class Terminal(io.StringIO):
    """Typed answers, one a line, read as from a terminal."""

    def isatty(self) -> bool:
        return True


async def run_in_thread(func: Any, *args: Any) -> Any:
    """A command's ``run`` (it calls asyncio.run) while this loop keeps serving the fakes."""
    return await asyncio.to_thread(func, *args)


def env_for(w: World, store: Path) -> dict[str, str]:
    return {
        "CRM_PULSE_TELEGRAM__API_BASE": w.telegram.base_url,
        "CRM_PULSE_STORAGE__URL": f"sqlite:///{store}",
    }
