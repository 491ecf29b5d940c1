"""Messenger paths the emulator does not produce: a bot the chat refuses, odd replies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.bitrix.messenger import BitrixMessenger, BotIdentity
from crm.client import BitrixClient
from crm.errors import ServerError

URL = "https://example.bitrix24.ru/rest/1/code123/"
BOT = BotIdentity(100, 2, token="tok")
KEYBOARD = {"BUTTONS": [{"TEXT": "Неделя", "COMMAND": "rating", "COMMAND_PARAMS": "week"}]}


class Portal:
    """Answers by method name; records (method, body) of every request."""

    def __init__(self, replies: dict[str, tuple[int, Any]]) -> None:
        self.replies = replies
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        self.requests.append((method, json.loads(request.content or b"{}")))
        status, body = self.replies.get(method, (404, {"error": "ERROR_METHOD_NOT_FOUND"}))
        return httpx.Response(status, json=body)


@pytest.fixture
async def clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    made: list[httpx.AsyncClient] = []
    yield made
    for client in made:
        await client.aclose()


def messenger(clients: list[httpx.AsyncClient], portal: Portal, **kw: Any) -> BitrixMessenger:
    http = httpx.AsyncClient(transport=httpx.MockTransport(portal))
    clients.append(http)
    return BitrixMessenger(BitrixClient(http, URL, max_retries=0), **kw)


async def test_a_chat_that_refuses_the_bot_gets_the_text_from_the_user(
    clients: list[httpx.AsyncClient],
) -> None:
    portal = Portal(
        {
            "imbot.v2.Chat.Message.send": (
                403,
                {"error": "ACCESS_DENIED", "error_description": ""},
            ),
            "im.message.add": (200, {"result": 55}),
        }
    )
    ids = await messenger(clients, portal, bot=BOT).send_text("chat9", "hi", keyboard=KEYBOARD)
    assert ids == (55,)
    (bot_call, user_call) = portal.requests
    assert bot_call[1]["fields"]["keyboard"] == KEYBOARD
    # buttons call the bot's commands: from the user they could do nothing
    assert user_call == ("im.message.add", {"DIALOG_ID": "chat9", "MESSAGE": "hi"})


async def test_a_portal_that_is_down_is_not_hidden(clients: list[httpx.AsyncClient]) -> None:
    portal = Portal({"im.message.add": (500, {"error": "INTERNAL_SERVER_ERROR"})})
    with pytest.raises(ServerError):
        await messenger(clients, portal).send_text("chat9", "hi")


async def test_uploads_that_all_fail_return_nothing_sent(clients: list[httpx.AsyncClient]) -> None:
    portal = Portal({"im.v2.File.upload": (400, {"error": "FILE_ERROR"})})
    sent = await messenger(clients, portal).send_file("chat9", "a.png", b"x")
    assert not sent.uploaded and sent.message_ids == ()
    assert [m for m, _ in portal.requests] == ["im.v2.File.upload", "im.disk.folder.get"]


async def test_a_private_message_the_portal_refuses_becomes_a_notification(
    clients: list[httpx.AsyncClient],
) -> None:
    portal = Portal(
        {
            "imbot.v2.Chat.Message.send": (403, {"error": "ACCESS_DENIED"}),
            "im.notify.personal.add": (200, {"result": 9}),
        }
    )
    await messenger(clients, portal, bot=BOT).send_personal(7, "Задача просрочена")
    assert portal.requests[-1] == (
        "im.notify.personal.add",
        {"USER_ID": 7, "MESSAGE": "Задача просрочена"},
    )
