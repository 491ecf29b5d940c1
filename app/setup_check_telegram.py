"""The Telegram lines of `crm-pulse check`: the token (getMe) and each team chat (getChat,
getChatMember: may the bot post there)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.utils.token import TokenValidationError

from app import setup_texts as texts
from app.config import Config, ConfigError
from app.runtime import bot_settings
from app.setup_lines import Line, ok
from bot.settings import TeamChat
from bot.telegram.app import bot_session

_POSTING = frozenset({"creator", "administrator", "member"})


async def telegram_lines(config: Config) -> list[Line]:
    token = config.telegram.token.get_secret_value()
    if not token:
        if config.bitrix_chat.enabled:
            return [Line("warn", "telegram.token is empty: no Telegram posts or commands")]
        return [Line("fail", *texts.TOKEN_EMPTY_NO_CHAT)]
    try:
        settings = bot_settings(config)
    except ConfigError as exc:
        return [Line("fail", f"telegram: {exc}", "fix the key named")]
    try:
        bot = Bot(token, session=bot_session(settings))
    except TokenValidationError:
        return [Line("fail", *texts.TOKEN_MALFORMED)]
    try:
        try:
            me = await bot.get_me()
        except TelegramAPIError as exc:
            return [_token_problem(exc)]
        lines = [ok(f"Telegram bot @{me.username} (id {me.id})")]
        if not settings.team_chats:
            lines.append(Line("warn", *texts.NO_TEAM_CHATS))
        lines += [await _team_chat(bot, me.id, chat) for chat in settings.team_chats]
        return lines
    finally:
        await bot.session.close()


def _token_problem(exc: TelegramAPIError) -> Line:
    if isinstance(exc, TelegramUnauthorizedError):
        return Line("fail", *texts.TOKEN_REJECTED)
    if isinstance(exc, TelegramNetworkError):
        what, fix = texts.TELEGRAM_UNREACHABLE
        return Line("fail", f"{what} ({exc.message})", fix)
    return Line("fail", f"Telegram getMe: {exc.message}", texts.TOKEN_REJECTED[1])


async def _team_chat(bot: Bot, bot_id: int, chat: TeamChat) -> Line:
    name = f"{chat.chat_id}" + (f":{chat.topic_id}" if chat.topic_id else "")
    try:
        info = await bot.get_chat(chat.chat_id)
        member = await bot.get_chat_member(chat.chat_id, bot_id)
    except TelegramAPIError as exc:
        return Line("fail", f"team chat {name}: {exc.message}", texts.chat_fix(name))
    except AiogramError as exc:  # an answer aiogram cannot read
        reason = str(exc).splitlines()[0]
        return Line("fail", f"team chat {name}: {reason}", texts.chat_fix(name))
    title = info.title or info.username or name
    status = str(getattr(member.status, "value", member.status))
    may_post = status in _POSTING or (
        status == "restricted" and bool(getattr(member, "can_send_messages", False))
    )
    if info.type == "channel":
        may_post = status == "creator" or bool(getattr(member, "can_post_messages", False))
    if not may_post:
        return Line(
            "fail",
            f"team chat '{title}' ({name}): the bot may not post (it is {status})",
            texts.chat_fix(name),
        )
    return ok(f"team chat '{title}' ({name}): the bot may post")
