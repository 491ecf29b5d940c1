"""The Bitrix24 chat bot end to end: a generated portal served by the emulator, synced into a
store, and people writing to the bot in its chats.

- fetch mode (imbot.v2): the bot pulls its events with ``imbot.v2.Event.get``;
- push mode (legacy imbot, no imbot.v2 on the portal): the emulator POSTs each event to our
  endpoint, served in-process on 127.0.0.1; forged pushes are refused.

The portal's data is cut to its last week so that the sync takes half a second; it is synced
once per module and each test gets a fresh emulated portal (and so a fresh chat) over it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.bitrix.botapp import BitrixBot, run_bitrix_bot
from bot.bitrix.commands import BitrixDeps
from bot.bitrix.keyboard import NEWLINE
from bot.bitrix.settings import BitrixChatSettings
from bot.settings import BotSettings
from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from crm.sync import SyncOptions, run_sync
from emulator.chat import Message
from emulator.data import PortalData
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from emulator.srv_faults import FaultKind
from reports.build import build_report, report_xlsx
from store.db import make_engine
from store.migrate import migrate
from tests.kpi_data import make_settings

SEED, TODAY, KEEP_DAYS = 11, date(2026, 3, 18), 7
TIMED = {
    "deals": "DATE_MODIFY",
    "leads": "DATE_MODIFY",
    "activities": "LAST_UPDATED",
    "calls": "CALL_START_DATE",
    "tasks": "changedDate",
}
TEAM = "chat12"
CODE = "crm_pulse"
PNG = b"\x89PNG\r\n\x1a\n"
DEADLINE = 20.0  # seconds: generous for a loaded CI machine; normally well under one


@dataclass(frozen=True)
class World:
    data: PortalData
    store_url: str
    as_of: datetime
    head: int  # heads the department ``head_dept``
    head_dept: int
    employee: int  # works in ``head_dept``
    other_dept: int  # a sales department the employee has nothing to do with
    other_dept_name: str


def _people(data: PortalData) -> dict[str, Any]:
    """The head of a sales department, one of their people, and another department."""
    users = {int(u["ID"]): u for u in data.tables["users"]}
    depts = {int(d["ID"]): d for d in data.tables["departments"]}
    sales = data.sales_department_id
    subs = sorted(d for d, row in depts.items() if int(row.get("PARENT") or 0) == sales)
    head_dept, other_dept = subs[0], subs[1]
    head = int(depts[head_dept]["UF_HEAD"])
    employee = next(
        uid
        for uid, u in users.items()
        if head_dept in [int(x) for x in u["UF_DEPARTMENT"]] and uid != head and u["ACTIVE"]
    )
    return {
        "head": head,
        "head_dept": head_dept,
        "employee": employee,
        "other_dept": other_dept,
        "other_dept_name": depts[other_dept]["NAME"],
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    data = generate(SEED, "small", TODAY)
    as_of = datetime.fromisoformat(data.as_of)
    cut = as_of - timedelta(days=KEEP_DAYS)
    for table, key in TIMED.items():
        rows = data.tables[table]
        data.tables[table] = [r for r in rows if datetime.fromisoformat(r[key]) >= cut]
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('bitrix_chat')) / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)

    async def sync() -> None:
        portal = Portal(data, now=lambda: as_of)
        async with (
            running_emulator(portal, rate_limit=False) as emulator,
            _client(emulator) as client,
        ):
            await run_sync(client, engine, SyncOptions(history_days=KEEP_DAYS + 3), full=True)

    asyncio.run(sync())
    engine.dispose()
    return World(data, url, as_of, **_people(data))


@asynccontextmanager
async def _client(emulator: Emulator) -> AsyncIterator[BitrixClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        fast = LeakyBucket(rate=1000, burst=1000)
        yield BitrixClient(http, emulator.webhook_url, pacer=fast, max_retries=0)


@dataclass
class Env:
    world: World
    emulator: Emulator
    client: BitrixClient
    people: BotSettings
    engine: Engine

    def deps(self, **settings: Any) -> BitrixDeps:
        values: dict[str, Any] = {"enabled": True, "bot_token": "t0ken", **settings}
        return BitrixDeps(
            settings=BitrixChatSettings(**values),
            people=self.people,
            kpi=make_settings(sales_departments=(self.world.data.sales_department_id,)),
            engine=self.engine,
            client=self.client,
            build_report=build_report,
            report_xlsx=report_xlsx,
            clock=lambda: self.world.as_of,
        )

    def replies(self, dialog: str, bot: BitrixBot) -> list[Message]:
        assert bot.identity is not None
        return [m for m in self.emulator.chat.messages(dialog) if m.bot_id == bot.identity.id]


@asynccontextmanager
async def portal(world: World, **settings: Any) -> AsyncIterator[Env]:
    served = Portal(world.data, now=lambda: world.as_of)
    async with (
        running_emulator(served, rate_limit=False, **settings) as emulator,
        _client(emulator) as client,
    ):
        engine = make_engine(world.store_url)
        try:
            yield Env(world, emulator, client, BotSettings(), engine)
        finally:
            engine.dispose()


def _image_and_caption(replies: list[Message], env: Env) -> tuple[bytes, Message]:
    images = [m for m in replies if m.file_ids]
    assert len(images) == 1, replies
    stored = env.emulator.chat.file(images[0].file_ids[0])
    assert stored is not None and stored.name.endswith(".png")
    captions = [m for m in replies if m.keyboard]
    assert len(captions) == 1, replies
    return stored.content, captions[0]


# --- fetch mode ------------------------------------------------------------------------------


async def test_rating_from_a_department_head_comes_back_as_an_image(world: World) -> None:
    async with portal(world) as env:
        bot = BitrixBot(env.deps(poll_seconds=0.02))
        stop = asyncio.Event()
        running = asyncio.create_task(run_bitrix_bot(bot.deps, stop, bot=bot))
        await env.emulator.chat.wait_for(
            lambda: bot.identity is not None, "the bot to register", DEADLINE
        )
        await env.emulator.user_message("/rating", user_id=world.head, dialog_id=TEAM, bot=CODE)
        await env.emulator.chat.wait_for(
            lambda: len(env.replies(TEAM, bot)) >= 2, "the reply", DEADLINE
        )
        stop.set()
        await asyncio.wait_for(running, DEADLINE)
        png, caption = _image_and_caption(env.replies(TEAM, bot), env)
        assert png.startswith(PNG)
        assert caption.text.startswith("[b]🏆 Рейтинг[/b]")
        buttons = [b for b in caption.keyboard["BUTTONS"] if b != NEWLINE]
        assert {b["COMMAND"] for b in buttons} == {"rating"}
        assert bot.offset is not None  # the event was acknowledged


async def test_an_employee_is_refused_another_departments_figures(world: World) -> None:
    async with portal(world) as env:
        bot = BitrixBot(env.deps())
        await bot.register()
        text = f"/calls отдел {world.other_dept}"
        await env.emulator.user_message(text, user_id=world.employee, dialog_id=TEAM, bot=CODE)
        await bot.poll_once()
        (reply,) = env.replies(TEAM, bot)
        assert "не видны" in reply.text and world.other_dept_name in reply.text
        assert not reply.file_ids and not env.emulator.chat.files
        # their own figures they do get, in a private dialog with the bot
        await env.emulator.user_message("/calls неделя", user_id=world.employee, bot=CODE)
        await bot.poll_once()
        png, caption = _image_and_caption(env.replies(str(world.employee), bot), env)
        assert png.startswith(PNG) and "📞 Звонки" in caption.text


async def test_a_period_button_answers_with_that_period(world: World) -> None:
    async with portal(world) as env:
        bot = BitrixBot(env.deps())
        await bot.register()
        await env.emulator.user_message("/calls", user_id=world.head, dialog_id=TEAM, bot=CODE)
        await bot.poll_once()
        _, caption = _image_and_caption(env.replies(TEAM, bot), env)
        week = next(b for b in caption.keyboard["BUTTONS"] if b.get("TEXT") == "Неделя")
        assert week["COMMAND_PARAMS"] == f"week отдел {world.head_dept}"
        env.emulator.chat.user_message(
            f"/{week['COMMAND']} {week['COMMAND_PARAMS']}",
            user_id=world.head,
            dialog_id=TEAM,
            bot=CODE,
            context="keyboard",
        )
        await bot.poll_once()
        pressed = env.replies(TEAM, bot)[2:]
        _, second = _image_and_caption(pressed, env)
        marked = [b["TEXT"] for b in second.keyboard["BUTTONS"] if b.get("TEXT", "")[:1] == "•"]
        assert marked == ["• Неделя"]


async def test_registration_is_tried_again_when_the_portal_fails(world: World) -> None:
    async with portal(world) as env:
        env.emulator.faults.add(FaultKind.SERVER_ERROR, "imbot.v2.Bot.register", times=2)
        bot = BitrixBot(env.deps(error_backoff_seconds=0.01, poll_seconds=0.02))
        stop = asyncio.Event()
        running = asyncio.create_task(bot.run(stop))
        await env.emulator.chat.wait_for(
            lambda: bot.identity is not None, "the bot to register", DEADLINE
        )
        stop.set()
        await asyncio.wait_for(running, DEADLINE)
        assert env.emulator.faults.injected["server_error"] == 2
        assert len(env.emulator.chat.bots) == 1


async def test_a_restart_does_not_make_a_second_bot(world: World) -> None:
    async with portal(world) as env:
        first = await BitrixBot(env.deps()).register()
        again = await BitrixBot(env.deps()).register()
        assert first is not None and first == again
        bots = list(env.emulator.chat.bots.values())
        assert [b.code for b in bots] == [CODE]
        assert {"rating", "calls", "export", "help"} <= set(bots[0].commands)


async def test_an_export_is_uploaded_as_an_excel_file(world: World) -> None:
    async with portal(world) as env:
        bot = BitrixBot(env.deps())
        await bot.register()
        await env.emulator.user_message(
            "/export calls неделя", user_id=world.head, dialog_id=TEAM, bot=CODE
        )
        await bot.poll_once()
        (reply,) = env.replies(TEAM, bot)
        stored = env.emulator.chat.file(reply.file_ids[0])
        assert stored is not None and stored.name == "calls_week.xlsx"
        assert stored.content[:2] == b"PK"


# --- push mode -------------------------------------------------------------------------------


@asynccontextmanager
async def endpoint() -> AsyncIterator[tuple[str, Callable[[BitrixBot], None]]]:
    """Our event endpoint on 127.0.0.1; the bot behind it is plugged in once known."""
    current: dict[str, BitrixBot] = {}

    async def route(request: web.Request) -> web.StreamResponse:
        handler = current["bot"].event_handler()
        return await handler(request)

    app = web.Application()
    app.router.add_post("/bitrix/events", route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))

    def plug(bot: BitrixBot) -> None:
        current["bot"] = bot

    try:
        yield f"http://127.0.0.1:{port}/bitrix/events", plug
    finally:
        await runner.cleanup()


def app_token(env: Env) -> str:
    """What the portal puts in auth[application_token] of our bot's events."""
    registered = env.emulator.chat.bot(CODE)
    assert registered is not None
    return registered.application_token


