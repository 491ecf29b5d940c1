"""/contest, /plan set and /me's game lines in English: the real dispatcher and the fake Bot
API, the Bitrix24 replies, for a reader whose language is English.

Every text and button the bot shows is checked for Cyrillic once the fixture's generated names
(departments such as "Продажи Москва") are taken out; the commands are typed with English
words, and what is stored is what the Russian flow stores. Russian stays pinned by
test_bot_contest and test_plans_chat.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.access import Viewer, resolve_viewer
from bot.bitrix.contest import contest_reply
from bot.bitrix.plan_set_reply import plan_set_reply
from bot.contests import ContestRules
from bot.game_me import game_lines
from bot.game_texts import streak_line
from locales import use
from store.game_models import BadgeAward, Contest
from store.models import Department
from store.plan_models import current_plans
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    EMPLOYEE,
    HEAD,
    NOW,
    PEOPLE,
    TEAM_CHAT,
    World,
    buttons,
    make_world,
    write_world,
)
from tests.fakes.botapi import Call as ApiCall
from tests.kpi_data import make_settings

CYRILLIC = re.compile("[А-Яа-яЁё]")
# Boris, a head, whose Telegram speaks English
BORIS = {**PEOPLE[HEAD], "language_code": "en"}


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine)
    yield world
    assert world.fake.errors == []


def generated_names(engine: Engine) -> list[str]:
    """The fixture's department names, longest first (they are Russian on purpose)."""
    with Session(engine) as session:
        names = list(session.execute(select(col(Department.name))).scalars())
    return sorted(names, key=len, reverse=True)


def english(text: str, names: list[str]) -> str:
    """``text`` itself, after checking it has no Russian besides the generated names."""
    rest = text
    for name in names:
        rest = rest.replace(name, "")
    assert not CYRILLIC.search(rest), f"Russian left in {text!r}"
    return text


def shown(call: ApiCall, names: list[str]) -> str:
    """A request's text as the reader sees it and its buttons' labels, all checked English."""
    for label, _data in buttons(call):
        english(label, names)
    return english(html.unescape(str(call.params["text"])), names)


def pressed(call: ApiCall, index: int) -> str:
    return buttons(call)[index][1]


def contests(engine: Engine) -> list[Contest]:
    with Session(engine) as session:
        return list(session.execute(select(Contest)).scalars())


async def send(world: World, update: dict[str, object]) -> None:
    with use("en"):  # a team chat's language; in private the user's own is English too
        await world.send(update)


async def test_the_five_steps_in_english(world: World, sqlite_engine: Engine) -> None:
    names = generated_names(sqlite_engine)
    chat = tg.private(BORIS)
    await send(world, tg.message("/contest", sender=BORIS, chat=chat))
    call = world.last("sendMessage")
    assert "Step 1 of 5" in shown(call, names)
    message = world.sent_message("sendMessage")
    # kind "top" (first), metric calls (first), period "Next week" (second)
    for index, says in ((0, "Step 2 of 5"), (0, "Step 3 of 5"), (1, "Step 4 of 5")):
        await send(world, tg.callback(pressed(call, index), sender=BORIS, on=message))
        call = world.last("editMessageText")
        assert says in shown(call, names)
    assert [label for label, _ in buttons(call)] == ["No prize"]
    assert "Next week" in str(call.params["text"])
    await send(world, tg.message("Team dinner", sender=BORIS, chat=chat))
    confirm = world.last("sendMessage")
    text = shown(confirm, names)
    assert "Step 5 of 5" in text and "Dates: Mar 9, 2026 – Mar 15, 2026" in text
    assert "Participants: Продажи Москва" in text and "Prize: Team dinner" in text
    assert [label for label, _ in buttons(confirm)] == ["Start", "Cancel"]
    assert contests(sqlite_engine) == []  # nothing is stored before "Start"
    on = world.sent_message("sendMessage")
    await send(world, tg.callback(pressed(confirm, 0), sender=BORIS, on=on))
    done = shown(world.last("editMessageText"), names)
    assert done.startswith("✅ Contest #1 “") and "created" in done
    (stored,) = contests(sqlite_engine)
    assert (stored.metric, stored.kind, stored.start_day, stored.end_day) == (
        "calls",
        "top",
        date(2026, 3, 9),
        date(2026, 3, 15),
    )
    assert (stored.department_id, stored.prize) == (2, "Team dinner")
    assert stored.name == "Calls: Mar 9 – 15"  # named in the asker's language


