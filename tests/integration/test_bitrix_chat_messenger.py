"""Posting into Bitrix24 dialogs against the emulator's server: images, fallbacks, alerts.

Reports come from ``tests.unit.reports_fixtures``'s store; each test gets a fresh emulated
portal (its ``ChatState`` records every chat call) and a real ``BitrixClient``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import charts.render
import reports.build
from bot.args import COMPANY
from bot.bitrix.keyboard import period_keyboard
from bot.bitrix.messenger import (
    BOT_V2_UPLOAD,
    DISK_UPLOAD,
    IM_V2_UPLOAD,
    BitrixMessenger,
    BotIdentity,
)
from bot.bitrix.registration import register_bot
from bot.bitrix.settings import BitrixChatSettings
from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from emulator.data import PortalData
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from emulator.srv_faults import FaultKind
from kpi.periods import parse_period
from kpi.scope import company_scope
from reports.build import Report, build_report
from reports.morning import Post
from tests.kpi_data import MSK
from tests.unit import reports_fixtures as rf

TEAM = "chat12"
PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 10
ALL_SCOPES = frozenset(["crm", "telephony", "user", "department", "task", "im", "imbot", "disk"])


@dataclass
class Env:
    emulator: Emulator
    client: BitrixClient

    @property
    def chat(self) -> Any:
        return self.emulator.chat

    def called(self, method: str) -> int:
        """Requests for ``method``, refused ones included (the chat records only served ones)."""
        return self.emulator.portal.stats.per_method[method.lower()]


@asynccontextmanager
async def portal(**settings: Any) -> AsyncIterator[Env]:
    data = PortalData(timezone="Europe/Moscow", sales_department_id=1)
    data.as_of = "2026-03-05T12:00:00+03:00"
    async with (
        running_emulator(Portal(data), rate_limit=False, **settings) as emulator,
        httpx.AsyncClient(timeout=30) as http,
    ):
        fast = LeakyBucket(rate=1000, burst=1000)
        yield Env(emulator, BitrixClient(http, emulator.webhook_url, pacer=fast, max_retries=0))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("messenger") / "store.db")
    yield engine
    engine.dispose()


def build(engine: Engine, name: str, *, render: bool = False) -> Report:
    week = parse_period("week", now=rf.NOW, tz=MSK)
    with Session(engine) as session:
        scope = company_scope(session, rf.settings())
        return build_report(session, rf.settings(), name, week, scope, now=rf.NOW, render=render)


@pytest.fixture(scope="module")
def rating(engine: Engine) -> Report:
    return replace(build(engine, "rating"), png=PNG)


async def v2_bot(env: Env) -> BotIdentity:
    settings = BitrixChatSettings(enabled=True, bot_token="t0ken")
    bot = await register_bot(env.client, settings)
    assert bot is not None and bot.api == 2
    return bot


async def test_a_report_goes_as_an_image_with_its_caption(rating: Report) -> None:
    async with portal() as env:
        sent = await BitrixMessenger(env.client).send_report(TEAM, rating)
        assert sent.route == IM_V2_UPLOAD
        (message,) = env.chat.messages(TEAM)
        assert message.text == rating.caption_bb
        assert message.author_id == env.emulator.settings.webhook_user
        (stored,) = [env.chat.file(i) for i in message.file_ids]
        assert stored.content == PNG
        assert stored.name == "rating_week.png"
        assert sent.message_ids == (message.id,) and sent.file_ids == (stored.id,)


async def test_a_bot_uploads_as_itself_and_puts_the_buttons_under_the_caption(
    rating: Report,
) -> None:
    async with portal() as env:
        bot = await v2_bot(env)
        keyboard = period_keyboard("rating", rating.meta.period, COMPANY)
        sent = await BitrixMessenger(env.client, bot=bot).send_report(
            TEAM, rating, keyboard=keyboard
        )
        assert sent.route == BOT_V2_UPLOAD
        image, caption = env.chat.messages(TEAM)
        assert image.bot_id == bot.id and image.file_ids and not image.text
        assert caption.bot_id == bot.id and caption.text == rating.caption_bb
        assert caption.keyboard == keyboard
        assert env.called("im.v2.File.upload") == 0


async def test_without_im_v2_the_legacy_three_calls_upload_it(rating: Report) -> None:
    async with portal(imbot_v2=False) as env:
        messenger = BitrixMessenger(env.client)
        first = await messenger.send_report(TEAM, rating)
        second = await messenger.send_report("17", rating)
        assert first.route == second.route == DISK_UPLOAD
        assert env.called("im.v2.File.upload") == 1  # missing: tried once, never again
        methods = [c["method"] for c in env.chat.calls]
        assert methods == [
            "im.disk.folder.get",
            "disk.folder.uploadfile",
            "im.disk.file.commit",
            "im.disk.folder.get",
            "disk.folder.uploadfile",
            "im.disk.file.commit",
        ]
        (message,) = env.chat.messages(TEAM)
        assert message.text == rating.caption_bb
        assert env.chat.file(message.file_ids[0]).content == PNG
        assert env.chat.messages("17")[0].file_ids


async def test_with_no_way_to_upload_the_caption_goes_with_a_table(rating: Report) -> None:
    async with portal(imbot_v2=False, scopes=ALL_SCOPES - {"disk"}) as env:
        messenger = BitrixMessenger(env.client)
        sent = await messenger.send_report(TEAM, rating)
        assert not sent.uploaded and sent.route is None
        (message,) = env.chat.messages(TEAM)
        assert message.text == rating.caption_bb and not message.file_ids
        grid = next(block["GRID"] for block in message.attach["BLOCKS"] if "GRID" in block)
        assert grid[-1]["NAME"] == "[b]Итого[/b]"
        await messenger.send_report(TEAM, rating)
        # both routes are known to be missing now: the second post tries neither
        assert env.called("disk.folder.uploadfile") == 1
        assert env.called("im.v2.File.upload") == 1
        assert len(env.chat.messages(TEAM)) == 2


async def test_a_passing_failure_moves_one_post_to_the_next_route(rating: Report) -> None:
    async with portal() as env:
        bot = await v2_bot(env)
        env.emulator.faults.add(FaultKind.SERVER_ERROR, "imbot.v2.File.upload")
        messenger = BitrixMessenger(env.client, bot=bot)
        assert (await messenger.send_report(TEAM, rating)).route == IM_V2_UPLOAD
        assert (await messenger.send_report(TEAM, rating)).route == BOT_V2_UPLOAD


async def test_a_report_without_a_chart_goes_as_text_with_a_table(engine: Engine) -> None:
    plain = build(engine, "calls")
    assert plain.png is None
    async with portal() as env:
        sent = await BitrixMessenger(env.client).send_report(TEAM, plain)
        assert not sent.uploaded
        assert env.called("im.v2.File.upload") == 0
        (message,) = env.chat.messages(TEAM)
        assert message.text == plain.caption_bb and message.attach["BLOCKS"]


async def test_one_render_serves_every_chat(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The messenger takes the finished report: posting it twice draws nothing more."""
    drawn: list[str] = []
    real = charts.render.render_report

    def counting(figures: Any, *, words: Any) -> bytes:
        drawn.append(figures.meta.report)
        return real(figures, words=words)

    monkeypatch.setattr(reports.build, "render_report", counting)
    report = build(engine, "rating", render=True)
    assert drawn == ["rating"] and report.png is not None
    async with portal() as env:
        messenger = BitrixMessenger(env.client)
        for dialog in (TEAM, "chat13", "17"):
            assert (await messenger.send_report(dialog, report)).uploaded
        assert drawn == ["rating"]
        assert {f.content for f in env.chat.files} == {report.png}


