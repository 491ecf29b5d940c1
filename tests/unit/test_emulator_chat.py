"""The emulator's chat side: what it records, how it answers, and the bot events it raises.

Pushed events go to a small handler server of our own on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web

from emulator.chat import ChatState
from emulator.data import PortalData
from emulator.generator import generate
from emulator.phpquery import parse_str
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nnot really a chart").decode()
CLIENT = {"CLIENT_ID": "crm-pulse"}


@pytest.fixture(scope="module")
def data() -> PortalData:
    return generate(5, "small", date(2026, 3, 18))


@pytest.fixture
async def emu(data: PortalData) -> AsyncIterator[Emulator]:
    frozen = datetime.fromisoformat(data.as_of)
    async with running_emulator(Portal(data, now=lambda: frozen), rate_limit=False) as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def call(
    http: httpx.AsyncClient, emu: Emulator, method: str, params: dict[str, Any] | None = None
) -> tuple[int, Any]:
    response = await http.post(emu.webhook_url + method, json=params or {})
    body = response.json()
    return response.status_code, body.get("result", body)


class Handler:
    """A bot's event endpoint: keeps every form it is sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(parse_str(await request.text()))
        return web.Response(text="ok")


@pytest.fixture
async def handler() -> AsyncIterator[Handler]:
    found = Handler()
    app = web.Application()
    app.router.add_post("/events", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/events"
    yield found
    await runner.cleanup()


async def test_messages_are_recorded_and_answered_with_ids(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    attach = [{"MESSAGE": "[b]KPI[/b]"}, {"IMAGE": [{"LINK": "https://x.test/a.png"}]}]
    keyboard = {"BUTTONS": [{"TEXT": "Rating", "COMMAND": "rating"}]}
    status, first = await call(
        http,
        emu,
        "im.message.add",
        {"DIALOG_ID": "chat12", "MESSAGE": "Morning", "ATTACH": json.dumps(attach)},
    )
    assert status == 200
    _, second = await call(
        http,
        emu,
        "im.message.add",
        {"DIALOG_ID": "17", "MESSAGE": "Hi", "KEYBOARD": keyboard},
    )
    assert isinstance(first, int)
    assert second > first
    chat = emu.chat
    [posted] = chat.messages("chat12")
    assert (posted.text, posted.attach, posted.chat_id) == ("Morning", attach, 12)
    assert chat.messages(17)[0].keyboard == keyboard
    status, error = await call(http, emu, "im.message.add", {"DIALOG_ID": "chat12"})
    assert (status, error["error"]) == (400, "MESSAGE_EMPTY")
    assert [c["method"] for c in chat.calls] == ["im.message.add"] * 3  # refused ones too
    assert chat.calls[0]["params"]["DIALOG_ID"] == "chat12"
    _, done = await call(http, emu, "im.message.update", {"MESSAGE_ID": first, "MESSAGE": "Edit"})
    assert done is True
    assert chat.messages("chat12")[0].text == "Edit"


async def test_notifications(emu: Emulator, http: httpx.AsyncClient) -> None:
    await call(http, emu, "im.notify.personal.add", {"USER_ID": 7, "MESSAGE": "Your KPI"})
    _, note = await call(http, emu, "im.notify.system.add", {"USER_ID": 7, "MESSAGE": "Sync ok"})
    assert isinstance(note, int)
    status, error = await call(
        http, emu, "im.notify.system.add", {"USER_ID": 7, "MESSAGE": "x", "TAG": "t"}
    )
    assert (status, error["error"]) == (403, "ACCESS_DENIED")
    tagged = {"USER_ID": 7, "TAG": "pace", **CLIENT}
    await call(http, emu, "im.notify.system.add", {**tagged, "MESSAGE": "old"})
    await call(http, emu, "im.notify.system.add", {**tagged, "MESSAGE": "new"})
    assert [(n.kind, n.text) for n in emu.chat.notifications(7)] == [
        ("personal", "Your KPI"),
        ("system", "Sync ok"),
        ("system", "new"),
    ]
    assert emu.chat.notifications(8) == []


async def test_legacy_file_upload_in_three_calls(emu: Emulator, http: httpx.AsyncClient) -> None:
    _, folder = await call(http, emu, "im.disk.folder.get", {"CHAT_ID": 12})
    params = {"id": folder["ID"], "data": {"NAME": "kpi.png"}, "fileContent": ["kpi.png", PNG]}
    _, uploaded = await call(http, emu, "disk.folder.uploadfile", params)
    assert uploaded["NAME"] == "kpi.png"
    _, again = await call(http, emu, "disk.folder.uploadfile", {**params, "generateUniqueName": 1})
    assert again["NAME"] == "kpi (1).png"
    commit = {"CHAT_ID": 12, "FILE_ID": uploaded["ID"], "MESSAGE": "Today"}
    _, committed = await call(http, emu, "im.disk.file.commit", commit)
    [message] = emu.chat.messages("chat12")
    assert committed["MESSAGE_ID"] == message.id
    assert message.file_ids == [uploaded["ID"]]
    stored = emu.chat.file(uploaded["ID"])
    assert stored is not None
    assert stored.chat_id == 12
    download = await http.get(uploaded["DOWNLOAD_URL"])
    assert download.content == base64.b64decode(PNG)
    # Uploads are not allowed inside batch.
    cmd = {"u": f"disk.folder.uploadfile?id={folder['ID']}"}
    _, batch = await call(http, emu, "batch", {"cmd": cmd})
    assert batch["result_error"]["u"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


async def test_upload_url_takes_a_multipart_file(emu: Emulator, http: httpx.AsyncClient) -> None:
    _, folder = await call(http, emu, "im.disk.folder.get", {"DIALOG_ID": "chat3"})
    _, target = await call(http, emu, "disk.folder.uploadfile", {"id": folder["ID"]})
    assert target["field"] == "file"
    response = await http.post(target["uploadUrl"], files={"file": ("a.png", b"bytes")})
    assert response.json()["result"]["NAME"] == "a.png"
    assert emu.chat.files[0].content == b"bytes"


async def test_v2_file_upload_posts_in_one_call(emu: Emulator, http: httpx.AsyncClient) -> None:
    fields = {"name": "kpi.png", "content": PNG, "message": "Chart"}
    _, result = await call(http, emu, "im.v2.File.upload", {"dialogId": "chat9", "fields": fields})
    [message] = emu.chat.messages("chat9")
    assert result["messageId"] == message.id
    assert result["file"]["size"] == len(base64.b64decode(PNG))
    assert message.text == "Chart"


async def test_v2_methods_are_missing_when_the_portal_lacks_them(
    data: PortalData, http: httpx.AsyncClient
) -> None:
    async with running_emulator(Portal(data), rate_limit=False, imbot_v2=False) as emu:
        status, body = await call(http, emu, "im.v2.File.upload", {"dialogId": "chat9"})
        assert (status, body["error"]) == (404, "ERROR_METHOD_NOT_FOUND")
        assert (await call(http, emu, "imbot.register", {}))[0] == 403  # v1 still there


async def test_imbot_register_is_idempotent_per_code(
    emu: Emulator, http: httpx.AsyncClient, handler: Handler
) -> None:
    bot = {"CODE": "kpi", "EVENT_HANDLER": handler.url, "PROPERTIES": {"NAME": "KPI"}}
    status, error = await call(http, emu, "imbot.register", bot)
    assert (status, error["error"]) == (403, "ACCESS_DENIED")  # no CLIENT_ID over a webhook
    _, first = await call(http, emu, "imbot.register", {**bot, **CLIENT})
    _, again = await call(http, emu, "imbot.register", {**bot, **CLIENT})
    assert first == again
    _, listed = await call(http, emu, "imbot.bot.list", CLIENT)
    assert listed == {str(first): {"ID": first, "NAME": "KPI", "CODE": "kpi", "OPENLINE": "N"}}
    reply = {"BOT_ID": first, "DIALOG_ID": "chat4", "MESSAGE": "Top 3", **CLIENT}
    _, message_id = await call(http, emu, "imbot.message.add", reply)
    [message] = emu.chat.messages("chat4")
    assert (message.id, message.bot_id, message.author_id) == (message_id, first, first)
    update = {"BOT_ID": first, "MESSAGE_ID": message_id, "MESSAGE": "Top 5", **CLIENT}
    assert (await call(http, emu, "imbot.message.update", update))[1] is True
    assert emu.chat.messages("chat4")[0].text == "Top 5"
    assert (await call(http, emu, "imbot.unregister", {"BOT_ID": first, **CLIENT}))[1] is True
    assert emu.chat.bots == {}


async def test_a_v1_bot_gets_user_messages_pushed_with_the_application_token(
    emu: Emulator, http: httpx.AsyncClient, handler: Handler
) -> None:
    bot = {"CODE": "kpi", "EVENT_MESSAGE_ADD": handler.url, "PROPERTIES": {"NAME": "KPI"}}
    _, bot_id = await call(http, emu, "imbot.register", {**bot, **CLIENT})
    await emu.user_message("hello", user_id=1)
    command = {"BOT_ID": bot_id, "COMMAND": "rating", "EVENT_COMMAND_ADD": handler.url}
    await call(http, emu, "imbot.command.register", {**command, **CLIENT})
    await emu.user_message("/rating week", user_id=1)
    first, second = handler.received
    token = emu.chat.bots[bot_id].application_token
    assert first["event"] == "ONIMBOTMESSAGEADD"
    assert first["auth"]["application_token"] == token
    assert first["data"]["PARAMS"]["MESSAGE"] == "hello"
    assert first["data"]["PARAMS"]["DIALOG_ID"] == "1"
    assert first["data"]["USER"]["ID"] == "1"
    assert first["data"]["USER"]["NAME"]  # the portal's user 1, by name
    assert second["event"] == "ONIMCOMMANDADD"
    [entry] = second["data"]["COMMAND"].values()
    assert (entry["COMMAND"], entry["COMMAND_PARAMS"]) == ("rating", "week")
    assert [outcome for _, _, outcome in emu.chat.deliveries] == ["200", "200"]


async def test_a_v2_bot_fetches_its_events(emu: Emulator, http: httpx.AsyncClient) -> None:
    fields = {"code": "kpi2", "botToken": "tok", "properties": {"name": "KPI"}}
    _, registered = await call(http, emu, "imbot.v2.Bot.register", {"fields": fields})
    bot_id = registered["bot"]["id"]
    _, again = await call(http, emu, "imbot.v2.Bot.register", {"fields": fields})
    assert again["bot"]["id"] == bot_id
    taken = {"fields": {**fields, "botToken": "other"}}
    assert (await call(http, emu, "imbot.v2.Bot.register", taken))[1]["error"] == (
        "BOT_CODE_ALREADY_TAKEN"
    )
    auth = {"botId": bot_id, "botToken": "tok"}
    command = {**auth, "fields": {"command": "rating", "title": {"en": "Rating"}}}
    await call(http, emu, "imbot.v2.Command.register", command)
    emu.chat.user_message("/rating month", user_id=3, bot="kpi2")
    emu.chat.user_message("thanks", user_id=3, dialog_id="chat8", bot=bot_id)
    _, page = await call(http, emu, "imbot.v2.Event.get", {**auth, "limit": 1})
    [event] = page["events"]
    assert page["hasMore"] is True
    assert event["type"] == "ONIMBOTV2COMMANDADD"
    assert event["data"]["command"] == {
        "id": event["data"]["command"]["id"],
        "command": "/rating",
        "params": "month",
        "context": "textarea",
    }
    assert event["data"]["chat"]["dialogId"] == "3"
    _, same = await call(http, emu, "imbot.v2.Event.get", auth)  # not acknowledged yet
    assert [e["eventId"] for e in same["events"]][0] == event["eventId"]
    _, rest = await call(http, emu, "imbot.v2.Event.get", {**auth, "offset": page["nextOffset"]})
    [message] = rest["events"]
    assert (message["type"], message["data"]["message"]["text"]) == (
        "ONIMBOTV2MESSAGEADD",
        "thanks",
    )
    _, empty = await call(http, emu, "imbot.v2.Event.get", {**auth, "offset": rest["nextOffset"]})
    assert (empty["events"], empty["hasMore"]) == ([], False)
    send = {**auth, "dialogId": "3", "fields": {"message": "You are #2"}}
    _, sent = await call(http, emu, "imbot.v2.Chat.Message.send", send)
    assert emu.chat.message(sent["id"]) is not None
    status, wrong = await call(http, emu, "imbot.v2.Event.get", {**auth, "botToken": "x"})
    assert (status, wrong["error"]) == (403, "BOT_OWNERSHIP_ERROR")


async def test_a_v2_webhook_bot_gets_events_pushed(
    emu: Emulator, http: httpx.AsyncClient, handler: Handler
) -> None:
    fields = {
        "code": "pushed",
        "botToken": "tok",
        "properties": {"name": "KPI"},
        "eventMode": "webhook",
        "webhookUrl": handler.url,
    }
    _, registered = await call(http, emu, "imbot.v2.Bot.register", {"fields": fields})
    await emu.user_message("hi", user_id=2, bot="pushed")
    [pushed] = handler.received
    bot = emu.chat.bots[registered["bot"]["id"]]
    assert pushed["event"] == "ONIMBOTV2MESSAGEADD"
    assert pushed["auth"]["application_token"] == bot.application_token
    assert pushed["data"]["message"]["authorId"] == "2"  # every scalar is a string
    assert pushed["data"]["user"]["active"] == "1"


async def test_the_tool_endpoints_show_and_drive_the_chat(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    await call(http, emu, "im.message.add", {"DIALOG_ID": "chat1", "MESSAGE": "x"})
    fields = {"code": "kpi2", "botToken": "tok", "properties": {"name": "KPI"}}
    await call(http, emu, "imbot.v2.Bot.register", {"fields": fields})
    sent = await http.post(
        emu.base_url + "/_emulator/chat/message", json={"text": "/help", "user_id": 4}
    )
    assert sent.json()["events"][0]["type"] == "ONIMBOTV2MESSAGEADD"
    state = (await http.get(emu.base_url + "/_emulator/chat")).json()
    assert [m["text"] for m in state["messages"]] == ["x", "/help"]
    assert state["calls"][0]["method"] == "im.message.add"


def test_chat_state_on_its_own() -> None:
    chat = ChatState()
    assert chat.chat_id_of("chat42") == 42
    private = chat.chat_id_of("17")
    assert chat.chat_id_of("17") == private != chat.chat_id_of("18")
    assert chat.dialog_of(private) == "17"
    assert chat.folder_of(42) == chat.folder_of(42) != chat.folder_of(7)
    bot, created = chat.register_bot("a", api=2, name="A", token="t", event_mode="fetch")
    assert created
    assert chat.register_bot("a", api=2, name="A") == (bot, False)
    with pytest.raises(KeyError):
        chat.user_message("hi", user_id=1, bot="nobody")
    events = chat.user_message("hi", user_id=1)
    assert [e.bot_id for e in events] == [bot.id]
    page, offset, more = chat.fetch(bot.id, None, 10)
    assert (len(page), more) == (1, False)
    assert chat.fetch(bot.id, offset, 10)[0] == []
