"""Chat-bot methods of the new platform, ``imbot.v2.*`` (§1.4, §8.4).

Every call names its bot by ``botId`` and proves it with the ``botToken`` set at registration.
Events wait for ``imbot.v2.Event.get`` (``offset`` acknowledges what came before) unless the bot
registered ``eventMode: webhook``, when the server pushes them. Registering a code again with
the same token returns the same bot; with another token the code is taken.
"""

from __future__ import annotations

from typing import Any

from emulator.chat import Bot, ChatState
from emulator.phpquery import php_intval
from emulator.srv_chat import edit_message, message_parts, upload_to_chat
from emulator.srv_core import ApiError, CallContext, Handler, MethodResult
from emulator.srv_lists import as_mapping, param

V2_TYPES = frozenset(["bot", "supervisor", "personal", "openline", "network"])


def _v2_bot(chat: ChatState, params: dict[str, Any]) -> Bot:
    bot_id = php_intval(param(params, "botId"))
    if bot_id <= 0:
        raise ApiError(400, "BOT_ID_REQUIRED", "Bot ID is required")
    token = param(params, "botToken")
    if token in (None, ""):
        raise ApiError(400, "BOT_TOKEN_NOT_SPECIFIED", "Bot token is not specified")
    bot = chat.bots.get(bot_id)
    if bot is None or bot.api != 2:
        raise ApiError(400, "BOT_NOT_FOUND", "Bot not found")
    if bot.token != str(token):
        raise ApiError(403, "BOT_OWNERSHIP_ERROR", "Bot is registered by another application")
    return bot


def bot_view(bot: Bot, chat: ChatState) -> dict[str, Any]:
    sent = sum(1 for m in chat.messages() if m.bot_id == bot.id)
    return {
        "id": bot.id,
        "code": bot.code,
        "type": bot.type,
        "isHidden": False,
        "isSupportOpenline": False,
        "isReactionsEnabled": True,
        "backgroundId": None,
        "language": "ru",
        "moduleId": "rest",
        "eventMode": bot.event_mode,
        "countMessage": sent,
        "countCommand": len(bot.commands),
        "countChat": 0,
        "countUser": 0,
    }