async def _legacy_bot(env: Env, url: str, plug: Callable[[BitrixBot], None]) -> BitrixBot:
    """Register once to learn the application token, then start the bot that checks it."""
    first = BitrixBot(env.deps(event_url=url))
    await first.register()
    token = app_token(env)
    bot = BitrixBot(env.deps(event_url=url, application_token=token))
    identity = await bot.register()
    assert identity is not None and identity.api == 1 and identity == first.identity
    plug(bot)
    return bot


async def test_a_pushed_event_is_answered_through_the_legacy_bot(world: World) -> None:
    async with portal(world, imbot_v2=False) as env, endpoint() as (url, plug):
        bot = await _legacy_bot(env, url, plug)
        await env.emulator.user_message("/rating", user_id=world.head, dialog_id=TEAM, bot=CODE)
        await bot.drain()
        assert env.emulator.chat.deliveries == [(url, "ONIMCOMMANDADD", "200")]
        replies = env.replies(TEAM, bot)
        (caption,) = [m for m in replies if m.keyboard]
        assert caption.text.startswith("[b]🏆 Рейтинг[/b]")
        # no im.v2 on this portal: the chart went by the three legacy calls, as the user
        (image,) = [m for m in env.emulator.chat.messages(TEAM) if m.file_ids]
        stored = env.emulator.chat.file(image.file_ids[0])
        assert stored is not None and stored.content.startswith(PNG)
        assert len(env.emulator.chat.calls_of("im.disk.file.commit")) == 1
        assert len(env.emulator.chat.bots) == 1


