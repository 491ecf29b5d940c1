"""The Telegram front end with the real report builder (reports.build): charts, captions,
lists and Excel files as they will go out, checked against the Bot API schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from reports.build import build_report, report_xlsx
from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    ADMIN,
    EMPLOYEE,
    HEAD,
    PEOPLE,
    TEAM_CHAT,
    World,
    button,
    buttons,
    make_world,
    write_world,
)


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine, builder=build_report, xlsx=report_xlsx)
    yield world
    assert world.fake.errors == []


async def test_rating_is_a_real_chart_with_a_real_caption(world: World) -> None:
    chat = tg.group(TEAM_CHAT, forum=True)
    await world.send(tg.message("/rating week", sender=PEOPLE[HEAD], chat=chat, thread_id=7))
    photo = world.last("sendPhoto")
    (png,) = photo.files.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert photo.params["message_thread_id"] == 7
    caption = photo.params["caption"]
    assert "Anna Orlova" in caption and "Boris Petrov" in caption
    shown = world.sent_message("sendPhoto")
    await world.send(tg.callback(button(photo, "Месяц"), sender=PEOPLE[HEAD], on=shown))
    edit = world.last("editMessageMedia")
    assert edit.params["message_id"] == shown["message_id"]
    assert next(iter(edit.files.values())).startswith(b"\x89PNG")


async def test_coverage_lists_the_clients_left_without_attention(world: World) -> None:
    await world.send(tg.message("/coverage", sender=PEOPLE[ADMIN]))
    photo = world.last("sendPhoto")
    opened = [label for label, _ in buttons(photo) if label.startswith("Без внимания")]
    assert opened, buttons(photo)
    await world.send(
        tg.callback(
            button(photo, opened[0]), sender=PEOPLE[ADMIN], on=world.sent_message("sendPhoto")
        )
    )
    text = world.last("sendMessage").params["text"]
    assert "ООО Клиент" in text
    assert 'href="https://example.bitrix24.ru/crm/company/details/' in text


async def test_employee_export_is_a_real_workbook(world: World) -> None:
    await world.send(tg.message("/export tasks", sender=PEOPLE[EMPLOYEE]))
    document = world.last("sendDocument")
    (workbook,) = document.files.values()
    assert workbook.startswith(b"PK")  # an xlsx is a zip
    assert document.params["chat_id"] == EMPLOYEE
