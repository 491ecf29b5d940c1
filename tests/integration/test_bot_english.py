"""The bot's language through the fake Bot API: whose language each answer is written in.

A private chat speaks the user's Telegram ``language_code``; a team chat speaks the team's
language (``[locale] language``, Russian unless set), whoever wrote there, since everyone
there reads the answer. Reports are built in the language in force (the builder records it),
so captions written by reports/ follow without the bot passing anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import locales
from app.config import load_config, speak
from bot.reporting import ReportLike
from bot.telegram.app import set_commands
from kpi.periods import Period
from kpi.scope import Scope
from kpi.settings import KpiSettings
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    ADMIN,
    HEAD,
    PEOPLE,
    TEAM_CHAT,
    FakeBuilder,
    World,
    button,
    buttons,
    make_world,
    write_world,
)
from tests.fakes.botapi import Call

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Names from the portal (departments, companies) stay as the portal writes them.
GENERATED = re.compile(r"Продажи Москва|Продажи|Бухгалтерия|ООО Клиент \d+")
# Anna Orlova, the admin, whose Telegram speaks English.
ANNA_EN = tg.user(ADMIN, "Anna", username="anna", language_code="en")


@dataclass
class SpeakingBuilder(FakeBuilder):
    """The fake report builder, noting the language each report was built in."""

    languages: list[str] = field(default_factory=list)

    def __call__(
        self,
        session: Session,
        settings: KpiSettings,
        name: str,
        period: Period,
        scope: Scope,
        *,
        now: datetime,
        render: bool = True,
    ) -> ReportLike:
        self.languages.append(locales.language())
        return super().__call__(session, settings, name, period, scope, now=now, render=render)


@pytest.fixture(autouse=True)
def _keep_the_default_language() -> Iterator[None]:
    before = locales.language()
    yield
    locales.set_default(before)


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine, builder=SpeakingBuilder())
    yield world
    assert world.fake.errors == []  # every request the bot made is valid Bot API


def languages(world: World) -> list[str]:
    assert isinstance(world.builder, SpeakingBuilder)
    return world.builder.languages


def said_to(world: World, chat_id: int, since: int = 0) -> list[str]:
    """Every text and button label the bot sent to a chat (report captions aside: reports/)."""
    out: list[str] = []
    for call in world.fake.calls[since:]:
        if call.params.get("chat_id") != chat_id:
            continue
        if call.method == "sendMessage":
            out.append(str(call.params["text"]))
        out.extend(label for label, _ in buttons(call))
    return out


def russian_left(texts: list[str]) -> list[str]:
    return [text for text in texts if CYRILLIC.search(GENERATED.sub("", text))]


async def ask(world: World, text: str, sender: dict[str, Any], chat: Any = None) -> Call:
    await world.send(tg.message(text, sender=sender, chat=chat))
    return world.fake.calls[-1]


async def test_private_english_and_the_team_chat_russian_in_one_run(world: World) -> None:
    for text in ("/start", "/help", "/me", "/coverage", "/coverage Anna week", "/export", "hi"):
        await ask(world, text, ANNA_EN)
    private = said_to(world, ADMIN)
    assert russian_left(private) == []
    joined = "\n".join(private)
    assert "Hi Anna Orlova! Your role: admin." in joined
    assert "<b>Reports</b>" in joined and "Role: admin" in joined
    assert "period: week of March 2–8" in joined and "matches more than one" in joined
    assert "Which report do you want in Excel?" in joined
    labels = [label for label, _ in buttons(world.fake.requests("sendPhoto")[0])]
    assert labels[:4] == ["Today", "Yesterday", "Week", "Last week"]
    assert "Not contacted (5)" in private
    assert languages(world) == ["en"]  # the report itself was built in English
    photo = world.fake.requests("sendPhoto")[0]
    shown = world.fake.messages[max(k for k in world.fake.messages if k[0] == ADMIN)]
    await world.send(tg.callback(button(photo, "Not contacted (5)"), sender=ANNA_EN, on=shown))
    title = str(world.last("sendMessage").params["text"]).splitlines()[0]
    assert title == "<b>Not contacted · Company · March 2026</b>"
    assert languages(world) == ["en", "en"]
    # The same person in the team chat: everyone there reads Russian.
    mark = len(world.fake.calls)
    team = tg.group(TEAM_CHAT)
    photo = await ask(world, "/coverage", ANNA_EN, team)
    labels = [label for label, _ in buttons(photo)]
    assert labels[:4] == ["Сегодня", "Вчера", "Неделя", "Прошлая неделя"]
    assert "Без внимания (5)" in labels
    question = await ask(world, "/coverage Anna week", ANNA_EN, team)
    assert "период — неделя 2–8 марта" in question.params["text"]
    assert "подходит нескольким" in question.params["text"]
    assert languages(world) == ["en", "en", "ru"]
    assert russian_left(said_to(world, TEAM_CHAT, mark))  # Russian indeed, not just names


async def test_a_button_alert_in_the_team_chat_speaks_the_presser_language(world: World) -> None:
    photo = await ask(world, "/calls", PEOPLE[HEAD], tg.group(TEAM_CHAT))  # Boris: Russian
    shown = world.sent_message("sendPhoto")
    week = dict((label, data) for label, data in buttons(photo))["Неделя"]
    stranger = tg.user(4242, "Mallory", language_code="en")
    await world.send(tg.callback(week, sender=stranger, on=shown))
    alert = world.last("answerCallbackQuery").params
    assert alert["show_alert"] is True
    assert alert["text"] == "Link your account first: send /link in a private chat."


async def test_locale_language_en_makes_the_team_chat_english(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[locale]\nlanguage = "en"\n', encoding="utf-8")
    assert speak(load_config(path, environ={})) == "en"
    boris = PEOPLE[HEAD]  # his Telegram speaks Russian
    team = tg.group(TEAM_CHAT)
    mark = len(world.fake.calls)
    photo = await ask(world, "/calls", boris, team)
    assert [label for label, _ in buttons(photo)][:4] == [
        "Today",
        "Yesterday",
        "Week",
        "Last week",
    ]
    refused = await ask(world, "/calls Orlova", boris, team)
    assert (
        refused.params["text"] == "You don't have access to these figures: Anna Orlova. See /me."
    )
    await ask(world, "/help", boris, team)
    assert russian_left(said_to(world, TEAM_CHAT, mark)) == []
    assert languages(world) == ["en"]
    # In private Boris still reads his own language; someone with none set reads the team's.
    assert "Здравствуйте, Boris Petrov!" in (await ask(world, "/start", boris)).params["text"]
    anna = tg.user(ADMIN, "Anna", username="anna", language_code=None)
    answer = await ask(world, "/start", anna)
    assert answer.params["text"].startswith("Hi Anna Orlova!")


async def test_the_command_menu_per_language_and_for_everyone_else(world: World) -> None:
    await set_commands(world.bot)
    locales.set_default("en")
    await set_commands(world.bot)
    menus = {
        (n // 3, c.params.get("language_code")): {
            x["command"]: x["description"] for x in c.params["commands"]
        }
        for n, c in enumerate(world.fake.requests("setMyCommands"))
    }
    assert menus[0, "ru"]["rating"] == "Рейтинг: баллы и места"
    assert menus[0, "en"]["rating"] == "Leaderboard: points and ranks"
    assert menus[0, None]["missed"] == "Пропущенные звонки"  # the team's language: Russian
    assert menus[1, None]["missed"] == "Missed calls"  # [locale] language = "en"
    assert menus[1, "ru"] == menus[0, "ru"]
    for menu in (menus[0, "en"], menus[1, None]):
        assert [d for d in menu.values() if CYRILLIC.search(d)] == []
        assert menu["start"] == "Get started"


async def test_errors_reach_the_asker_in_their_language(world: World) -> None:
    assert isinstance(world.builder, SpeakingBuilder)
    world.builder.fail = RuntimeError("database on fire")
    await ask(world, "/calls", ANNA_EN)
    told = [c for c in world.fake.requests("sendMessage") if c.params["chat_id"] == ADMIN]
    assert told[-1].params["text"] == (
        "Something went wrong; the admin has been notified. Please try again later."
    )
    await ask(world, "/calls 2026-03-10..2026-03-01", ANNA_EN)
    assert str(world.last("sendMessage").params["text"]).startswith("Couldn't do that: ")
    await ask(world, "/calls", PEOPLE[HEAD], tg.group(TEAM_CHAT))
    assert world.last("sendMessage").params["text"].startswith("Что-то пошло не так")
