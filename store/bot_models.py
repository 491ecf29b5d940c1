"""Tables of the chat front ends: who a Telegram account is, pending link codes, dead chats.

Kept apart from ``store.models`` (the portal's copy): these rows are ours, not synced, and
a full re-sync must never touch them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime


def _dt(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class TelegramLink(SQLModel, table=True):
    """A Telegram account proven (by a code sent to Bitrix24) to belong to a portal user."""

    __tablename__ = "telegram_links"

    # Telegram ids exceed 32 bits.
    telegram_id: int = Field(
        default=None, sa_column=Column(BigInteger(), primary_key=True, autoincrement=False)
    )
    user_id: int = Field(index=True)
    # Kept so "/calls @anna" can name a colleague; refreshed when it changes.
    username: str | None = Field(default=None, sa_type=String(64), index=True)
    linked_at: datetime = _dt(nullable=False)


class LinkCode(SQLModel, table=True):
    """A one-time code sent to a portal user; only its keyed hash is stored."""

    __tablename__ = "link_codes"
    __table_args__ = (
        Index("ix_link_codes_telegram_created", "telegram_id", "created_at"),
        Index("ix_link_codes_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=True)
    )
    telegram_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    user_id: int
    code_hash: str = Field(sa_type=String(64))
    created_at: datetime = _dt(nullable=False)
    expires_at: datetime = _dt(nullable=False)
    attempts: int = 0
    # Set when the code is used, burnt by too many attempts, or replaced by a newer one.
    spent_at: datetime | None = _dt()


class BlockedChat(SQLModel, table=True):
    """A chat that refused the bot (kicked, blocked, gone): scheduled posts skip it."""

    __tablename__ = "blocked_chats"

    chat_id: int = Field(
        default=None, sa_column=Column(BigInteger(), primary_key=True, autoincrement=False)
    )
    blocked_at: datetime = _dt(nullable=False)
    reason: str = ""


BOT_TABLES: tuple[type[SQLModel], ...] = (TelegramLink, LinkCode, BlockedChat)
