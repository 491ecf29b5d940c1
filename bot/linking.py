"""Linking a chat account to a portal user with a one-time code sent through Bitrix24.

``/link anna@example.com`` issues a 6-digit code and the front end sends it to that
user's Bitrix24 notifications (``notify``, wired by ``app`` to im.notify.personal.add):
only someone who can read that user's Bitrix24 learns it. ``/link 123456`` then proves
it. Codes expire (10 minutes), allow 5 wrong tries, are stored as a keyed hash, and at
most a few are issued per hour per chat account and per portal user, so nobody can
flood a colleague's notifications. The reply to an e-mail we do not know is the same as
to one we do, so the bot does not confirm who works at the company.

Everything here is synchronous (a session); front ends run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select, update
from sqlmodel import Session, col

from bot.settings import BotSettings
from store.bot_models import LinkCode, TelegramLink
from store.models import User

# Sends a text to a portal user's Bitrix24 notifications.
Notify = Callable[[int, str], Awaitable[None]]
CODE_DIGITS = 6


class LinkOutcome(StrEnum):
    ISSUED = "issued"
    NOT_FOUND = "not_found"  # told to the user exactly like ISSUED
    TOO_MANY_CODES = "too_many_codes"
    LINKED = "linked"
    WRONG = "wrong"
    BURNT = "burnt"  # too many wrong tries: the code is dead
    NO_CODE = "no_code"  # none issued, or it expired


@dataclass(frozen=True)
class LinkPolicy:
    secret: bytes
    ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    codes_per_hour: int = 3

    @classmethod
    def from_settings(cls, settings: BotSettings) -> LinkPolicy:
        return cls(
            secret=settings.link_secret.encode(),
            ttl=settings.link_code_ttl,
            max_attempts=settings.link_max_attempts,
            codes_per_hour=settings.link_codes_per_hour,
        )

    def digest(self, chat_user_id: int, code: str) -> str:
        message = f"{chat_user_id}:{code}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Issued:
    outcome: LinkOutcome
    user_id: int | None = None
    code: str | None = None  # to send through Bitrix24, never to the chat


@dataclass(frozen=True)
class Confirmed:
    outcome: LinkOutcome
    user_id: int | None = None
    attempts_left: int = 0


def looks_like_code(text: str) -> bool:
    return len(text) == CODE_DIGITS and text.isdigit()


def issue_code(
    session: Session, policy: LinkPolicy, *, chat_user_id: int, email: str, now: datetime
) -> Issued:
    """A new code for the active user with this e-mail; older pending codes are spent."""
    user = session.execute(
        select(User).where(
            func.lower(col(User.email)) == email.strip().lower(), col(User.active).is_(True)
        )
    ).scalar()
    hour_ago = now - timedelta(hours=1)
    recent = _count(session, col(LinkCode.telegram_id) == chat_user_id, hour_ago)
    if user is not None:
        recent = max(recent, _count(session, col(LinkCode.user_id) == user.id, hour_ago))
    if recent >= policy.codes_per_hour:
        return Issued(LinkOutcome.TOO_MANY_CODES)
    if user is None:
        return Issued(LinkOutcome.NOT_FOUND)
    _spend_pending(session, chat_user_id, now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    session.add(
        LinkCode(
            telegram_id=chat_user_id,
            user_id=user.id,
            code_hash=policy.digest(chat_user_id, code),
            created_at=now,
            expires_at=now + policy.ttl,
        )
    )
    session.flush()
    return Issued(LinkOutcome.ISSUED, user.id, code)


def confirm_code(
    session: Session,
    policy: LinkPolicy,
    *,
    chat_user_id: int,
    code: str,
    now: datetime,
    username: str | None = None,
) -> Confirmed:
    """Check a code; on success the chat account is linked (a new link replaces an old)."""
    pending = session.execute(
        select(LinkCode)
        .where(
            col(LinkCode.telegram_id) == chat_user_id,
            col(LinkCode.spent_at).is_(None),
            col(LinkCode.expires_at) > now,
        )
        .order_by(col(LinkCode.created_at).desc())
    ).scalar()
    if pending is None:
        return Confirmed(LinkOutcome.NO_CODE)
    if not hmac.compare_digest(pending.code_hash, policy.digest(chat_user_id, code.strip())):
        pending.attempts += 1
        left = policy.max_attempts - pending.attempts
        if left <= 0:
            pending.spent_at = now
        session.add(pending)
        session.flush()
        return Confirmed(LinkOutcome.BURNT if left <= 0 else LinkOutcome.WRONG, None, left)
    pending.spent_at = now
    session.add(pending)
    link = session.get(TelegramLink, chat_user_id)
    if link is None:
        link = TelegramLink(telegram_id=chat_user_id, user_id=pending.user_id, linked_at=now)
    link.user_id, link.username, link.linked_at = pending.user_id, username, now
    session.add(link)
    session.flush()
    return Confirmed(LinkOutcome.LINKED, pending.user_id)


def linked_user(session: Session, settings: BotSettings, chat_user_id: int) -> int | None:
    """The portal user behind a Telegram account: the config first, then a proven link."""
    person = settings.person_by_telegram(chat_user_id)
    if person is not None:
        return person.bitrix_id
    link = session.get(TelegramLink, chat_user_id)
    return None if link is None else link.user_id


def remember_username(session: Session, chat_user_id: int, username: str | None) -> None:
    """Keep a linked account's @username current, so colleagues can name it."""
    link = session.get(TelegramLink, chat_user_id)
    if link is not None and link.username != username:
        link.username = username
        session.add(link)
        session.flush()


def _count(session: Session, who: ColumnElement[bool], since: datetime) -> int:
    query = select(func.count()).select_from(LinkCode).where(who, col(LinkCode.created_at) > since)
    return int(session.execute(query).scalar_one())


def _spend_pending(session: Session, chat_user_id: int, now: datetime) -> None:
    session.execute(
        update(LinkCode)
        .where(col(LinkCode.telegram_id) == chat_user_id, col(LinkCode.spent_at).is_(None))
        .values(spent_at=now)
    )