async def test_a_post_sends_its_charts_with_the_summary_on_the_first(
    engine: Engine, rating: Report
) -> None:
    calls = build(engine, "calls")  # no chart: it goes as a table
    plan = replace(build(engine, "plan"), png=PNG + b"plan")
    post = Post(
        key="morning:2026-03-05",
        kind="morning",
        reports=(rating, calls, plan),
        caption_html="",
        caption_bb="[b]☀️ Доброе утро![/b]",
    )
    async with portal() as env:
        sent = await BitrixMessenger(env.client).send_post(TEAM, post)
        first, second, tables = env.chat.messages(TEAM)
        assert first.text == post.caption_bb and first.file_ids
        assert second.text == "" and second.file_ids
        assert tables.text == f"[b]{calls.title}[/b]" and tables.attach
        assert len(sent.file_ids) == 2 and len(sent.message_ids) == 3


async def test_personal_alerts_go_by_private_message_or_notification() -> None:
    async with portal() as env:
        bot = await v2_bot(env)
        await BitrixMessenger(env.client, bot=bot).send_personal(10, "Вы отстаёте от темпа")
        (message,) = env.chat.messages("10")
        assert (message.bot_id, message.text) == (bot.id, "Вы отстаёте от темпа")
        by_notice = BitrixMessenger(env.client, bot=bot, personal_via="notify")
        await by_notice.send_personal(11, "План выполнен")
        await BitrixMessenger(env.client).send_personal(12, "Без бота")
        assert [n.text for n in env.chat.notifications(11)] == ["План выполнен"]
        assert [n.text for n in env.chat.notifications(12)] == ["Без бота"]
        assert not env.chat.messages("11") and not env.chat.messages("12")


async def test_a_tagged_notification_replaces_the_older_one() -> None:
    async with portal() as env:
        messenger = BitrixMessenger(env.client)
        await messenger.notify(10, "Код: 111111", tag="link-10")
        await messenger.notify(10, "Код: 222222", tag="link-10")
        assert [n.text for n in env.chat.notifications(10)] == ["Код: 222222"]
        assert env.chat.calls_of("im.notify.personal.add")[0]["params"]["CLIENT_ID"]


async def test_text_goes_as_the_webhook_user_without_a_bot() -> None:
    async with portal() as env:
        sent = await BitrixMessenger(env.client).send(TEAM, "[b]Привет[/b]")
        (message,) = env.chat.messages(TEAM)
        assert sent.message_ids == (message.id,)
        assert (message.text, message.bot_id) == ("[b]Привет[/b]", None)