async def _post(url: str, form: list[tuple[str, str]]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(url, data=dict(form))


@pytest.mark.parametrize("token", ["forged-token", ""])
async def test_a_forged_push_is_rejected_and_not_logged(
    world: World, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "FORGED-PAYLOAD-7d1c"
    form = [
        ("event", "ONIMBOTMESSAGEADD"),
        ("data[PARAMS][MESSAGE]", f"/rating {marker}"),
        ("data[PARAMS][DIALOG_ID]", TEAM),
        ("data[PARAMS][FROM_USER_ID]", str(world.head)),
        ("auth[application_token]", token),
    ]
    async with portal(world, imbot_v2=False) as env, endpoint() as (url, plug):
        bot = await _legacy_bot(env, url, plug)
        with caplog.at_level(logging.INFO):
            response = await _post(url, form)
        await bot.drain()
        assert response.status_code == 401
        assert bot.answered == 0 and not env.replies(TEAM, bot)
        rejected = [r for r in caplog.records if "rejected an event push" in r.getMessage()]
        assert len(rejected) == 1
        assert marker not in caplog.text and "forged-token" not in caplog.text
        # the same body with the right token is answered
        right = app_token(env)
        form[-1] = ("auth[application_token]", right)
        assert (await _post(url, form)).status_code == 200
        await bot.drain()
        assert bot.answered == 1 and env.replies(TEAM, bot)


async def test_without_a_configured_token_every_push_is_refused(world: World) -> None:
    async with portal(world, imbot_v2=False) as env, endpoint() as (url, plug):
        bot = BitrixBot(env.deps(event_url=url))
        await bot.register()
        plug(bot)
        await env.emulator.user_message("/rating", user_id=world.head, dialog_id=TEAM, bot=CODE)
        assert env.emulator.chat.deliveries == [(url, "ONIMCOMMANDADD", "401")]
        assert bot.answered == 0


async def test_a_disabled_front_end_only_waits(world: World) -> None:
    async with portal(world) as env:
        deps = env.deps(enabled=False)
        stop = asyncio.Event()
        stop.set()
        finished: Awaitable[None] = run_bitrix_bot(deps, stop)
        await asyncio.wait_for(finished, DEADLINE)
        assert not env.emulator.chat.bots
