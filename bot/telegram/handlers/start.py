"""/start, /help and /me: for everyone, strangers included (no figures in them)."""

from __future__ import annotations

import asyncio
import html

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from sqlalchemy import select
from sqlmodel import Session, col

from bot.access import Viewer
from bot.game_me import game_lines
from bot.settings import Role
from bot.telegram.deps import TelegramDeps
from bot.telegram.present import reply
from bot.telegram.texts import raw, say
from store.models import Department


def stranger_text(deps: TelegramDeps) -> str:
    portal = f" ({deps.settings.portal_url})" if deps.settings.portal_url else ""
    return say("stranger", portal=portal)


async def cmd_start(message: Message, viewer: Viewer, deps: TelegramDeps) -> None:
    if not viewer.known:
        await reply(message, stranger_text(deps))
        return
    role = raw(f"role_{viewer.role.value}")
    await reply(message, say("hello", name=viewer.name, role=role))


async def cmd_help(message: Message, viewer: Viewer, deps: TelegramDeps) -> None:
    text = raw("help")
    if not viewer.known:
        text = f"{text}\n\n{stranger_text(deps)}"
    await reply(message, text)


async def cmd_me(message: Message, viewer: Viewer, deps: TelegramDeps, session: Session) -> None:
    if not viewer.known:
        await reply(message, stranger_text(deps))
        return
    if viewer.role is Role.ADMIN:
        sees = raw("sees_admin")
    elif viewer.role is Role.HEAD and viewer.roots:
        names = await asyncio.to_thread(_department_names, session, viewer.roots)
        sees = raw("sees_head").format(departments=", ".join(names))
    else:
        sees = raw("sees_employee")
    role = raw(f"role_{viewer.role.value}")
    text = say("me", name=viewer.name, user_id=viewer.user_id, role=role, sees=sees)
    if viewer.user_id is not None:
        # streaks, contest places and badges (bot.game_me), as plain lines
        extra = await asyncio.to_thread(
            game_lines, session, deps.kpi, viewer.user_id, now=deps.clock()
        )
        text = "\n".join([text, *(html.escape(line) for line in extra)])
    await reply(message, text)


def _department_names(session: Session, ids: tuple[int, ...]) -> list[str]:
    rows = session.execute(
        select(col(Department.id), col(Department.name)).where(col(Department.id).in_(ids))
    )
    names = {dept_id: name for dept_id, name in rows}
    return [names.get(dept_id, f"#{dept_id}") for dept_id in ids]


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_me, Command("me"))
    return router