async def test_cancel_in_english(world: World, sqlite_engine: Engine) -> None:
    names = generated_names(sqlite_engine)
    chat = tg.private(BORIS)
    await send(world, tg.message("/contest", sender=BORIS, chat=chat))
    call, message = world.last("sendMessage"), world.sent_message("sendMessage")
    for index in (1, 0, 0):  # a race: it asks for a target with the prize
        await send(world, tg.callback(pressed(call, index), sender=BORIS, on=message))
        call = world.last("editMessageText")
    assert "target and prize" in shown(call, names) and buttons(call) == []
    await send(world, tg.message("40 Friday off", sender=BORIS, chat=chat))
    confirm = world.last("sendMessage")
    assert "Target: 40" in shown(confirm, names)
    on = world.sent_message("sendMessage")
    await send(world, tg.callback(pressed(confirm, 1), sender=BORIS, on=on))
    assert shown(world.last("editMessageText"), names) == "Contest not created."
    assert contests(sqlite_engine) == []


async def test_one_line_with_english_words(world: World, sqlite_engine: Engine) -> None:
    names = generated_names(sqlite_engine)
    line = "/contest race won this month target 5 prize: a day off"
    await send(world, tg.message(line, sender=BORIS, chat=tg.private(BORIS)))
    assert "created" in shown(world.last("sendMessage"), names)
    await send(world, tg.message("/contest calls next month", sender=BORIS))
    (race, top) = contests(sqlite_engine)
    assert (race.kind, race.metric, race.target, race.prize) == (
        "target",
        "deals_won",
        "5",
        "a day off",
    )
    assert (race.start_day, race.end_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (top.kind, top.start_day, top.end_day) == ("top", date(2026, 4, 1), date(2026, 4, 30))


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("likes week", "Contest not created. Unknown metric “likes”. Choose from: calls, "),
        ("calls 2026-03-20..2026-03-10", "ends (2026-03-10) before it starts (2026-03-20)"),
        ("calls 2026-03-09..2036-03-08", "366 days at most, not 3653"),
        ("calls week department Бухгалтерия", "only start contests for your own departments"),
        ("race revenue week", "A race needs a target above zero"),
        ("teams calls week", "at least two teams"),
        ("calls", "No period given"),
        ("calls fortnight", "Couldn't read the period “fortnight”"),
    ],
)
async def test_refusals_in_english(
    world: World, sqlite_engine: Engine, words: str, says: str
) -> None:
    names = generated_names(sqlite_engine)
    await send(world, tg.message(f"/contest {words}", sender=BORIS, chat=tg.private(BORIS)))
    assert says in shown(world.last("sendMessage"), names)
    assert contests(sqlite_engine) == []


async def test_employee_list_and_stop_in_english(world: World, sqlite_engine: Engine) -> None:
    names = generated_names(sqlite_engine)
    vera = PEOPLE[EMPLOYEE]  # her Telegram speaks English already
    await send(world, tg.message("/contest calls week", sender=vera, chat=tg.private(vera)))
    assert shown(world.last("sendMessage"), names) == (
        "Only department managers and admins can start contests."
    )
    chat = tg.private(BORIS)
    await send(world, tg.message("/contest list", sender=BORIS, chat=chat))
    assert shown(world.last("sendMessage"), names).startswith("No contests running")
    await send(world, tg.message("/contest calls week", sender=BORIS, chat=chat))
    await send(world, tg.message("/contest list", sender=BORIS, chat=chat))
    listed = shown(world.last("sendMessage"), names)
    assert listed.startswith("Contests (to stop one: /contest stop <number>):\n#1 “")
    await send(world, tg.message("/contest stop x", sender=BORIS, chat=chat))
    assert "Give the contest number" in shown(world.last("sendMessage"), names)
    await send(world, tg.message("/contest stop 1", sender=BORIS, chat=chat))
    assert "stopped" in shown(world.last("sendMessage"), names)


