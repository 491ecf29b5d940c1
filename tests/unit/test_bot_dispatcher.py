"""Real updates through the real dispatcher; what comes out are Bot API requests.

Every request is checked against the Bot API schema by the fake (``world.fake.errors``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.fakes import tg_updates as tg
from tests.fakes.bot_world import (
    ADMIN,
    EMPLOYEE,
    FOREIGN_CHAT,
    HEAD,
    OUTSIDER,
    PEOPLE,
    STRANGER,
    TEAM_CHAT,
    FakeBuilder,
    World,
    button,
    buttons,
    make_world,
    write_world,
)

PERIOD_LABELS_RU = ["Сегодня", "Вчера", "Неделя", "Прошлая неделя"]


@pytest.fixture
def world(sqlite_engine: Engine) -> Iterator[World]:
    write_world(sqlite_engine)
    world = make_world(sqlite_engine)
    yield world
    assert world.fake.errors == []  # every request the bot made is valid Bot API


def built(world: World) -> list[tuple[str, str, str, int | None, bool]]:
    assert isinstance(world.builder, FakeBuilder)
    return world.builder.calls


def said(world: World) -> str:
    return str(world.last("sendMessage").params["text"])


async def test_admin_gets_the_rating_as_a_chart_with_real_figures(world: World) -> None:
    await world.send(tg.message("/rating", sender=PEOPLE[ADMIN]))
    photo = world.last("sendPhoto")
    assert photo.params["chat_id"] == ADMIN
    assert photo.files  # the PNG itself was uploaded
    caption = photo.params["caption"]
    assert "1. Anna Orlova — 13.0" in caption  # 3 calls + 1 deal won, from the store
    assert "2. Boris Petrov — 11.0" in caption
    assert photo.params["parse_mode"] == "HTML"
    labels = [text for text, _ in buttons(photo)]
    assert labels[:4] == PERIOD_LABELS_RU
    assert "• Месяц" in labels  # the period shown is marked
    assert built(world) == [("rating", "month", "company", None, True)]


async def test_head_sees_their_department_by_default_and_not_others(world: World) -> None:
    await world.send(tg.message("/calls", sender=PEOPLE[HEAD]))
    assert built(world)[-1] == ("calls", "month", "department", 2, True)
    await world.send(tg.message("/calls Vera week", sender=PEOPLE[HEAD]))
    assert built(world)[-1] == ("calls", "week", "employee", 12, True)
    await world.send(tg.message("/calls Orlova", sender=PEOPLE[HEAD]))
    assert "недоступны: Anna Orlova" in said(world)
    await world.send(tg.message("/coverage отдел Продажи", sender=PEOPLE[HEAD]))
    assert "недоступны: Продажи" in said(world)
    assert len(built(world)) == 2  # nothing was computed for what they may not see


async def test_employee_sees_themselves_and_the_leaderboard(world: World) -> None:
    await world.send(tg.message("/tasks", sender=PEOPLE[EMPLOYEE]))
    assert built(world)[-1] == ("tasks", "month", "employee", 12, True)
    assert world.last("sendPhoto").params["chat_id"] == EMPLOYEE
    await world.send(tg.message("/rating", sender=PEOPLE[EMPLOYEE]))
    assert built(world)[-1] == ("rating", "month", "company", None, True)
    await world.send(tg.message("/tasks Boris", sender=PEOPLE[EMPLOYEE]))  # Vera speaks English
    assert "You don't have access to these figures: Boris Petrov" in said(
        world
    )  # Vera's Telegram speaks English
    labels = [text for text, _ in buttons(world.last("sendPhoto"))]
    assert labels[:4] == ["Today", "Yesterday", "Week", "Last week"]


async def test_strangers_learn_how_to_link_and_see_no_figures(world: World) -> None:
    stranger = PEOPLE[STRANGER]
    for text in ("/rating", "/calls month", "/export calls", "/me", "/start"):
        await world.send(tg.message(text, sender=stranger))
        assert "/link" in said(world), text
    await world.send(tg.message("hello", sender=stranger))
    assert "/link" in said(world)
    assert world.fake.requests("sendPhoto", "sendDocument") == []
    assert built(world) == []


async def test_a_stranger_pressing_a_button_gets_nothing(world: World) -> None:
    await world.send(tg.message("/rating", sender=PEOPLE[ADMIN], chat=tg.group(TEAM_CHAT)))
    shown = world.sent_message("sendPhoto")
    week = button(world.last("sendPhoto"), "Неделя")
    await world.send(tg.callback(week, sender=PEOPLE[STRANGER], on=shown))
    answer = world.last("answerCallbackQuery")
    assert answer.params["show_alert"] is True
    assert "/link" in answer.params["text"]
    assert world.fake.requests("editMessageMedia") == []
    assert len(built(world)) == 1


async def test_groups_that_are_not_team_chats_get_nothing(world: World) -> None:
    foreign = tg.group(FOREIGN_CHAT)
    for who in (ADMIN, STRANGER):
        await world.send(tg.message("/rating", sender=PEOPLE[who], chat=foreign))
        await world.send(tg.message("/start", sender=PEOPLE[who], chat=foreign))
    assert world.fake.calls == []


async def test_answers_in_a_forum_topic_stay_in_the_topic(world: World) -> None:
    chat = tg.group(TEAM_CHAT, forum=True)
    await world.send(tg.message("/rating", sender=PEOPLE[HEAD], chat=chat, thread_id=7))
    assert world.last("sendPhoto").params["message_thread_id"] == 7
    await world.send(tg.message("/calls Orlova", sender=PEOPLE[HEAD], chat=chat, thread_id=7))
    assert world.last("sendMessage").params["message_thread_id"] == 7
    await world.send(tg.message("/coverage Anna", sender=PEOPLE[ADMIN], chat=chat, thread_id=7))
    question = world.sent_message("sendMessage")
    assert question["message_thread_id"] == 7
    choice = button(world.last("sendMessage"), "Anna Petrova")
    await world.send(tg.callback(choice, sender=PEOPLE[ADMIN], on=question))
    assert world.last("sendPhoto").params["message_thread_id"] == 7


async def test_period_buttons_redo_the_report_in_place(world: World) -> None:
    await world.send(tg.message("/rating", sender=PEOPLE[HEAD]))
    shown = world.sent_message("sendPhoto")
    await world.send(
        tg.callback(button(world.last("sendPhoto"), "Неделя"), sender=PEOPLE[HEAD], on=shown)
    )
    edit = world.last("editMessageMedia")
    assert (edit.params["chat_id"], edit.params["message_id"]) == (HEAD, shown["message_id"])
    media = edit.params["media"]
    assert media["type"] == "photo"
    assert media["media"].startswith("attach://")
    assert "неделя 2–8 марта" in media["caption"]
    assert "• Неделя" in [text for text, _ in buttons(edit)]
    assert built(world)[-1] == ("rating", "week", "company", None, True)
    assert len(world.fake.requests("sendPhoto")) == 1  # no new message
    assert world.last("answerCallbackQuery").params.get("text") is None


async def test_period_buttons_on_a_text_answer_edit_the_text(world: World) -> None:
    assert isinstance(world.builder, FakeBuilder)
    world.builder.png = None  # no chart: the answer is text, and so is the edit
    await world.send(tg.message("/calls", sender=PEOPLE[ADMIN]))
    shown = world.sent_message("sendMessage")
    assert shown["text"].endswith("(text)")
    await world.send(
        tg.callback(button(world.last("sendMessage"), "Вчера"), sender=PEOPLE[ADMIN], on=shown)
    )
    assert "вчера" in world.last("editMessageText").params["text"]


async def test_someone_else_pressing_is_checked_again(world: World) -> None:
    chat = tg.group(TEAM_CHAT)
    await world.send(tg.message("/calls", sender=PEOPLE[HEAD], chat=chat))
    shown = world.sent_message("sendPhoto")
    week = button(world.last("sendPhoto"), "Неделя")
    await world.send(tg.callback(week, sender=PEOPLE[EMPLOYEE], on=shown))
    answer = world.last("answerCallbackQuery")
    assert answer.params["show_alert"] is True
    assert "You don't have access" in answer.params["text"]
    assert world.fake.requests("editMessageMedia") == []


async def test_a_name_that_fits_several_offers_buttons_and_guesses_nothing(world: World) -> None:
    await world.send(tg.message("/coverage Anna week", sender=PEOPLE[ADMIN]))
    question = world.last("sendMessage")
    assert "период — неделя 2–8 марта" in question.params["text"]
    assert "«Anna» подходит нескольким" in question.params["text"]
    assert [t for t, _ in buttons(question)] == ["Anna Orlova", "Anna Petrova"]
    assert built(world) == []
    choice = button(question, "Anna Petrova")
    await world.send(
        tg.callback(choice, sender=PEOPLE[ADMIN], on=world.sent_message("sendMessage"))
    )
    assert built(world) == [("coverage", "week", "employee", 15, True)]
    assert world.last("sendPhoto").params["chat_id"] == ADMIN


async def test_unknown_words_say_what_was_understood_and_offer_periods(world: World) -> None:
    await world.send(tg.message("/calls Vera mnth", sender=PEOPLE[ADMIN]))
    question = world.last("sendMessage")
    assert "Понял: кто — Vera Sidorova." in question.params["text"]
    assert "Не понял: «mnth»" in question.params["text"]
    labels = [t for t, _ in buttons(question)]
    assert labels[:2] == ["сегодня, 6 марта", "вчера, 5 марта"]
    assert len(labels) == 8
    await world.send(
        tg.callback(
            button(question, "март 2026"),
            sender=PEOPLE[ADMIN],
            on=world.sent_message("sendMessage"),
        )
    )
    assert built(world) == [("calls", "month", "employee", 12, True)]


async def test_bad_input_gets_a_clear_answer(world: World) -> None:
    await world.send(tg.message("/calls 2026-03-15..2026-03-01", sender=PEOPLE[ADMIN]))
    assert "starts after it ends" in said(world)
    await world.send(tg.message("/calls", sender=PEOPLE[OUTSIDER]))  # Gleb is not in sales
    assert "not an active employee of the sales departments" in said(world)


async def test_a_refused_chart_still_sends_the_text(world: World) -> None:
    world.fake.fail("sendPhoto", 400, "Bad Request: IMAGE_PROCESS_FAILED")
    await world.send(tg.message("/rating", sender=PEOPLE[ADMIN]))
    text = world.last("sendMessage")
    assert text.params["text"].endswith("(text)")
    assert "Anna Orlova" in text.params["text"]
    assert buttons(text)  # the period buttons are still there


async def test_a_chart_that_fails_to_render_still_sends_the_text(world: World) -> None:
    assert isinstance(world.builder, FakeBuilder)
    world.builder.fail_render = RuntimeError("matplotlib broke")
    await world.send(tg.message("/rating", sender=PEOPLE[ADMIN]))
    assert said(world).endswith("(text)")
    assert [c[-1] for c in built(world)] == [True, False]


async def test_drill_down_lists_open_and_turn_pages(world: World) -> None:
    await world.send(tg.message("/coverage", sender=PEOPLE[ADMIN]))
    photo = world.last("sendPhoto")
    await world.send(
        tg.callback(
            button(photo, "Без внимания (5)"),
            sender=PEOPLE[ADMIN],
            on=world.sent_message("sendPhoto"),
        )
    )
    page = world.last("sendMessage")
    text = page.params["text"]
    assert text.startswith("<b>Без внимания · Компания · март 2026</b>")
    assert (
        '1. <a href="https://example.bitrix24.ru/crm/company/details/1/">Клиент &lt;1&gt;</a>'
        in text
    )
    assert "стр. 1 из 3" in text
    assert [t for t, _ in buttons(page)] == ["▶"]
    shown = world.sent_message("sendMessage")
    await world.send(tg.callback(button(page, "▶"), sender=PEOPLE[ADMIN], on=shown))
    turned = world.last("editMessageText")
    assert turned.params["message_id"] == shown["message_id"]
    assert "3. <a" in turned.params["text"] and "стр. 2 из 3" in turned.params["text"]
    assert [t for t, _ in buttons(turned)] == ["◀", "▶"]
    assert [c[-1] for c in built(world)] == [True, False, False]  # lists need no chart


async def test_export_sends_an_excel_file(world: World) -> None:
    await world.send(tg.message("/export calls week", sender=PEOPLE[ADMIN]))
    document = world.last("sendDocument")
    (upload,) = document.files.values()
    assert upload == b"PK\x03\x04calls"
    assert built(world) == [("calls", "week", "company", None, False)]
    await world.send(tg.message("/export", sender=PEOPLE[EMPLOYEE]))
    offer = world.last("sendMessage")
    assert [t for t, _ in buttons(offer)][:3] == ["rating", "coverage", "calls"]
    await world.send(
        tg.callback(
            button(offer, "tasks"), sender=PEOPLE[EMPLOYEE], on=world.sent_message("sendMessage")
        )
    )
    assert len(world.fake.requests("sendDocument")) == 2
    assert built(world)[-1] == ("tasks", "month", "employee", 12, False)
    await world.send(tg.message("/export coverage Anna", sender=PEOPLE[ADMIN]))
    question = world.last("sendMessage")
    await world.send(
        tg.callback(
            button(question, "Anna Petrova"),
            sender=PEOPLE[ADMIN],
            on=world.sent_message("sendMessage"),
        )
    )
    assert len(world.fake.requests("sendDocument")) == 3
    assert built(world)[-1] == ("coverage", "month", "employee", 15, False)
    await world.send(tg.message("/export Anna week", sender=PEOPLE[ADMIN]))
    assert "/export calls" in said(world)


async def test_linking_by_a_code_sent_to_bitrix24(world: World) -> None:
    newcomer = tg.user(4242, "Vera", username="vera2")
    await world.send(tg.message("/link vera@x.ru", sender=newcomer))
    assert "vera@x.ru" in said(world)
    ((user_id, notice),) = world.notified
    assert user_id == 12
    code = next(
        word.rstrip(".")
        for word in notice.split()
        if word.rstrip(".").isdigit() and len(word.rstrip(".")) == 6
    )
    await world.send(tg.message("/link nobody@x.ru", sender=newcomer))
    assert "nobody@x.ru" in said(world)  # the same answer: no one learns who works here
    assert len(world.notified) == 1
    await world.send(tg.message("000000" if code != "000000" else "111111", sender=newcomer))
    assert "Осталось попыток: 4" in said(world)
    await world.send(tg.message(code, sender=newcomer))
    assert "вы — Vera Sidorova" in said(world)
    await world.send(tg.message("/calls", sender=newcomer))
    assert built(world) == [("calls", "month", "employee", 12, True)]


async def test_link_is_for_private_chats(world: World) -> None:
    await world.send(
        tg.message("/link vera@x.ru", sender=PEOPLE[STRANGER], chat=tg.group(TEAM_CHAT))
    )
    assert "личных сообщениях" in said(world)
    assert world.notified == []


async def test_me_and_help(world: World) -> None:
    await world.send(tg.message("/me", sender=PEOPLE[HEAD]))
    assert "руководитель" in said(world) and "Продажи Москва" in said(world)
    await world.send(tg.message("/help", sender=PEOPLE[EMPLOYEE]))
    assert "/rating" in said(world)
    await world.send(tg.message("/start", sender=PEOPLE[ADMIN]))
    assert "Anna Orlova" in said(world) and "администратор" in said(world)


async def test_unexpected_errors_reach_the_admin_once(world: World) -> None:
    assert isinstance(world.builder, FakeBuilder)
    world.builder.fail = RuntimeError("database on fire")
    for _ in range(2):
        await world.send(tg.message("/calls", sender=PEOPLE[HEAD]))
    to_admin = [c for c in world.fake.requests("sendMessage") if c.params["chat_id"] == ADMIN]
    assert len(to_admin) == 1
    assert "database on fire" in to_admin[0].params["text"]
    to_head = [c for c in world.fake.requests("sendMessage") if c.params["chat_id"] == HEAD]
    assert len(to_head) == 2
    assert "Что-то пошло не так" in to_head[0].params["text"]


async def test_commands_addressed_to_another_bot_are_not_ours(world: World) -> None:
    chat = tg.group(TEAM_CHAT)
    await world.send(tg.message("/rating@other_bot", sender=PEOPLE[ADMIN], chat=chat))
    assert world.fake.sent() == []
    await world.send(tg.message("/rating@crm_pulse_bot", sender=PEOPLE[ADMIN], chat=chat))
    assert world.last("sendPhoto").params["chat_id"] == TEAM_CHAT


async def test_a_message_too_old_to_edit_gets_the_report_anew(world: World) -> None:
    await world.send(tg.message("/rating", sender=PEOPLE[ADMIN]))
    shown = world.sent_message("sendPhoto")
    world.fake.fail("editMessageMedia", 400, "Bad Request: message can't be edited")
    world.fake.fail("editMessageCaption", 400, "Bad Request: message can't be edited")
    await world.send(
        tg.callback(button(world.last("sendPhoto"), "Год"), sender=PEOPLE[ADMIN], on=shown)
    )
    assert len(world.fake.requests("sendPhoto")) == 2
    assert built(world)[-1] == ("rating", "year", "company", None, True)


async def test_bad_input_after_a_press_is_said_in_the_chat(world: World) -> None:
    chat = tg.group(TEAM_CHAT, forum=True)
    await world.send(tg.message("/calls Gleb", sender=PEOPLE[ADMIN], chat=chat, thread_id=7))
    assert "Не понял: «Gleb»" in said(world)  # Gleb is no sales employee: nobody by that name
    await world.send(tg.message("/rating", sender=PEOPLE[ADMIN], chat=chat, thread_id=7))
    shown = world.sent_message("sendPhoto")
    forged = "r1:calls:n:month:0:0:e:13"  # a button for Gleb, who is not in sales
    await world.send(tg.callback(forged, sender=PEOPLE[ADMIN], on=shown))
    told = world.last("sendMessage")
    assert "not an active employee" in told.params["text"]
    assert (told.params["chat_id"], told.params["message_thread_id"]) == (TEAM_CHAT, 7)
