"""The records the emulated chat keeps: messages, files, notifications, bots, bot events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Message:
    id: int
    dialog_id: str
    chat_id: int
    author_id: int
    text: str
    at: datetime
    attach: Any = None
    keyboard: Any = None
    bot_id: int | None = None
    system: bool = False
    file_ids: list[int] = field(default_factory=list)
    edits: int = 0


@dataclass
class ChatFile:
    id: int  # the Disk object id (what im.disk.file.commit takes as FILE_ID)
    name: str
    content: bytes
    folder_id: int | None
    at: datetime
    chat_id: int | None = None  # set once posted into a chat
    message_id: int | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class Notification:
    id: int
    user_id: int
    text: str
    kind: str  # "personal" or "system"
    at: datetime
    tag: str | None = None
    attach: Any = None


@dataclass
class Bot:
    id: int
    code: str
    api: int  # 1: legacy imbot.*, 2: imbot.v2.*
    name: str
    at: datetime
    type: str = "B"
    client_id: str | None = None  # v1 over a webhook
    token: str | None = None  # v2 botToken
    event_mode: str = "webhook"  # v2: "fetch" or "webhook"; v1 bots are always pushed to
    handlers: dict[str, str] = field(default_factory=dict)  # event name (or "webhook") -> URL
    commands: dict[str, int] = field(default_factory=dict)  # command without "/" -> id
    application_token: str = field(default_factory=lambda: secrets.token_hex(16))
    properties: dict[str, Any] = field(default_factory=dict)

    def handler_for(self, event_type: str) -> str | None:
        """The URL an event goes to, or None when it waits to be fetched."""
        if self.api == 2:
            return self.handlers.get("webhook") if self.event_mode == "webhook" else None
        key = {"ONIMCOMMANDADD": "EVENT_COMMAND_ADD"}.get(event_type, "EVENT_MESSAGE_ADD")
        return self.handlers.get(key) or self.handlers.get("EVENT_HANDLER")


@dataclass
class BotEvent:
    id: int
    bot_id: int
    type: str
    date: str
    data: dict[str, Any]  # native types, as imbot.v2.Event.get shows them (v1: the PHP array)
