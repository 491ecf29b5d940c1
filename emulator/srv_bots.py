"""Legacy chat-bot methods ``imbot.*`` (§8.4), with ``CLIENT_ID`` required over a webhook (§1.4).

Registering a code that exists returns the same bot (and takes its new handler URLs), so a bot
that registers itself at every start keeps one id.
"""

from __future__ import annotations

from typing import Any

from emulator.chat import Bot, ChatState
from emulator.phpquery import php_intval
from emulator.srv_chat import (
    dialog_param,
    edit_message,
    message_parts,
)
from emulator.srv_core import ApiError, CallContext, Handler, MethodResult
from emulator.srv_lists import as_mapping, param

V1_HANDLERS = (
    "EVENT_HANDLER",
    "EVENT_MESSAGE_ADD",
    "EVENT_WELCOME_MESSAGE",
    "EVENT_BOT_DELETE",
    "EVENT_MESSAGE_UPDATE",
    "EVENT_MESSAGE_DELETE",
)


def _client_id(params: dict[str, Any]) -> str:
    client = param(params, "CLIENT_ID")
    if client in (None, ""):
        raise ApiError(403, "ACCESS_DENIED", "Access denied! Client ID not specified")
    return str(client)


def _v1_bot(chat: ChatState, params: dict[str, Any]) -> Bot:
    client = _client_id(params)
    bot_id = php_intval(param(params, "BOT_ID"))
    if bot_id <= 0:  # the app's first bot
        mine = [b for b in chat.bots.values() if b.api == 1 and b.client_id == client]
        if not mine:
            raise ApiError(400, "BOT_ID_ERROR", "Bot not found")
        return mine[0]
    bot = chat.bots.get(bot_id)
    if bot is None or bot.api != 1:
        raise ApiError(400, "BOT_ID_ERROR", "Bot not found")
    if bot.client_id != client:
        raise ApiError(403, "ACCESS_DENIED", "Bot was installed by another rest application")
    return bot


def _register(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    client = _client_id(params)
    code = str(param(params, "CODE") or "")
    if not code:
        raise ApiError(400, "CODE_ERROR", "Bot code isn't specified")
    handlers = {k: str(param(params, k)) for k in V1_HANDLERS if param(params, k)}
    if not handlers.keys() & {"EVENT_HANDLER", "EVENT_MESSAGE_ADD"}:
        raise ApiError(400, "EVENT_MESSAGE_ADD_ERROR", "Handler for 'Message add' isn't set")
    properties = as_mapping(param(params, "PROPERTIES"))
    name = str(properties.get("NAME") or properties.get("LAST_NAME") or "")
    if not name:
        raise ApiError(400, "NAME_ERROR", "Bot name isn't specified")
    bot, _ = ctx.portal.chat.register_bot(
        code,
        api=1,
        name=name,
        type=str(param(params, "TYPE") or "B"),
        client_id=client,
        handlers=handlers,
        properties=properties,
    )
    return MethodResult(bot.id)


def _bot_list(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    bots = {
        str(bot.id): {"ID": bot.id, "NAME": bot.name, "CODE": bot.code, "OPENLINE": "N"}
        for bot in ctx.portal.chat.bots.values()
        if bot.api == 1
    }
    return MethodResult(bots or [])


def _unregister(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    bot = _v1_bot(ctx.portal.chat, params)
    return MethodResult(ctx.portal.chat.unregister_bot(bot.id))


def _message_add(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v1_bot(chat, params)
    dialog = dialog_param(params)
    text, attach, keyboard = message_parts(params)
    system = str(param(params, "SYSTEM", "N")).upper() == "Y"
    message = chat.post(
        dialog,
        text,
        author_id=bot.id,
        bot_id=bot.id,
        attach=attach,
        keyboard=keyboard,
        system=system,
    )
    return MethodResult(message.id)


def _message_update(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    bot = _v1_bot(ctx.portal.chat, params)
    return edit_message(ctx.portal.chat, params, bot.id)


def _command_register(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v1_bot(chat, params)
    command = str(param(params, "COMMAND") or "")
    if not command:
        raise ApiError(400, "COMMAND_ERROR", "Command isn't specified")
    handler = param(params, "EVENT_COMMAND_ADD")
    if handler:
        bot.handlers["EVENT_COMMAND_ADD"] = str(handler)
    return MethodResult(chat.add_command(bot.id, command))


def _command_answer(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    bot = _v1_bot(chat, params)
    asked = chat.message(php_intval(param(params, "MESSAGE_ID")))
    if asked is None:
        raise ApiError(400, "MESSAGE_ID_ERROR", "Message ID can't be empty")
    text, attach, keyboard = message_parts(params)
    dialog = asked.dialog_id
    message = chat.post(
        dialog, text, author_id=bot.id, bot_id=bot.id, attach=attach, keyboard=keyboard
    )
    return MethodResult(message.id)


BOT_METHODS: dict[str, tuple[str, Handler]] = {
    "imbot.register": ("imbot", _register),
    "imbot.bot.list": ("imbot", _bot_list),
    "imbot.unregister": ("imbot", _unregister),
    "imbot.message.add": ("imbot", _message_add),
    "imbot.message.update": ("imbot", _message_update),
    "imbot.command.register": ("imbot", _command_register),
    "imbot.command.answer": ("imbot", _command_answer),
}
