"""Fuzzed command arguments in both chats (hypothesis): whatever follows a command, the bot
answers with a clear reply and nothing breaks (no unexpected error logged, every request
valid Bot API), through the real dispatcher and the real report builder."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.bitrix.commands import BitrixDeps, answer
from bot.bitrix.events import ChatEvent
from bot.bitrix.settings import BitrixChatSettings
from bot.settings import BotSettings, Person, Role
from crm.client import BitrixClient
from reports.build import build_report, report_xlsx
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import ADMIN, HEAD, PEOPLE, World, make_world, write_world
from tests.unit import reports_fixtures as rf

COMMANDS = (
    "rating",
    "calls",
    "coverage",
    "missed",
    "kpi",
    "funnel",
    "deals",
    "tasks",
    "lost",
    "abc",
    "plan",
    "contest",
    "me",
    "tv",
    "dashboard",
    "link",
    "help",
    "nosuchcommand",
)
WORDS = st.sampled_from(
    [
        "week",
        "month",
        "today",
        "2026-03-01..2026-03-31",
        "2026-13-45",
        "31.12.2026",
        "отдел",
        "Продажи",
        "Orlova",
        "-1",
        "0",
        "99999999999999999999",
        "set",
        "calls",
        "start",
        "stop",
        "..",
        "'; DROP TABLE deals; --",
        "<b>",
        "@everyone",
        "\u202e",
    ]
)
ARGS = st.lists(st.one_of(WORDS, st.text(max_size=40)), max_size=6).map(" ".join) | st.text(
    max_size=300
)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[Errors]:
    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def telegram(sqlite_engine: Engine) -> Iterator[tuple[World, asyncio.AbstractEventLoop]]:
    write_world(sqlite_engine)
    loop = asyncio.new_event_loop()
    world = make_world(sqlite_engine, builder=build_report, xlsx=report_xlsx)
    yield world, loop
    loop.run_until_complete(world.bot.session.close())
    loop.close()


@EXAMPLES
@given(command=st.sampled_from(COMMANDS), args=ARGS, who=st.sampled_from([ADMIN, HEAD]))
def test_telegram_answers_any_arguments(
    telegram: tuple[World, asyncio.AbstractEventLoop],
    errors: Errors,
    command: str,
    args: str,
    who: int,
) -> None:
    world, loop = telegram
    before = len(world.fake.calls)
    text = f"/{command} {args}".strip()
    loop.run_until_complete(world.send(tg.message(text, sender=PEOPLE[who])))
    replies = [
        c
        for c in world.fake.calls[before:]
        if c.params.get("chat_id") == who
        and c.method in ("sendMessage", "sendPhoto", "sendDocument")
    ]
    assert replies, f"no reply to {text!r}"
    said = str(replies[-1].params.get("text") or replies[-1].params.get("caption") or "")
    assert said.strip() or replies[-1].files, f"an empty reply to {text!r}"
    assert world.fake.errors == [], text
    assert errors.records == [], [r.getMessage() for r in errors.records]


@pytest.fixture(scope="module")
def bitrix_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("fuzz") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture
def bitrix(bitrix_engine: Engine) -> Iterator[BitrixDeps]:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the portal was asked {request.url.path}")

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    yield BitrixDeps(
        settings=BitrixChatSettings(enabled=True),
        people=BotSettings(people=(Person(11, role=Role.HEAD), Person(13, role=Role.ADMIN))),
        kpi=rf.settings(),
        engine=bitrix_engine,
        client=BitrixClient(http, "https://example.bitrix24.ru/rest/1/code123/"),
        build_report=build_report,
        report_xlsx=report_xlsx,
        clock=lambda: rf.NOW,
    )
    asyncio.run(http.aclose())


@EXAMPLES
@given(command=st.sampled_from(COMMANDS), args=ARGS, who=st.sampled_from([11, 13]))
def test_bitrix24_chat_answers_any_arguments(
    bitrix: BitrixDeps, errors: Errors, command: str, args: str, who: int
) -> None:
    event = ChatEvent(
        type="ONIMBOTV2COMMANDADD",
        dialog_id=str(who),  # a private dialog: the bot always answers there
        user_id=who,
        text=f"/{command} {args}".strip(),
        command=command,
        params=args,
        context="textarea",
    )
    now: datetime = rf.NOW
    reply = answer(bitrix, event, now)
    assert reply is not None, event.text
    assert reply.text.strip() or reply.report is not None or reply.file, event.text
    assert errors.records == [], [r.getMessage() for r in errors.records]
