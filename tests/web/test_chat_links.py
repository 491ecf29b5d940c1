"""/tv and /dashboard in both chats: who gets which link, and only in a private chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.bitrix.commands import BitrixDeps, answer
from bot.bitrix.events import ChatEvent
from bot.bitrix.settings import BitrixChatSettings
from bot.settings import BotSettings, Person, Role
from crm.client import BitrixClient
from reports.build import build_report, report_xlsx
from store.web_models import WebLink, find_link
from tests.fakes.bot_world import (
    EMPLOYEE,
    HEAD,
    NOW,
    PEOPLE,
    TEAM_CHAT,
    World,
    make_world,
    write_world,
)
from tests.fakes.tg_updates import group, message
from tests.kpi_data import make_settings

LINK = re.compile(r"http://127\.0\.0\.1:8080/(tv|d)/([A-Za-z0-9_-]{43})/?")


@pytest.fixture
def world(sqlite_engine: Engine) -> World:
    write_world(sqlite_engine)
    return make_world(sqlite_engine)


def scope_of(engine: Engine, text: str) -> tuple[str, str, int | None]:
    found = LINK.search(text)
    assert found, text
    kind = "tv" if found.group(1) == "tv" else "dashboard"
    with Session(engine) as session:
        link = find_link(session, found.group(2), kind, now=NOW)  # type: ignore[arg-type]
        assert link is not None
        return link.kind, link.scope_kind, link.scope_id


def links(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(WebLink)).all())


async def said(world: World, text: str, who: int, chat: dict[str, object] | None = None) -> str:
    await world.send(message(text, sender=PEOPLE[who], chat=chat))
    return str(world.last("sendMessage").params["text"])


async def test_telegram_head_employee_and_group(world: World, sqlite_engine: Engine) -> None:
    # Boris heads "Продажи Москва" (2): his TV and dashboard show it by default
    assert scope_of(sqlite_engine, await said(world, "/tv", HEAD)) == ("tv", "department", 2)
    board = await said(world, "/dashboard Vera", HEAD)
    assert scope_of(sqlite_engine, board) == ("dashboard", "employee", 12)
    made = links(sqlite_engine)
    # Anna (department 1) is above Boris's tree: refused, nothing stored
    assert "недоступна" in await said(world, "/dashboard Anna Orlova", HEAD)
    # an employee: no TV; their dashboard shows only themselves, whatever they ask
    # (Vera's Telegram speaks English, and so do the bot's private answers to her)
    assert "isn't available to you" in await said(world, "/tv", EMPLOYEE)
    mine = await said(world, "/dashboard", EMPLOYEE)
    assert scope_of(sqlite_engine, mine) == ("dashboard", "employee", 12)
    assert "isn't available to you" in await said(world, "/dashboard Boris", EMPLOYEE)
    # a link in the team chat would open it to everyone there
    text = await said(world, "/dashboard", HEAD, chat=group(TEAM_CHAT))
    assert "личных" in text and not LINK.search(text)
    assert links(sqlite_engine) == made + 1


@pytest.fixture
async def bitrix(sqlite_engine: Engine) -> AsyncIterator[BitrixDeps]:
    write_world(sqlite_engine)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the portal was asked {request.url.path}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        yield BitrixDeps(
            settings=BitrixChatSettings(enabled=True),
            people=BotSettings(people=(Person(13, role=Role.ADMIN),)),
            kpi=make_settings(sales_departments=(1,)),
            engine=sqlite_engine,
            client=BitrixClient(http, "https://example.bitrix24.ru/rest/1/code123/"),
            build_report=build_report,
            report_xlsx=report_xlsx,
            clock=lambda: NOW,
        )


def bitrix_says(deps: BitrixDeps, user: int, text: str, dialog: str) -> str:
    word, _, rest = text.partition(" ")
    event = ChatEvent(
        type="ONIMBOTV2COMMANDADD",
        dialog_id=dialog,
        user_id=user,
        text=text,
        command=word[1:],
        params=rest,
        context="textarea",
    )
    reply = answer(deps, event, NOW)
    assert reply is not None
    return reply.text


def test_bitrix_admin_head_and_group(bitrix: BitrixDeps, sqlite_engine: Engine) -> None:
    # Gleb is an admin by config: the whole team by default
    admin = bitrix_says(bitrix, 13, "/tv", "13")
    assert scope_of(sqlite_engine, admin) == ("tv", "company", None)
    head = bitrix_says(bitrix, 11, "/dashboard", "11")
    assert scope_of(sqlite_engine, head) == ("dashboard", "department", 2)
    assert "до " in head  # a dashboard link says until when it works
    assert "личных" in bitrix_says(bitrix, 11, "/tv", "chat5")
    assert "недоступна" in bitrix_says(bitrix, 12, "/tv", "12")
