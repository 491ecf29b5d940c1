"""Outer middlewares on every update, in order: chat gate, DB session, who is asking, language.

- ``ChatGate``: groups and channels that are not team chats get nothing, not even an
  error, so adding the bot to a stranger's group reveals nothing.
- ``DbSession``: one store session per update, committed when the handlers succeed.
  The store is synchronous, so its work runs in worker threads, never on the loop.
- ``WhoIsAsking``: resolves the Telegram user to a ``Viewer`` (role and visible
  departments), injected as ``viewer``.
- ``Speaking``: the rest of the update is handled in one language (``locales.use``), injected
  as ``lang`` too (error handlers run after it and say their texts in it): in a private
  chat the user's Telegram ``language_code``, in a team chat the team's language
  (``[locale] language``), whoever wrote, since everyone there reads the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User
from sqlmodel import Session

from bot.access import STRANGER, Viewer, resolve_viewer
from bot.linking import linked_user, remember_username
from bot.settings import BotSettings
from bot.telegram.deps import TelegramDeps
from locales import use

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ChatGate(BaseMiddleware):
    def __init__(self, settings: BotSettings) -> None:
        self._team_chats = settings.team_chat_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type != ChatType.PRIVATE and chat.id not in self._team_chats:
            return None
        return await handler(event, data)


class DbSession(BaseMiddleware):
    def __init__(self, deps: TelegramDeps) -> None:
        self._engine = deps.engine

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session = Session(self._engine, expire_on_commit=False)
        data["session"] = session
        try:
            result = await handler(event, data)
            await asyncio.to_thread(session.commit)
            return result
        except BaseException:
            await asyncio.to_thread(session.rollback)
            raise
        finally:
            await asyncio.to_thread(session.close)


class WhoIsAsking(BaseMiddleware):
    def __init__(self, settings: BotSettings) -> None:
        self._settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: Session = data["session"]
        viewer = STRANGER
        if user is not None and not user.is_bot:
            viewer = await asyncio.to_thread(self._resolve, session, user)
        data["viewer"] = viewer
        return await handler(event, data)

    def _resolve(self, session: Session, user: User) -> Viewer:
        user_id = linked_user(session, self._settings, user.id)
        if user_id is None:
            return STRANGER
        remember_username(session, user.id, user.username)
        person = self._settings.person_by_bitrix(user_id)
        return resolve_viewer(session, person, user_id)


class Speaking(BaseMiddleware):
    """Handles the update in the reader's language: the user's in private, the team's in groups."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        private = chat is not None and chat.type == ChatType.PRIVATE
        with use(user.language_code if private and user is not None else None) as lang:
            data["lang"] = lang
            return await handler(event, data)
