"""Bot event bodies as the portal sends them: v1 (upper-case PHP arrays) and v2 (camelCase).

v1 ``ONIMBOTMESSAGEADD`` / ``ONIMCOMMANDADD`` carry ``data[BOT][<id>]``, ``data[PARAMS]`` and
``data[USER]`` (§7.4); v2 ``ONIMBOTV2MESSAGEADD`` / ``ONIMBOTV2COMMANDADD`` carry ``bot``,
``message``, ``chat``, ``user``, ``language`` and, for a command, ``command``. A push is a form
POST built like ``http_build_query``, so every scalar arrives as a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Post:
    """The user's message an event is about."""

    id: int
    chat_id: int
    dialog_id: str
    text: str
    author_id: int

    @property
    def private(self) -> bool:
        return not self.dialog_id.startswith("chat")


@dataclass(frozen=True)
class BotRef:
    """The bot an event is for."""

    id: int
    code: str
    type: str
    application_token: str


@dataclass(frozen=True)
class Command:
    """A registered slash command found at the start of the message."""

    id: int
    word: str  # as typed, with the slash: "/rating"
    params: str  # the rest of the message
    context: str  # textarea, keyboard or menu


def user_block(user_id: int, row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The v2 ``user`` object, filled from the portal's user row when there is one."""
    known: Mapping[str, Any] = row or {}
    first = str(known.get("NAME") or "")
    last = str(known.get("LAST_NAME") or "")
    return {
        "id": user_id,
        "active": bool(known.get("ACTIVE", True)),
        "name": f"{first} {last}".strip(),
        "firstName": first,
        "lastName": last,
        "workPosition": str(known.get("WORK_POSITION") or ""),
        "bot": False,
        "extranet": False,
        "departments": list(known.get("UF_DEPARTMENT") or []),
        "type": "employee",
    }


def v2_data(
    bot: BotRef,
    post: Post,
    user: Mapping[str, Any],
    date: str,
    command: Command | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "bot": {"id": bot.id, "code": bot.code, "type": bot.type, "eventMode": "fetch"},
        "message": {
            "id": post.id,
            "chatId": post.chat_id,
            "authorId": post.author_id,
            "date": date,
            "text": post.text,
            "isSystem": False,
            "params": {},
        },
        "chat": {
            "id": post.chat_id,
            "dialogId": post.dialog_id,
            "type": "private" if post.private else "chat",
            "name": "",
        },
        "user": dict(user),
        "language": "ru",
    }
    if command is not None:
        data["command"] = {
            "id": command.id,
            "command": command.word,
            "params": command.params,
            "context": command.context,
        }
    return data


def v1_data(
    bot: BotRef,
    post: Post,
    user: Mapping[str, Any],
    command: Command | None,
) -> dict[str, Any]:
    context = command.context.upper() if command else "TEXTAREA"
    data: dict[str, Any] = {
        "BOT": {
            str(bot.id): {
                "BOT_ID": bot.id,
                "BOT_CODE": bot.code,
                "application_token": bot.application_token,
            }
        },
        "PARAMS": {
            "MESSAGE": post.text,
            "MESSAGE_ID": post.id,
            "DIALOG_ID": post.dialog_id,
            "FROM_USER_ID": post.author_id,
            "TO_USER_ID": bot.id if post.private else 0,
            "TO_CHAT_ID": post.chat_id,
            "CHAT_TYPE": "P" if post.private else "C",
            "MESSAGE_TYPE": "P" if post.private else "C",
            "COMMAND_CONTEXT": context,
            "LANGUAGE": "ru",
        },
        "USER": {
            "ID": post.author_id,
            "NAME": user["name"],
            "FIRST_NAME": user["firstName"],
            "LAST_NAME": user["lastName"],
            "WORK_POSITION": user["workPosition"],
            "IS_BOT": "N",
            "IS_EXTRANET": "N",
        },
    }
    if command is not None:
        data["COMMAND"] = {
            str(command.id): {
                "BOT_ID": bot.id,
                "BOT_CODE": bot.code,
                "COMMAND": command.word.lstrip("/"),
                "COMMAND_ID": command.id,
                "COMMAND_PARAMS": command.params,
                "COMMAND_CONTEXT": context,
                "MESSAGE_ID": post.id,
            }
        }
    return data


def form_pairs(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``http_build_query``: nested keys in brackets; true/false as "1"/"0", null as ""."""
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        _flatten(str(key), value, pairs)
    return pairs


def _flatten(key: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for sub, item in value.items():
            _flatten(f"{key}[{sub}]", item, out)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _flatten(f"{key}[{index}]", item, out)
    elif isinstance(value, bool):
        out.append((key, "1" if value else "0"))
    else:
        out.append((key, "" if value is None else str(value)))
