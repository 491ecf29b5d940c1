"""Chats that refused the bot: marked when Telegram says so, skipped by scheduled posts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store.bot_models import BlockedChat


def mark_blocked(session: Session, chat_id: int, reason: str, now: datetime) -> None:
    row = session.get(BlockedChat, chat_id)
    if row is None:
        session.add(BlockedChat(chat_id=chat_id, blocked_at=now, reason=reason[:200]))
        session.flush()


def unmark_blocked(session: Session, chat_id: int) -> bool:
    row = session.get(BlockedChat, chat_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def is_blocked(session: Session, chat_id: int) -> bool:
    return session.get(BlockedChat, chat_id) is not None