def _v2_register(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    fields = as_mapping(param(params, "fields"))
    token = str(fields.get("botToken") or param(params, "botToken") or "")
    if not token:
        raise ApiError(400, "BOT_TOKEN_NOT_SPECIFIED", "Bot token is not specified")
    code = str(fields.get("code") or "")
    if not code:
        raise ApiError(400, "BOT_CODE_REQUIRED", "Bot code is required")
    properties = as_mapping(fields.get("properties"))
    if not properties.get("name") and not properties.get("lastName"):
        raise ApiError(400, "BOT_PROPERTIES_REQUIRED", "Bot properties are required")
    kind = str(fields.get("type") or "bot")
    if kind not in V2_TYPES:
        raise ApiError(400, "BOT_INVALID_TYPE", "Invalid bot type")
    mode = str(fields.get("eventMode") or "fetch")
    if mode not in ("fetch", "webhook"):
        raise ApiError(400, "BOT_INVALID_EVENT_MODE", "Invalid event mode")
    url = str(fields.get("webhookUrl") or "")
    if mode == "webhook" and not url:
        raise ApiError(400, "BOT_WEBHOOK_URL_REQUIRED", "Webhook URL is required")
    known = chat.bot(code)
    if known is not None and (known.api != 2 or known.token != token):
        raise ApiError(400, "BOT_CODE_ALREADY_TAKEN", "Bot code is already taken")
    name = str(properties.get("name") or properties.get("lastName"))
    bot, _ = chat.register_bot(
        code,
        api=2,
        name=name,
        type=kind,
        token=token,
        event_mode=mode,
        handlers={"webhook": url} if url else {},
        properties=properties,
    )
    bot.event_mode = mode
    user = {"id": bot.id, "active": True, "name": bot.name, "bot": True, "type": "bot"}
    return MethodResult({"bot": bot_view(bot, chat), "users": [user]})


def _v2_list(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    return MethodResult({"bots": [bot_view(b, chat) for b in chat.bots.values() if b.api == 2]})


def _v2_unregister(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    bot = _v2_bot(ctx.portal.chat, params)
    return MethodResult(ctx.portal.chat.unregister_bot(bot.id))


def _v2_events(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v2_bot(chat, params)
    offset = param(params, "offset")
    limit = php_intval(param(params, "limit", 100)) or 100
    events, next_offset, more = chat.fetch(
        bot.id, None if offset in (None, "") else php_intval(offset), limit
    )
    listed = [{"eventId": e.id, "type": e.type, "date": e.date, "data": e.data} for e in events]
    return MethodResult({"events": listed, "nextOffset": next_offset, "hasMore": more})


def _v2_fields(params: dict[str, Any]) -> dict[str, Any]:
    fields = as_mapping(param(params, "fields"))
    return {
        "MESSAGE": fields.get("message"),
        "ATTACH": fields.get("attach"),
        "KEYBOARD": fields.get("keyboard"),
        "SYSTEM": "Y" if fields.get("system") in (True, "Y", "1", 1) else "N",
    }


def _v2_send(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v2_bot(chat, params)
    dialog = str(param(params, "dialogId") or "")
    if not dialog:
        raise ApiError(400, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
    fields = _v2_fields(params)
    text, attach, keyboard = message_parts(fields)
    message = chat.post(
        dialog,
        text,
        author_id=bot.id,
        bot_id=bot.id,
        attach=attach,
        keyboard=keyboard,
        system=fields["SYSTEM"] == "Y",
    )
    return MethodResult({"id": message.id})


def _v2_update(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    bot = _v2_bot(ctx.portal.chat, params)
    fields = {k: v for k, v in _v2_fields(params).items() if v is not None and k != "SYSTEM"}
    return edit_message(
        ctx.portal.chat, {"MESSAGE_ID": param(params, "messageId"), **fields}, bot.id
    )


def _v2_command_register(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v2_bot(chat, params)
    command = str(as_mapping(param(params, "fields")).get("command") or "")
    if not command:
        raise ApiError(400, "COMMAND_REQUIRED", "Command is required")
    command_id = chat.add_command(bot.id, command)
    return MethodResult({"command": {"id": command_id, "command": command.lstrip("/")}})


def _v2_command_answer(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v2_bot(chat, params)
    asked = chat.message(php_intval(param(params, "messageId")))
    dialog = str(param(params, "dialogId") or (asked.dialog_id if asked else ""))
    if not dialog:
        raise ApiError(400, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
    text, attach, keyboard = message_parts(_v2_fields(params))
    message = chat.post(
        dialog, text, author_id=bot.id, bot_id=bot.id, attach=attach, keyboard=keyboard
    )
    return MethodResult({"id": message.id})


def _v2_upload(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    bot = _v2_bot(ctx.portal.chat, params)
    return upload_to_chat(ctx, params, bot.id, bot.id)


def _v2_revision(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    return MethodResult({"revision": 1})


V2_BOT_METHODS: dict[str, tuple[str, Handler]] = {
    "imbot.v2.revision.get": ("imbot", _v2_revision),
    "imbot.v2.bot.register": ("imbot", _v2_register),
    "imbot.v2.bot.list": ("imbot", _v2_list),
    "imbot.v2.bot.unregister": ("imbot", _v2_unregister),
    "imbot.v2.event.get": ("imbot", _v2_events),
    "imbot.v2.chat.message.send": ("imbot", _v2_send),
    "imbot.v2.chat.message.update": ("imbot", _v2_update),
    "imbot.v2.command.register": ("imbot", _v2_command_register),
    "imbot.v2.command.answer": ("imbot", _v2_command_answer),
    "imbot.v2.file.upload": ("imbot", _v2_upload),
}
