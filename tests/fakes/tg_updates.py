"""Telegram updates as Telegram sends them (JSON dicts), for tests to feed or to queue."""

from __future__ import annotations

import itertools
import time
from typing import Any

_ids = itertools.count(1)


def user(
    user_id: int,
    first_name: str = "User",
    *,
    username: str | None = None,
    language_code: str | None = "ru",
) -> dict[str, Any]:
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        found["username"] = username
    if language_code:
        found["language_code"] = language_code
    return found


def private(person: dict[str, Any]) -> dict[str, Any]:
    return {"id": person["id"], "type": "private", "first_name": person["first_name"]}


def group(chat_id: int, *, forum: bool = False) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": "Sales team"}
    if forum:
        chat["is_forum"] = True
    return chat


def message(
    text: str,
    *,
    sender: dict[str, Any],
    chat: dict[str, Any] | None = None,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A message update; a leading /command gets its bot_command entity, as Telegram sends."""
    body: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": chat or private(sender),
        "from": sender,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if thread_id is not None:
        body["message_thread_id"] = thread_id
        body["is_topic_message"] = True
    return {"update_id": next(_ids), "message": body}


def callback(data: str, *, sender: dict[str, Any], on: dict[str, Any]) -> dict[str, Any]:
    """A button press on the message ``on`` (a message dict the bot sent)."""
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": str(next(_ids)),
            "from": sender,
            "chat_instance": "1",
            "message": on,
            "data": data,
        },
    }


def membership(chat: dict[str, Any], status: str, *, by: dict[str, Any]) -> dict[str, Any]:
    """The bot's own membership changed (``status``: member, kicked, left...)."""
    bot = {"id": 42, "is_bot": True, "first_name": "crm-pulse", "username": "crm_pulse_bot"}
    return {
        "update_id": next(_ids),
        "my_chat_member": {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": _member(status, bot),
        },
    }


def _member(status: str, bot: dict[str, Any]) -> dict[str, Any]:
    if status == "kicked":
        return {"status": "kicked", "user": bot, "until_date": 0}
    return {"status": status, "user": bot}
