"""Bot events as the portal delivers them, read into one shape for both bot APIs.

A pushed event is a form POST with PHP-style nested keys (``data[PARAMS][MESSAGE]=...``), every
scalar a string; a fetched imbot.v2 event is JSON with native types. v1 events
(``ONIMBOTMESSAGEADD``, ``ONIMCOMMANDADD``) are upper-case PHP arrays, v2 ones
(``ONIMBOTV2MESSAGEADD``, ``ONIMBOTV2COMMANDADD``) camelCase (reference §7.4). Past this module
the rest of the bot sees only ``ChatEvent``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.bitrix.values import as_int

MESSAGE_EVENTS = frozenset({"ONIMBOTMESSAGEADD", "ONIMBOTV2MESSAGEADD"})
COMMAND_EVENTS = frozenset({"ONIMCOMMANDADD", "ONIMBOTV2COMMANDADD"})
# "[USER=100]CRM Pulse[/USER], /rating": how a mention of the bot starts a group message.
_MENTION = re.compile(r"\[user=\d+\][^\[]*\[/user\][\s,:]*", re.IGNORECASE)


@dataclass(frozen=True)
class ChatEvent:
    """A user's message or command addressed to the bot."""

    type: str  # the portal's event name, upper case
    dialog_id: str  # where to answer: "chat12", or the user's id in a private dialog
    user_id: int
    text: str  # "/rating month" for a command, the message text otherwise
    command: str | None  # without the slash, lower case
    params: str
    context: str  # textarea, keyboard or menu
    message_id: int | None = None
    command_id: int | None = None
    bot_id: int | None = None

    @property
    def private(self) -> bool:
        return not self.dialog_id.startswith(("chat", "sg"))


def parse_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][c]=v`` pairs (already URL-decoded) as nested dicts; ``a[]`` appends."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        head, _, rest = name.partition("[")
        keys = [head, *(rest[:-1].split("][") if rest.endswith("]") else ([rest] if rest else []))]
        node = root
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        last = keys[-1] if keys[-1] != "" else str(len(node))
        node[last] = value
    return root


def application_token(payload: Mapping[str, Any]) -> str:
    """The top-level ``auth[application_token]`` (never the bot's own block, §7.1)."""
    auth = payload.get("auth")
    token = auth.get("application_token") if isinstance(auth, Mapping) else None
    return token if isinstance(token, str) else ""


def read_event(event_type: str, data: Mapping[str, Any]) -> ChatEvent | None:
    """The message or command an event carries; None for every other event."""
    kind = event_type.upper()
    if kind not in MESSAGE_EVENTS | COMMAND_EVENTS:
        return None
    if "V2" in kind:
        return _v2(kind, data)
    return _v1(kind, data)


def _v2(kind: str, data: Mapping[str, Any]) -> ChatEvent | None:
    message = _map(data.get("message"))
    chat = _map(data.get("chat"))
    user = _map(data.get("user"))
    bot = _map(data.get("bot"))
    user_id = as_int(user.get("id")) or as_int(message.get("authorId"))
    dialog = str(chat.get("dialogId") or "")
    if not user_id or not dialog:
        return None
    command = _map(data.get("command"))
    if kind == "ONIMBOTV2COMMANDADD" and command:
        word = str(command.get("command") or "")
        params = str(command.get("params") or "")
        return ChatEvent(
            type=kind,
            dialog_id=dialog,
            user_id=user_id,
            text=f"{word} {params}".strip(),
            command=word.lstrip("/").lower() or None,
            params=params.strip(),
            context=str(command.get("context") or "textarea").lower(),
            message_id=as_int(message.get("id")),
            command_id=as_int(command.get("id")),
            bot_id=as_int(bot.get("id")),
        )
    text = str(message.get("text") or "")
    return _from_text(
        kind,
        dialog=dialog,
        user_id=user_id,
        text=text,
        message_id=as_int(message.get("id")),
        bot=bot,
    )


def _v1(kind: str, data: Mapping[str, Any]) -> ChatEvent | None:
    params = _map(data.get("PARAMS"))
    user = _map(data.get("USER"))
    user_id = as_int(params.get("FROM_USER_ID")) or as_int(user.get("ID"))
    dialog = str(params.get("DIALOG_ID") or "")
    if not user_id or not dialog:
        return None
    bots = _map(data.get("BOT"))
    bot = _map(next(iter(bots.values()), None)) if bots else {}
    bot_ref = {"id": bot.get("BOT_ID")}
    commands = _map(data.get("COMMAND"))
    if kind == "ONIMCOMMANDADD" and commands:
        command = _map(next(iter(commands.values())))
        word = str(command.get("COMMAND") or "").lstrip("/")
        rest = str(command.get("COMMAND_PARAMS") or "").strip()
        return ChatEvent(
            type=kind,
            dialog_id=dialog,
            user_id=user_id,
            text=f"/{word} {rest}".strip(),
            command=word.lower() or None,
            params=rest,
            context=str(command.get("COMMAND_CONTEXT") or "textarea").lower(),
            message_id=as_int(command.get("MESSAGE_ID")) or as_int(params.get("MESSAGE_ID")),
            command_id=as_int(command.get("COMMAND_ID")),
            bot_id=as_int(command.get("BOT_ID")) or as_int(bot.get("BOT_ID")),
        )
    text = str(params.get("MESSAGE") or "")
    message_id = as_int(params.get("MESSAGE_ID"))
    return _from_text(
        kind, dialog=dialog, user_id=user_id, text=text, message_id=message_id, bot=bot_ref
    )


def _from_text(
    kind: str,
    *,
    dialog: str,
    user_id: int,
    text: str,
    message_id: int | None,
    bot: Mapping[str, Any],
) -> ChatEvent:
    """A plain message: "/rating month" typed as text is the command all the same."""
    clean = _MENTION.sub("", text).strip()
    word, _, rest = clean.partition(" ")
    command = word[1:].lower() if word.startswith("/") and len(word) > 1 else None
    if command is not None:
        command = command.split("@", 1)[0]  # "/rating@crm_pulse", as Telegram users type
    return ChatEvent(
        type=kind,
        dialog_id=dialog,
        user_id=user_id,
        text=clean,
        command=command,
        params=rest.strip() if command else clean,
        context="textarea",
        message_id=message_id,
        bot_id=as_int(bot.get("id")),
    )


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
