"""/plan set in Telegram (the real dispatcher, the fake Bot API) and in Bitrix24 chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.bitrix.commands import BitrixDeps, answer
from bot.bitrix.events import ChatEvent
from bot.bitrix.settings import BitrixChatSettings
from bot.plan_set import parse_value
from bot.settings import BotSettings, Person, Role
from crm.client import BitrixClient
from kpi.plan import plan_targets
from kpi.scope import company_scope
from kpi.settings import PlanBook
from reports.build import build_report, report_xlsx
from store.plan_models import current_plans
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    ADMIN,
    EMPLOYEE,
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
from tests.kpi_data import make_settings
from tests.unit import reports_fixtures as rf

CONFIG_PLANS = PlanBook(departments={1: {"month": {"calls": Decimal(500)}}})


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine, kpi=make_settings(plans=CONFIG_PLANS))
    yield world
    assert world.fake.errors == []


def _stored(engine: Engine) -> list[tuple[str, int, str, str, Decimal | None, str]]:
    with Session(engine) as session:
        return [
            (r.target_kind, r.target_id, r.length, r.metric, r.value, r.set_by)
            for r in current_plans(session)
        ]


def _calls_plan(world: World) -> dict[int, Decimal | None]:
    with Session(world.deps.engine) as session:
        employees = company_scope(session, world.deps.kpi).employees
        return plan_targets(session, world.deps.kpi.plans, employees, "month", "calls")


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("600", "600"),
        ("1.5m", "1500000"),
        ("150к", "150000"),
        ("2,5млн", "2500000"),
        ("1_000", "1000"),
        ("12.345", "12.35"),
    ],
)
def test_values_read_as_people_write_them(word: str, value: str) -> None:
    assert parse_value(word) == Decimal(value)


@pytest.mark.parametrize("word", ["-5", "много", "1e9", "5%", "100000000000", "200000m"])
def test_what_is_not_a_value(word: str) -> None:
    assert parse_value(word) is None


async def test_a_head_sets_their_department_plan_after_confirming(world: World) -> None:
    assert _calls_plan(world) == {10: 500, 11: 500, 12: 500, 15: 500}
    await world.send(tg.message("/plan set calls 600", sender=PEOPLE[HEAD]))
    question = world.last("sendMessage")
    text = str(question.params["text"])
    # Boris heads "Продажи Москва" (2), under "Продажи" (1) whose config plan his people have
    assert "отделу «Продажи Москва»: звонки = 600 на месяц?" in text
    assert "Сейчас: своего плана нет" in text
    assert [label for label, _ in buttons(question)] == ["Да, задать", "Отмена"]
    assert _stored(world.deps.engine) == []  # nothing until confirmed
    shown = world.sent_message("sendMessage")
    await world.send(tg.callback(button(question, "Да, задать"), sender=PEOPLE[HEAD], on=shown))
    assert "План задан: отделу «Продажи Москва», звонки = 600 на месяц" in str(
        world.last("editMessageText").params["text"]
    )
    [row] = _stored(world.deps.engine)
    assert row[:5] == ("department", 2, "month", "calls", Decimal(600))
    assert row[5].startswith("telegram Boris Petrov (user 11)")
    assert _calls_plan(world) == {10: 500, 11: 600, 12: 600, 15: 600}

    await world.send(tg.message("/plan set calls 650", sender=PEOPLE[HEAD]))
    assert "Сейчас: 600 (задал telegram Boris Petrov (user 11)" in str(
        world.last("sendMessage").params["text"]
    )

    await world.send(tg.message("/plan set звонки 40 Vera неделя", sender=PEOPLE[HEAD]))
    question = world.last("sendMessage")
    assert "сотруднику Vera Sidorova: звонки = 40 на неделю?" in str(question.params["text"])
    await world.send(
        tg.callback(
            button(question, "Да, задать"),
            sender=PEOPLE[HEAD],
            on=world.sent_message("sendMessage"),
        )
    )
    assert ("employee", 12, "week", "calls", Decimal(40)) in [
        r[:5] for r in _stored(world.deps.engine)
    ]


async def test_only_the_asker_confirms_and_cancel_changes_nothing(world: World) -> None:
    chat = tg.group(TEAM_CHAT)
    await world.send(tg.message("/plan set revenue 1.5m", sender=PEOPLE[HEAD], chat=chat))
    question = world.last("sendMessage")
    shown = world.sent_message("sendMessage")
    await world.send(tg.callback(button(question, "Да, задать"), sender=PEOPLE[ADMIN], on=shown))
    alert = world.last("answerCallbackQuery")
    assert alert.params["show_alert"] is True
    assert "только тот, кто задавал" in alert.params["text"]
    await world.send(tg.callback(button(question, "Отмена"), sender=PEOPLE[HEAD], on=shown))
    assert "Отменено" in str(world.last("editMessageText").params["text"])
    assert _stored(world.deps.engine) == []


@pytest.mark.parametrize(
    ("sender", "text", "answer_part"),
    [
        (HEAD, "/plan set calls 100 отдел Бухгалтерия", "не ваш отдел"),
        (HEAD, "/plan set calls 100 отдел 1", "не ваш отдел"),
        (HEAD, "/plan set calls 100 Gleb", "Не понял: Gleb"),  # not in the sales team
        (HEAD, "/plan set calls 100 Anna", "«Anna» подходит нескольким: Anna Orlova"),
        (EMPLOYEE, "/plan set calls 100", "могут руководители"),
        (ADMIN, "/plan set calls 100", "Укажите, чей план"),
        (ADMIN, "/plan set calories 100 отдел 1", "Не знаю метрику «calories»"),
        (ADMIN, "/plan set calls много отдел 1", "«много» не число"),
        (ADMIN, "/plan set calls 100 отдел 1 вчера", "а не на «вчера»"),
        (ADMIN, "/plan set calls", "Как задать план"),
    ],
)
async def test_refusals_and_mistakes_get_one_clear_answer(
    world: World, sender: int, text: str, answer_part: str
) -> None:
    russian = {**PEOPLE[sender], "language_code": "ru"}  # Vera's own Telegram is English
    await world.send(tg.message(text, sender=russian))
    reply = world.last("sendMessage")
    assert answer_part in str(reply.params["text"])
    assert buttons(reply) == []
    assert _stored(world.deps.engine) == []


async def test_plain_plan_is_still_the_revenue_report(world: World) -> None:
    await world.send(tg.message("/plan", sender=PEOPLE[ADMIN]))
    assert isinstance(world.builder, FakeBuilder)
    assert [c[0] for c in world.builder.calls] == ["plan"]


# --- Bitrix24 chat --------------------------------------------------------------------

BORIS, VERA = 11, 12


@pytest.fixture
async def bitrix(tmp_path: Path) -> AsyncIterator[BitrixDeps]:
    engine = rf.open_store(tmp_path / "store.db")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the portal was asked {request.url.path}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        yield BitrixDeps(
            settings=BitrixChatSettings(enabled=True),
            people=BotSettings(people=(Person(BORIS, role=Role.HEAD),)),
            kpi=rf.settings(),
            engine=engine,
            client=BitrixClient(http, "https://example.bitrix24.ru/rest/1/code123/"),
            build_report=build_report,
            report_xlsx=report_xlsx,
            clock=lambda: rf.NOW,
        )
    engine.dispose()


def _say(deps: BitrixDeps, user: int, params: str) -> tuple[str, list[dict[str, str]]]:
    event = ChatEvent(
        type="ONIMBOTV2COMMANDADD",
        dialog_id="chat5",
        user_id=user,
        text=f"/plan {params}",
        command="plan",
        params=params,
        context="textarea",
    )
    reply = answer(deps, event, rf.NOW)
    assert reply is not None
    return reply.text, list((reply.keyboard or {}).get("BUTTONS", []))


def test_bitrix_head_confirms_with_the_button(bitrix: BitrixDeps) -> None:
    text, keys = _say(bitrix, BORIS, "set meetings 12 Vera")
    assert "сотруднику Vera Sidorova: встречи = 12 на месяц?" in text
    assert _stored(bitrix.engine) == []
    yes = next(k for k in keys if k["TEXT"] == "Да, задать")
    assert yes["COMMAND"] == "plan"
    text, keys = _say(bitrix, BORIS, yes["COMMAND_PARAMS"])
    assert "План задан" in text
    assert keys == []
    [row] = _stored(bitrix.engine)
    assert row[:5] == ("employee", VERA, "month", "meetings", Decimal(12))
    assert row[5].startswith("bitrix24 Boris Petrov")
    assert row[5].endswith("(user 11)")
    text, _ = _say(bitrix, BORIS, "set meetings 15 Vera")
    assert "Сейчас: 12 (задал bitrix24 Boris Petrov" in text
    assert "[url=x]" not in text  # a name's BB-code is shown, not applied


def test_bitrix_confirmation_is_checked_again_for_whoever_sends_it(bitrix: BitrixDeps) -> None:
    _, keys = _say(bitrix, BORIS, "set meetings 12 Vera")
    yes = next(k for k in keys if k["TEXT"] == "Да, задать")
    text, _ = _say(bitrix, VERA, yes["COMMAND_PARAMS"])  # an employee pressing it
    assert "могут руководители" in text
    no = next(k for k in keys if k["TEXT"] == "Отмена")
    assert "Отменено" in _say(bitrix, BORIS, no["COMMAND_PARAMS"])[0]
    assert _stored(bitrix.engine) == []


def test_bitrix_calls_with_a_client_is_a_text_answer(bitrix: BitrixDeps) -> None:
    event = ChatEvent(
        type="ONIMBOTV2COMMANDADD",
        dialog_id="chat5",
        user_id=BORIS,
        text="/calls клиент [b]Нет такого[/b] неделя",
        command="calls",
        params="клиент [b]Нет такого[/b] неделя",
        context="textarea",
    )
    reply = answer(bitrix, event, rf.NOW)
    assert reply is not None
    assert reply.report is None
    # BB-code in the name is made inert
    assert reply.text.startswith("Клиент «(b)Нет такого(/b)», неделя")
    assert reply.text.endswith("звонков не было (среди тех, кого вам видно).")
