"""The Bitrix24 bot in English: ``[locale] language = "en"`` and no Russian left in its answers.

Bitrix24 dialogs speak the team's language. The store is ``tests.unit.reports_fixtures`` (see
test_bitrix_bot_commands); department and company names are the portal's and stay as written.
Report captions are reports/' own, so only the bot's texts and buttons are read here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

import locales
from bot.bitrix.commands import BitrixDeps, Reply, answer
from bot.bitrix.events import ChatEvent
from bot.bitrix.keyboard import NEWLINE
from bot.bitrix.settings import BitrixChatSettings
from bot.settings import BotSettings, Person, Role
from crm.client import BitrixClient
from reports.build import build_report, report_xlsx
from tests.unit import reports_fixtures as rf

ANNA, BORIS, GLEB, NOBODY = 10, 11, 13, 99
PEOPLE = BotSettings(people=(Person(BORIS, role=Role.HEAD), Person(GLEB, role=Role.ADMIN)))
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
GENERATED = re.compile(r"Продажи Москва|Продажи")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("bitrix_en") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture
async def deps(engine: Engine) -> AsyncIterator[BitrixDeps]:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the portal was asked {request.url.path}")

    before = locales.language()
    locales.set_default("en")  # what app does for [locale] language = "en"
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        yield BitrixDeps(
            settings=BitrixChatSettings(enabled=True),
            people=PEOPLE,
            kpi=rf.settings(),
            engine=engine,
            client=BitrixClient(http, "https://example.bitrix24.ru/rest/1/code123/"),
            build_report=build_report,
            report_xlsx=report_xlsx,
            clock=lambda: rf.NOW,
        )
    locales.set_default(before)


def ask(deps: BitrixDeps, user: int, text: str, dialog: str = "chat5") -> Reply:
    word, _, rest = text.partition(" ")
    command = word[1:] if word.startswith("/") else None
    event = ChatEvent(
        type="ONIMBOTV2COMMANDADD" if command else "ONIMBOTV2MESSAGEADD",
        dialog_id=dialog,
        user_id=user,
        text=text,
        command=command,
        params=rest if command else text,
        context="textarea",
    )
    reply = answer(deps, event, rf.NOW)
    assert reply is not None, text
    return reply


def labels(reply: Reply) -> list[str]:
    assert reply.keyboard is not None
    return [str(b["TEXT"]) for b in reply.keyboard["BUTTONS"] if b != NEWLINE]


def russian(text: str) -> bool:
    return bool(CYRILLIC.search(GENERATED.sub("", text)))


def test_texts_and_buttons_are_english(deps: BitrixDeps) -> None:
    replies = {
        "help": ask(deps, NOBODY, "/help"),
        "link": ask(deps, NOBODY, "/link a@b.c"),
        "stranger": ask(deps, NOBODY, "/calls"),
        "me": ask(deps, BORIS, "/me"),
        "denied": ask(deps, BORIS, "/calls Orlova"),
        "unknown": ask(deps, ANNA, "/frobnicate"),
        "chatter": ask(deps, ANNA, "hello", dialog=str(ANNA)),
        "ambiguous": ask(deps, GLEB, "/calls ova"),
        "bad range": ask(deps, ANNA, "/calls 2026-03-10..2026-03-01"),
        "no report": ask(deps, GLEB, "/export"),
    }
    left = {name: r.text for name, r in replies.items() if russian(r.text)}
    assert left == {}
    assert replies["help"].text.startswith("[b]Reports[/b]:")
    assert "Role: manager" in replies["me"].text and "Продажи Москва" in replies["me"].text
    assert replies["denied"].text.startswith("You can't see these figures: Anna Orlova.")
    assert "leaderboard, plus your departments" in replies["denied"].text
    assert replies["ambiguous"].text.startswith("Please be more specific: ova.")
    assert (
        replies["ambiguous"].text
        == "Please be more specific: ova. Here's what I got: nothing yet."
    )
    assert replies["no report"].text == "Couldn't do that: name the report, e.g. /export calls"
    report = ask(deps, BORIS, "/calls week")
    assert report.report is not None
    assert labels(report)[:4] == ["Today", "Yesterday", "• Week", "Last week"]


def test_the_team_language_russian_is_unchanged(deps: BitrixDeps) -> None:
    locales.set_default("ru")
    me = ask(deps, BORIS, "/me").text
    assert me.startswith("Вы — Boris Petrov") and "Роль: руководитель." in me
    assert labels(ask(deps, BORIS, "/calls"))[:2] == ["Сегодня", "Вчера"]