async def test_me_shows_badges_and_places_in_english(sqlite_engine: Engine) -> None:
    write_world(sqlite_engine)
    names = generated_names(sqlite_engine)
    settings = make_settings()
    with Session(sqlite_engine) as session:
        session.add(
            BadgeAward(employee_id=11, rule="calls_day", period="2026-03-05", awarded_at=NOW)
        )
        session.add(
            Contest(
                name="Calls sprint",
                metric="calls",
                department_id=2,
                start_day=date(2026, 3, 2),
                end_day=date(2026, 3, 8),
                created_at=NOW,
            )
        )
        session.commit()
        with use("en"):
            lines = [*game_lines(session, settings, 11, now=NOW), streak_line("calls", 3, 12)]
        with use("ru"):
            russian = game_lines(session, settings, 11, now=NOW)
    assert lines, "Boris has a badge and a contest place"
    for line in lines:
        english(line, names)
    assert "🏅 " in lines[-2] and lines[-2].endswith(" (2026-03-05)")
    assert lines[-1].startswith("🔥 Calls: 3") and " in a row, best 12" in lines[-1]
    assert any(re.fullmatch(r"🏁 “Calls sprint”: #\d of \d", line) for line in lines)
    assert "🏅 Сотня звонков (2026-03-05)" in russian
    assert any(re.fullmatch(r"🏁 «Calls sprint»: \d-е место из \d", line) for line in russian)


def test_the_bitrix_contest_keyboard_in_english(sqlite_engine: Engine) -> None:
    write_world(sqlite_engine)
    names = generated_names(sqlite_engine)
    settings, rules = make_settings(), ContestRules()
    with Session(sqlite_engine) as session, use("en"):
        boris = resolve_viewer(session, None, 11)

        def ask(params: str) -> tuple[str, list[tuple[str, str]]]:
            text, keyboard = contest_reply(session, settings, rules, boris, params, now=NOW)
            keys = [
                (b["TEXT"], b["COMMAND_PARAMS"])
                for b in (keyboard or {}).get("BUTTONS", [])
                if "COMMAND" in b
            ]
            for label, _params in keys:
                english(label, names)
            return english(text, names), keys

        text, keys = ask("")
        assert "Step 1 of 5" in text and [p for _, p in keys] == ["top", "target", "teams"]
        text, keys = ask("top calls")
        assert "Step 3 of 5" in text
        assert keys[:2] == [("This week", "top calls week"), ("Next week", "top calls next_week")]
        text, keys = ask("top calls week prize: cake")
        assert "Step 5 of 5" in text and "Prize: cake" in text
        assert "To add a prize" not in text  # it has one
        text, _keys = ask("top calls week")
        assert "To add a prize: /contest top calls week prize: …" in text
        assert keys == [("Start", "top calls week go prize: cake")]
        text, _ = ask(keys[0][1])
        assert "created" in text
        text, _ = ask("likes week")
        assert "Unknown metric “likes”" in text
    (stored,) = contests(sqlite_engine)
    assert (stored.prize, stored.created_by) == ("cake", "bitrix:11")


# --- /plan set -------------------------------------------------------------------------


def _plans(engine: Engine) -> list[tuple[str, int, str, str, Decimal | None]]:
    with Session(engine) as session:
        return [
            (r.target_kind, r.target_id, r.length, r.metric, r.value)
            for r in current_plans(session)
        ]


