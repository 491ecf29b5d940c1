"""Bot events, fetched and pushed, v1 and v2, read into one ``ChatEvent``.

The payloads come from the emulator's own event builder (``emulator.chat``), which
follows the reference's §7.4, so these tests read what a portal sends, not what we imagine.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from bot.bitrix.events import application_token, parse_form, read_event
from emulator.chat import ChatState


def _chat(api: int) -> tuple[ChatState, int]:
    chat = ChatState()
    fields = {"token": "tok", "event_mode": "fetch"} if api == 2 else {"client_id": "crm"}
    bot, _ = chat.register_bot("crm_pulse", api=api, name="CRM Pulse", **fields)
    chat.add_command(bot.id, "rating")
    return chat, bot.id


def _pushed(chat: ChatState, text: str, **kw: object) -> tuple[dict[str, object], str]:
    """The event as a form POST body, decoded the way our endpoint decodes it."""
    (event,) = chat.user_message(text, **kw)  # type: ignore[arg-type]
    bot = chat.bots[event.bot_id]
    body = urlencode(chat.push_payload(bot, event))
    return parse_form(parse_qsl(body, keep_blank_values=True)), bot.application_token


def test_parse_form_builds_nested_php_arrays() -> None:
    pairs = [
        ("event", "ONIMBOTMESSAGEADD"),
        ("data[PARAMS][MESSAGE]", "/calls"),
        ("data[PARAMS][DIALOG_ID]", "chat12"),
        ("data[USER][ID]", "7"),
        ("list[]", "a"),
        ("list[]", "b"),
        ("auth[application_token]", "secret"),
    ]
    form = parse_form(pairs)
    assert form["data"] == {
        "PARAMS": {"MESSAGE": "/calls", "DIALOG_ID": "chat12"},
        "USER": {"ID": "7"},
    }
    assert form["list"] == {"0": "a", "1": "b"}
    assert application_token(form) == "secret"


@pytest.mark.parametrize("api", [1, 2])
def test_a_registered_command_is_read_with_its_params(api: int) -> None:
    chat, bot_id = _chat(api)
    (event,) = chat.user_message("/rating прошлая неделя", user_id=7, dialog_id="chat12")
    got = read_event(event.type, event.data)
    assert got is not None
    assert (got.dialog_id, got.user_id, got.text) == ("chat12", 7, "/rating прошлая неделя")
    assert (got.command, got.params, got.context) == ("rating", "прошлая неделя", "textarea")
    assert got.bot_id == bot_id
    assert got.command_id == chat.bots[bot_id].commands["rating"]
    assert got.message_id == chat.messages("chat12")[-1].id
    assert not got.private


@pytest.mark.parametrize("api", [1, 2])
def test_pushed_events_read_the_same_as_fetched_ones(api: int) -> None:
    """A push turns every scalar into a string; the ChatEvent must not notice."""
    chat, _ = _chat(api)
    (fetched,) = chat.user_message("/rating month", user_id=7)
    form, token = _pushed(chat, "/rating month", user_id=7)
    data = form["data"]
    assert isinstance(data, dict)
    pushed = read_event(str(form["event"]), data)
    direct = read_event(fetched.type, fetched.data)
    assert pushed is not None and direct is not None
    assert (pushed.dialog_id, pushed.user_id, pushed.command, pushed.params) == (
        "7",
        7,
        "rating",
        "month",
    )
    assert (direct.dialog_id, direct.user_id, direct.command, direct.params) == (
        "7",
        7,
        "rating",
        "month",
    )
    assert pushed.private
    assert application_token(form) == token


@pytest.mark.parametrize("api", [1, 2])
def test_an_unregistered_command_typed_as_text_is_still_a_command(api: int) -> None:
    chat, _ = _chat(api)
    (event,) = chat.user_message("/calls Орлова неделя", user_id=7, dialog_id="chat3")
    assert event.type in ("ONIMBOTMESSAGEADD", "ONIMBOTV2MESSAGEADD")
    got = read_event(event.type, event.data)
    assert got is not None
    assert (got.command, got.params, got.context) == ("calls", "Орлова неделя", "textarea")


def test_a_mention_of_the_bot_before_the_command_is_dropped() -> None:
    chat, bot_id = _chat(2)
    text = f"[USER={bot_id}]CRM Pulse[/USER], /calls@crm_pulse месяц"
    (event,) = chat.user_message(text, user_id=7, dialog_id="chat3")
    got = read_event(event.type, event.data)
    assert got is not None
    assert (got.command, got.params) == ("calls", "месяц")


def test_chatter_is_a_message_without_a_command() -> None:
    chat, _ = _chat(2)
    (event,) = chat.user_message("добрый день", user_id=7)
    got = read_event(event.type, event.data)
    assert got is not None
    assert got.command is None
    assert got.text == "добрый день"


def test_keyboard_presses_keep_their_context() -> None:
    chat, _ = _chat(2)
    (event,) = chat.user_message("/rating week все", user_id=7, context="keyboard")
    got = read_event(event.type, event.data)
    assert got is not None and got.context == "keyboard"


def test_other_events_and_broken_ones_are_ignored() -> None:
    assert read_event("ONIMBOTV2JOINCHAT", {"chat": {"dialogId": "chat1"}}) is None
    assert read_event("ONIMBOTMESSAGEADD", {"PARAMS": {"MESSAGE": "/rating"}}) is None
    assert read_event("ONIMBOTV2MESSAGEADD", {"message": "junk", "user": []}) is None


def test_the_application_token_is_only_the_top_level_one() -> None:
    """For imbot.v2 webhooks the bot's own auth block is not what identifies the sender."""
    form = parse_form([("data[bot][auth][application_token]", "x"), ("event", "E")])
    assert application_token(form) == ""
    assert application_token({"auth": "not a block"}) == ""
