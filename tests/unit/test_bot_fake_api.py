"""The fake Bot API refuses what Telegram would refuse, so passing tests mean valid requests."""

from __future__ import annotations

import json

import pytest

from tests.fakes.botapi import FakeTelegram
from tests.fakes.botapi_schema import BotApiSchema, visible_html


@pytest.fixture(scope="module")
def schema() -> BotApiSchema:
    return BotApiSchema()


def keyboard(data: str) -> str:
    return json.dumps({"inline_keyboard": [[{"text": "x", "callback_data": data}]]})


@pytest.mark.parametrize(
    ("method", "params", "problem"),
    [
        ("sendFax", {}, "no such method"),
        ("sendMessage", {"text": "hi"}, "'chat_id' missing"),
        ("sendMessage", {"chat_id": "1", "text": "hi", "colour": "red"}, "unknown parameter"),
        (
            "sendMessage",
            {"chat_id": "1", "text": "hi", "message_thread_id": "x"},
            "not an integer",
        ),
        ("sendMessage", {"chat_id": "1", "text": "x" * 4097}, "4097 visible characters > 4096"),
        (
            "sendMessage",
            {"chat_id": "1", "text": "hi", "reply_markup": keyboard("x" * 65)},
            "65 bytes",
        ),
        ("sendMessage", {"chat_id": "1", "text": "a < b", "parse_mode": "HTML"}, "bare '<'"),
        ("sendMessage", {"chat_id": "1", "text": "<b>hi", "parse_mode": "HTML"}, "unclosed"),
        (
            "sendMessage",
            {"chat_id": "1", "text": "<div>hi</div>", "parse_mode": "HTML"},
            "unsupported",
        ),
        (
            "sendMessage",
            {
                "chat_id": "1",
                "text": "hi",
                "reply_markup": '{"inline_keyboard": [[{"txt": "x"}]]}',
            },
            "no field 'txt'",
        ),
        ("sendPhoto", {"chat_id": "1", "photo": "attach://nothing"}, "names no uploaded file"),
        (
            "editMessageMedia",
            {"chat_id": "1", "message_id": "2", "media": '{"type": "photo"}'},
            "media missing",
        ),
        ("getUpdates", {"limit": "500"}, "outside 1..100"),
        ("sendMessage", {"chat_id": "1", "text": "<b>bold</b>"}, "without parse_mode"),
    ],
)
def test_bad_requests_are_refused(
    schema: BotApiSchema, method: str, params: dict[str, str], problem: str
) -> None:
    problems = schema.check(method, params, files=())
    assert any(problem in p for p in problems), problems


def test_good_requests_pass(schema: BotApiSchema) -> None:
    caption = (
        "<b>" + "я" * 1000 + "</b> &lt;ok&gt; " + '<a href="https://x.ru/?a=1&amp;b=2">link</a>'
    )
    assert visible_html(caption)[0].endswith("<ok> link")
    photo = {
        "chat_id": "-100",
        "photo": "attach://f",
        "caption": caption,
        "parse_mode": "HTML",
        "message_thread_id": "7",
        "reply_markup": keyboard("r1:rating:e:week:0:0:c:0"),
    }
    assert schema.check("sendPhoto", photo, files={"f"}) == []
    media = json.dumps(
        {"type": "photo", "media": "attach://f", "caption": "x", "parse_mode": "HTML"}
    )
    assert (
        schema.check(
            "editMessageMedia", {"chat_id": "1", "message_id": "2", "media": media}, {"f"}
        )
        == []
    )


async def test_failures_and_edits_answer_like_telegram() -> None:
    fake = FakeTelegram()
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    status, body = await fake.handle("sendMessage", {"chat_id": "5", "text": "a"}, {})
    assert (status, body["parameters"]) == (429, {"retry_after": 3})
    status, body = await fake.handle("sendMessage", {"chat_id": "5", "text": "a"}, {})
    assert status == 200
    message_id = body["result"]["message_id"]
    same = {"chat_id": "5", "message_id": str(message_id), "text": "a"}
    status, body = await fake.handle("editMessageText", same, {})
    assert (status, body["description"]) == (
        400,
        "Bad Request: message is not modified: the same content",
    )
    status, _ = await fake.handle("editMessageText", {**same, "text": "b"}, {})
    assert status == 200
    assert fake.errors == []
