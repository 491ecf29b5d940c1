"""Scheduled posts: photo or text, topics, 429 waits, blocked chats skipped, chat moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiogram import Bot
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.reporting import ReportLike
from bot.settings import TeamChat
from bot.telegram.messenger import TelegramMessenger
from kpi.periods import parse_period
from kpi.scope import company_scope
from store.bot_models import BlockedChat
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    ADMIN,
    NOW,
    PEOPLE,
    TEAM_CHAT,
    FakeBuilder,
    make_world,
    write_world,
)
from tests.fakes.botapi import TOKEN, FakeTelegram, RecordingSession
from tests.kpi_data import make_settings


class Setup:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.fake = FakeTelegram()
        self.waits: list[float] = []

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        bot = Bot(TOKEN, session=RecordingSession(self.fake))
        self.messenger = TelegramMessenger(bot, engine, retries=2, sleep=sleep, clock=lambda: NOW)

    def report(self, png: bytes | None = b"\x89PNG") -> ReportLike:
        builder = FakeBuilder(png=png)
        with Session(self.engine) as session:
            settings = make_settings()
            period = parse_period("week", now=NOW, tz=settings.tz)
            return builder(
                session, settings, "rating", period, company_scope(session, settings), now=NOW
            )


@pytest.fixture
def setup(sqlite_engine: Engine) -> Iterator[Setup]:
    write_world(sqlite_engine)
    setup = Setup(sqlite_engine)
    yield setup
    assert setup.fake.errors == []


async def test_a_report_goes_to_the_topic_as_a_photo(setup: Setup) -> None:
    done = await setup.messenger.post_report(TeamChat(TEAM_CHAT, 7), setup.report())
    photo = setup.fake.requests("sendPhoto")[0]
    assert (photo.params["chat_id"], photo.params["message_thread_id"]) == (TEAM_CHAT, 7)
    assert "Anna Orlova" in photo.params["caption"]
    assert done.message_id is not None and not done.as_text and done.error is None
    labels = [b["text"] for row in photo.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "• Неделя" in labels  # the same period buttons as a command's answer


async def test_a_refused_photo_becomes_text(setup: Setup) -> None:
    setup.fake.fail("sendPhoto", 400, "Bad Request: IMAGE_PROCESS_FAILED")
    done = await setup.messenger.post_report(TeamChat(TEAM_CHAT), setup.report())
    assert done.as_text and done.message_id is not None
    assert setup.fake.requests("sendMessage")[0].params["text"].endswith("(text)")


async def test_flood_control_is_waited_out_as_told(setup: Setup) -> None:
    setup.fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7, times=2)
    done = await setup.messenger.post_text(TeamChat(TEAM_CHAT), "<b>утро</b>")
    assert setup.waits == [7, 7]
    assert done.message_id is not None
    assert len(setup.fake.requests("sendMessage")) == 3


async def test_flood_control_gives_up_when_told_to_wait_too_long(setup: Setup) -> None:
    setup.fake.fail("sendMessage", 429, "Too Many Requests: retry after 999", retry_after=999)
    done = await setup.messenger.post_text(TeamChat(TEAM_CHAT), "x")
    assert done.message_id is None and done.error is not None
    assert setup.waits == []


async def test_a_chat_that_blocked_the_bot_is_marked_and_skipped(setup: Setup) -> None:
    setup.fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    first = await setup.messenger.post_text(TeamChat(1012), "alert")
    assert first.error is not None and first.message_id is None
    with Session(setup.engine) as session:
        row = session.get(BlockedChat, 1012)
        assert row is not None and "blocked" in row.reason
    second = await setup.messenger.post_text(TeamChat(1012), "alert")
    assert second.skipped
    assert len(setup.fake.requests("sendMessage")) == 1  # nothing more was tried


async def test_a_group_that_became_a_supergroup_is_followed(setup: Setup) -> None:
    setup.fake.fail(
        "sendMessage", 400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-1005
    )
    done = await setup.messenger.post_text(TeamChat(-5, 3), "x")
    assert done.message_id is not None
    sent = setup.fake.requests("sendMessage")
    assert [(c.params["chat_id"], c.params["message_thread_id"]) for c in sent] == [
        (-5, 3),
        (-1005, 3),
    ]


async def test_the_bot_taken_back_unmarks_the_chat(sqlite_engine: Engine) -> None:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine)
    chat = tg.group(TEAM_CHAT)
    await world.send(tg.membership(chat, "kicked", by=PEOPLE[ADMIN]))
    with Session(sqlite_engine) as session:
        assert session.get(BlockedChat, TEAM_CHAT) is not None
    await world.send(tg.membership(chat, "member", by=PEOPLE[ADMIN]))
    with Session(sqlite_engine) as session:
        assert session.get(BlockedChat, TEAM_CHAT) is None
    assert world.fake.calls == []  # membership changes are answered with nothing