async def test_plan_set_in_english(world: World, sqlite_engine: Engine) -> None:
    names = generated_names(sqlite_engine)
    await send(world, tg.message("/plan set calls 600", sender=BORIS))
    question = world.last("sendMessage")
    text = shown(question, names)
    assert text == (
        "Set the plan for the Продажи Москва department: calls = 600 per month?\n"
        "Current: no plan of their own."
    )
    assert [label for label, _ in buttons(question)] == ["Yes, set it", "Cancel"]
    on = world.sent_message("sendMessage")
    await send(world, tg.callback(pressed(question, 0), sender=BORIS, on=on))
    done = shown(world.last("editMessageText"), names)
    assert done == "Plan set for the Продажи Москва department: calls = 600 per month."
    assert _plans(sqlite_engine) == [("department", 2, "month", "calls", Decimal(600))]

    await send(world, tg.message("/plan set calls 650 department 2", sender=BORIS))
    again = shown(world.last("sendMessage"), names)
    assert "Current: 600 (set by telegram Boris Petrov (user 11), Mar 6, 2026 12:00)" in again

    group = tg.group(TEAM_CHAT)
    await send(world, tg.message("/plan set revenue 1.5m Vera quarter", sender=BORIS, chat=group))
    question = world.last("sendMessage")
    assert shown(question, names).startswith(
        "Set the plan for Vera Sidorova: revenue = 1,500,000 per quarter?"
    )
    on = world.sent_message("sendMessage")
    await send(world, tg.callback(pressed(question, 1), sender=BORIS, on=on))
    assert shown(world.last("editMessageText"), names) == "Cancelled: the plan is unchanged."


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("/plan set calories 100", "Unknown metric “calories”. Metrics: calls, "),
        ("/plan set calls lots", "“lots” isn't a valid number (zero or more)"),
        ("/plan set calls 100 department 1 yesterday", "not per “yesterday”"),
        ("/plan set calls 100 department 3", "is not your department"),
        ("/plan set calls 100 Anna", "“Anna” matches more than one"),
        ("/plan set calls", "To set a plan: /plan set <metric> <value>"),
    ],
)
async def test_plan_set_refusals_in_english(
    world: World, sqlite_engine: Engine, words: str, says: str
) -> None:
    await send(world, tg.message(words, sender=BORIS))
    reply = world.last("sendMessage")
    assert says in shown(reply, generated_names(sqlite_engine))
    assert buttons(reply) == []
    assert _plans(sqlite_engine) == []


def test_bitrix_plan_set_in_english_reads_back(sqlite_engine: Engine) -> None:
    write_world(sqlite_engine)
    names = generated_names(sqlite_engine)
    kpi = make_settings()
    with Session(sqlite_engine) as session, use("en"):
        boris: Viewer = resolve_viewer(session, None, 11)
        text, keyboard = plan_set_reply(
            session, kpi, boris, "set meetings 12 employee 12 week", NOW, keyboards=False
        )
        english(text, names)
        assert text.startswith("Set the plan for Vera Sidorova: meetings = 12 per week?")
        typed = text.rsplit("To confirm, send: /plan ", 1)[1]
        assert (typed, keyboard) == ("set meetings 12 employee 12 week yes", None)
        text, keyboard = plan_set_reply(session, kpi, boris, typed, NOW, keyboards=True)
        assert english(text, names) == "Plan set for Vera Sidorova: meetings = 12 per week."
        _, keyboard = plan_set_reply(session, kpi, boris, "set calls 5 Vera", NOW, keyboards=True)
        assert keyboard is not None
        labels = [(b["TEXT"], b["COMMAND_PARAMS"]) for b in keyboard["BUTTONS"]]
        assert labels == [
            ("Yes, set it", "set calls 5 employee 12 month yes"),
            ("Cancel", "set cancel"),
        ]
        text, _ = plan_set_reply(session, kpi, boris, labels[1][1], NOW, keyboards=True)
        assert text == "Cancelled: the plan is unchanged."
    assert _plans(sqlite_engine) == [("employee", 12, "week", "meetings", Decimal(12))]
