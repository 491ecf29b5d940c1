"""/contest from chat: the five steps in Telegram (real dispatcher, fake Bot API), the same
steps on the Bitrix24 keyboard, and bad input that is refused naming what is allowed with
nothing stored; /me shows badges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.access import resolve_viewer
from bot.bitrix.contest import contest_reply
from bot.contests import ContestRules
from store.game_models import BadgeAward, Contest
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    EMPLOYEE,
    HEAD,
    NOW,
    PEOPLE,
    World,
    button,
    make_world,
    write_world,
)
from tests.kpi_data import make_settings


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine)
    yield world
    assert world.fake.errors == []


def contests(engine: Engine) -> list[Contest]:
    with Session(engine) as session:
        return list(session.execute(select(Contest)).scalars())


def count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Contest)).scalar_one()


async def test_a_head_starts_a_contest_in_five_steps(world: World, sqlite_engine: Engine) -> None:
    head = PEOPLE[HEAD]
    chat = tg.private(head)
    await world.send(tg.message("/contest", sender=head, chat=chat))
    first = world.last("sendMessage")
    assert "Шаг 1 из 5" in first.params["text"]
    shown = world.sent_message("sendMessage")
    steps = [("Кто больше", "Шаг 2 из 5"), ("Звонки", "Шаг 3 из 5"), ("Следующая неделя", "Шаг 4")]
    call = first
    for label, says in steps:
        await world.send(tg.callback(button(call, label), sender=head, on=shown))
        call = world.last("editMessageText")
        assert says in call.params["text"]
    await world.send(tg.message("/me", sender=head, chat=chat))  # a command is no prize
    assert "Boris" in world.last("sendMessage").params["text"]
    await world.send(tg.message("Ужин в ресторане", sender=head, chat=chat))
    confirm = world.last("sendMessage")
    text = confirm.params["text"]
    assert "Шаг 5 из 5" in text and "Звонки" in text and "09.03.2026 – 15.03.2026" in text
    assert "Продажи Москва" in text and "Ужин в ресторане" in text
    assert count(sqlite_engine) == 0  # nothing is stored before "Запустить"
    await world.send(
        tg.callback(
            button(confirm, "Запустить"), sender=head, on=world.sent_message("sendMessage")
        )
    )
    assert "создан" in world.last("editMessageText").params["text"]
    (stored,) = contests(sqlite_engine)
    assert (stored.metric, stored.kind, stored.start_day, stored.end_day) == (
        "calls",
        "top",
        date(2026, 3, 9),
        date(2026, 3, 15),
    )
    # Boris heads "Продажи Москва" (2): his contest is his department's; by portal user id
    assert stored.department_id == 2 and stored.prize == "Ужин в ресторане"
    assert stored.created_by == "telegram:11"


async def test_an_employee_may_not_start_one(world: World, sqlite_engine: Engine) -> None:
    vera = {**PEOPLE[EMPLOYEE], "language_code": "ru"}  # her own Telegram is English
    await world.send(tg.message("/contest calls неделя", sender=vera, chat=tg.private(vera)))
    assert "руководители" in world.last("sendMessage").params["text"]
    assert count(sqlite_engine) == 0


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("likes неделя", "Не знаю показатель «likes». Можно: calls, successful_calls"),
        ("calls 2026-03-20..2026-03-10", "заканчивается (2026-03-10) раньше, чем начинается"),
        ("calls 2026-03-09..2036-03-08", "не дольше 366 дней, а здесь 3653"),
        (
            "calls неделя отдел Бухгалтерия",
            "только для своих отделов: 2 Продажи Москва",
        ),
        ("гонка revenue неделя", "Для гонки нужна цель больше нуля"),
        ("команды calls неделя", "хотя бы две команды"),  # Boris's department has none
    ],
)
async def test_bad_input_is_refused_naming_what_is_allowed(
    world: World, sqlite_engine: Engine, words: str, says: str
) -> None:
    head = PEOPLE[HEAD]
    await world.send(tg.message(f"/contest {words}", sender=head, chat=tg.private(head)))
    assert says in world.last("sendMessage").params["text"]
    assert count(sqlite_engine) == 0


async def test_one_line_starts_it_at_once(world: World, sqlite_engine: Engine) -> None:
    head = PEOPLE[HEAD]
    line = "/contest гонка deals_won месяц цель 5 приз: выходной"
    await world.send(tg.message(line, sender=head, chat=tg.private(head)))
    assert "создан" in world.last("sendMessage").params["text"]
    (stored,) = contests(sqlite_engine)
    assert (stored.kind, stored.target, stored.prize) == ("target", "5", "выходной")
    assert (stored.start_day, stored.end_day) == (date(2026, 3, 1), date(2026, 3, 31))


async def test_me_shows_the_badges(world: World, sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        session.add(
            BadgeAward(employee_id=11, rule="calls_day", period="2026-03-05", awarded_at=NOW)
        )
        session.commit()
    head = PEOPLE[HEAD]
    await world.send(tg.message("/me", sender=head, chat=tg.private(head)))
    assert "🏅 Сотня звонков (2026-03-05)" in world.last("sendMessage").params["text"]


def test_the_bitrix_keyboard_walks_the_same_steps(sqlite_engine: Engine) -> None:
    write_world(sqlite_engine)
    settings, rules = make_settings(), ContestRules()
    with Session(sqlite_engine) as session:
        boris = resolve_viewer(session, None, 11)
        vera = resolve_viewer(session, None, 12)

        def ask(viewer: object, params: str) -> tuple[str, list[str]]:
            text, keyboard = contest_reply(session, settings, rules, viewer, params, now=NOW)  # type: ignore[arg-type]
            params_of = [
                b["COMMAND_PARAMS"] for b in (keyboard or {}).get("BUTTONS", []) if "COMMAND" in b
            ]
            return text, params_of

        text, choices = ask(boris, "")
        assert "Шаг 1 из 5" in text and choices == ["top", "target", "teams"]
        text, choices = ask(boris, "top")
        assert "Шаг 2 из 5" in text and "top calls" in choices and "top revenue" in choices
        text, choices = ask(boris, "top calls")
        assert "Шаг 3 из 5" in text and choices[0] == "top calls week"
        text, choices = ask(boris, "top calls week приз: торт")
        assert "Шаг 5 из 5" in text and choices == ["top calls week go приз: торт"]
        assert count(sqlite_engine) == 0
        text, _ = ask(boris, choices[0])
        assert "создан" in text
        text, _ = ask(boris, "likes week")
        assert "Не знаю показатель «likes»" in text
        text, _ = ask(vera, "top calls week go")
        assert "руководители" in text
    (stored,) = contests(sqlite_engine)
    assert (stored.prize, stored.created_by, stored.department_id) == ("торт", "bitrix:11", 2)


async def test_streaks_is_a_command_like_every_report(sqlite_engine: Engine) -> None:
    from decimal import Decimal

    from kpi.settings import PlanBook
    from reports.build import build_report, report_xlsx

    write_world(sqlite_engine)
    plans = PlanBook(departments={1: {"month": {"calls": Decimal(22)}}})
    world = make_world(
        sqlite_engine, builder=build_report, xlsx=report_xlsx, kpi=make_settings(plans=plans)
    )
    head = PEOPLE[HEAD]
    await world.send(tg.message("/streaks", sender=head, chat=tg.private(head)))
    photo = world.last("sendPhoto")
    caption = photo.params["caption"]
    assert "Серии" in caption and "Продажи Москва" in caption
    assert next(iter(photo.files.values())).startswith(b"\x89PNG")
    assert world.fake.errors == []


async def test_list_and_stop_from_chat_within_ones_own_tree(
    world: World, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        for dept in (2, 1):
            days = {"start_day": date(2026, 3, 2), "end_day": date(2026, 3, 20)}
            session.add(
                Contest(
                    name=f"Конкурс {dept}",
                    metric="calls",
                    department_id=dept,
                    created_at=NOW,
                    **days,
                )  # fmt: skip
            )
        session.commit()
    head = PEOPLE[HEAD]
    chat = tg.private(head)
    await world.send(tg.message("/contest list", sender=head, chat=chat))
    listed = world.last("sendMessage").params["text"]
    assert "№1 «Конкурс 2»" in listed and "Конкурс 1" not in listed  # not Boris's department
    await world.send(tg.message("/contest stop 2", sender=head, chat=chat))
    assert "не вашего отдела" in world.last("sendMessage").params["text"]
    await world.send(tg.message("/contest stop 1", sender=head, chat=chat))
    assert "№1 «Конкурс 2» остановлен" in world.last("sendMessage").params["text"]
    stopped = {c.id: c.stopped_at for c in contests(sqlite_engine)}
    assert stopped[1] is not None and stopped[2] is None
