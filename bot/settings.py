"""What the chat front ends need from the configuration, as plain frozen values.

``app`` builds these from its typed config; nothing in ``bot`` reads the config itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    ADMIN = "admin"
    HEAD = "head"
    EMPLOYEE = "employee"
    STRANGER = "stranger"  # nobody we know: never configured, never linked


@dataclass(frozen=True)
class Person:
    """A `[[people]]` entry: a portal user, optionally their Telegram account and a role."""

    bitrix_id: int
    telegram_id: int | None = None
    role: Role = Role.EMPLOYEE


@dataclass(frozen=True)
class TeamChat:
    """A group the bot serves; ``topic_id`` is a forum topic for scheduled posts."""

    chat_id: int
    topic_id: int | None = None

    @classmethod
    def parse(cls, text: str) -> TeamChat:
        """`"-100123"` or `"-100123:7"` (chat id, then a forum topic id)."""
        chat, _, topic = text.strip().partition(":")
        try:
            return cls(int(chat), int(topic) if topic else None)
        except ValueError as exc:
            msg = f"{text!r} is not a chat id or 'chat_id:topic_id'"
            raise ValueError(msg) from exc


@dataclass(frozen=True)
class WebhookSettings:
    """Where Telegram posts updates, and the secret it must send with each of them."""

    url: str  # the public HTTPS URL given to setWebhook, path included
    secret: str  # X-Telegram-Bot-Api-Secret-Token: 1-256 of A-Z a-z 0-9 _ -
    path: str = "/telegram/webhook"
    host: str = "127.0.0.1"
    port: int = 8080

    def __post_init__(self) -> None:
        # An empty secret would let anyone who guesses the URL post forged updates.
        if not self.secret:
            msg = "a webhook needs a secret token (telegram.webhook_secret)"
            raise ValueError(msg)


@dataclass(frozen=True)
class BotSettings:
    people: tuple[Person, ...] = ()
    team_chats: tuple[TeamChat, ...] = ()
    api_base: str | None = None  # a self-hosted Bot API server; None: api.telegram.org
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookSettings | None = None
    portal_url: str = ""  # "https://example.bitrix24.ru", for the /link instructions
    # Where unexpected errors are reported; None: the first admin with a Telegram id.
    admin_chat_id: int | None = None
    # Key of the link-code hashes; a leaked table alone then gives no code away.
    link_secret: str = ""
    link_code_ttl: timedelta = timedelta(minutes=10)
    link_max_attempts: int = 5
    link_codes_per_hour: int = 3
    list_page_size: int = 10

    def __post_init__(self) -> None:
        if self.mode == "webhook" and self.webhook is None:
            msg = "telegram.mode = 'webhook' needs the webhook settings (url, secret)"
            raise ValueError(msg)

    def person_by_telegram(self, telegram_id: int) -> Person | None:
        return next((p for p in self.people if p.telegram_id == telegram_id), None)

    def person_by_bitrix(self, bitrix_id: int) -> Person | None:
        return next((p for p in self.people if p.bitrix_id == bitrix_id), None)

    @property
    def team_chat_ids(self) -> frozenset[int]:
        return frozenset(chat.chat_id for chat in self.team_chats)

    @property
    def error_chat_id(self) -> int | None:
        if self.admin_chat_id is not None:
            return self.admin_chat_id
        admins = (p for p in self.people if p.role is Role.ADMIN and p.telegram_id)
        return next((p.telegram_id for p in admins), None)
