"""/link: prove who you are with a code sent to your Bitrix24 (private chats only)."""

from __future__ import annotations

import asyncio
import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlmodel import Session

from bot.access import resolve_viewer
from bot.linking import LinkOutcome, LinkPolicy, confirm_code, issue_code, looks_like_code
from bot.telegram.deps import TelegramDeps
from bot.telegram.present import reply
from bot.telegram.texts import raw, say

log = logging.getLogger(__name__)


async def cmd_link(
    message: Message, command: CommandObject, deps: TelegramDeps, session: Session
) -> None:
    if message.chat.type != ChatType.PRIVATE or message.from_user is None:
        await reply(message, raw("link_private"))
        return
    argument = (command.args or "").strip()
    if looks_like_code(argument):
        await _confirm(message, argument, deps, session)
    elif "@" in argument and " " not in argument:
        await _issue(message, argument, deps, session)
    else:
        await reply(message, raw("link_usage"))


async def plain_code(message: Message, deps: TelegramDeps, session: Session) -> None:
    """A code sent on its own, the way people answer "send me the code"."""
    await _confirm(message, message.text or "", deps, session)


async def _issue(message: Message, email: str, deps: TelegramDeps, session: Session) -> None:
    assert message.from_user is not None  # checked by cmd_link
    policy = LinkPolicy.from_settings(deps.settings)
    issued = await asyncio.to_thread(
        issue_code,
        session,
        policy,
        chat_user_id=message.from_user.id,
        email=email,
        now=deps.clock(),
    )
    log.info("link code for telegram %s: %s", message.from_user.id, issued.outcome.value)
    if issued.outcome is LinkOutcome.TOO_MANY_CODES:
        await reply(message, raw("link_too_many"))
        return
    minutes = int(policy.ttl.total_seconds() // 60)
    if issued.outcome is LinkOutcome.ISSUED and issued.user_id is not None:
        text = raw("link_notify").format(code=issued.code, minutes=minutes)
        await deps.notify(issued.user_id, text)
    # The same answer whether or not the address is known: no one learns who works here.
    await reply(message, say("link_sent", email=email, minutes=minutes))


async def _confirm(message: Message, code: str, deps: TelegramDeps, session: Session) -> None:
    assert message.from_user is not None  # private messages always have a sender
    policy = LinkPolicy.from_settings(deps.settings)
    confirmed = await asyncio.to_thread(
        confirm_code,
        session,
        policy,
        chat_user_id=message.from_user.id,
        code=code,
        now=deps.clock(),
        username=message.from_user.username,
    )
    log.info("link confirmation by telegram %s: %s", message.from_user.id, confirmed.outcome.value)
    if confirmed.outcome is LinkOutcome.LINKED and confirmed.user_id is not None:
        person = deps.settings.person_by_bitrix(confirmed.user_id)
        viewer = await asyncio.to_thread(resolve_viewer, session, person, confirmed.user_id)
        await reply(message, say("link_linked", name=viewer.name or confirmed.user_id))
    elif confirmed.outcome is LinkOutcome.WRONG:
        await reply(message, say("link_wrong", left=confirmed.attempts_left))
    elif confirmed.outcome is LinkOutcome.BURNT:
        await reply(message, raw("link_burnt"))
    else:
        await reply(message, raw("link_no_code"))


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_link, Command("link"))
    router.message.register(
        plain_code, F.chat.type == ChatType.PRIVATE, F.text.func(looks_like_code)
    )
    return router
