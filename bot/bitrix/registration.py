"""The bot on the portal: registered at every start, found again rather than duplicated.

imbot.v2 (``imbot.v2.Bot.register``) is idempotent per ``code`` and, in ``fetch`` mode, needs
no public URL: the bot pulls its events. Without imbot.v2 the legacy ``imbot.register`` with a
``CLIENT_ID`` is used, pushed to our event endpoint; it is looked up by code first
(``imbot.bot.list``), so a restart does not make a second bot. Then the commands are
registered (one batch), since only a bot's own commands raise command events and answer
keyboard buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.bitrix.messenger import BotIdentity
from bot.bitrix.settings import BitrixChatSettings
from bot.bitrix.texts import COMMANDS
from bot.bitrix.values import as_int, member
from crm.client import BitrixClient
from crm.errors import ApiError, BitrixError, MethodNotFound
from locales import LANGUAGES, _, use

log = logging.getLogger(__name__)


class RegistrationError(Exception):
    """The bot cannot be registered as configured; the message says what to change."""


async def register_bot(client: BitrixClient, settings: BitrixChatSettings) -> BotIdentity | None:
    """The bot, registered (or found) on the portal; None when there is to be no bot."""
    mode = settings.event_mode
    if mode == "off":
        return None
    if mode in ("auto", "fetch"):
        try:
            bot = await _register_v2(client, settings)
        except MethodNotFound as exc:
            if mode == "fetch":
                msg = "bitrix_chat.event_mode = 'fetch' needs imbot.v2, which this portal lacks"
                raise RegistrationError(msg) from exc
            log.info("Bitrix24: no imbot.v2 on this portal (%s); trying the legacy bot", exc)
        else:
            await _register_commands(client, bot, settings)
            return bot
    if settings.event_url:
        bot = await _register_v1(client, settings)
        await _register_commands(client, bot, settings)
        return bot
    if mode == "push":
        msg = "bitrix_chat.event_mode = 'push' needs bitrix_chat.event_url (our public address)"
        raise RegistrationError(msg)
    log.warning(
        "Bitrix24: no bot (no imbot.v2 and no bitrix_chat.event_url): posts go out as the "
        "webhook's user and commands in the Bitrix24 chat are not heard"
    )
    return None


async def _register_v2(client: BitrixClient, settings: BitrixChatSettings) -> BotIdentity:
    if not settings.bot_token:
        msg = "bitrix_chat.bot_token is empty: imbot.v2 over a webhook needs one"
        raise RegistrationError(msg)
    fields = {
        "code": settings.bot_code,
        "botToken": settings.bot_token,
        "type": "bot",
        "eventMode": "fetch",
        "properties": {"name": settings.bot_name, "workPosition": _(settings.bot_position)},
    }
    # The reference page puts botToken in fields, the quick start beside them: send both.
    result = await client.call(
        "imbot.v2.Bot.register", {"fields": fields, "botToken": settings.bot_token}
    )
    bot_id = as_int(member(result, "bot", "id"))
    if bot_id is None:
        msg = f"imbot.v2.Bot.register returned no bot id: {result!r}"
        raise RegistrationError(msg)
    log.info("Bitrix24: bot %s is %s (imbot.v2, fetch mode)", settings.bot_code, bot_id)
    return BotIdentity(bot_id, 2, token=settings.bot_token)


async def _register_v1(client: BitrixClient, settings: BitrixChatSettings) -> BotIdentity:
    client_id = settings.legacy_client_id
    url = settings.event_url
    handlers = {
        "EVENT_MESSAGE_ADD": url,
        "EVENT_WELCOME_MESSAGE": url,
        "EVENT_BOT_DELETE": url,
    }
    known = await _find_v1(client, settings.bot_code, client_id)
    if known is not None:
        log.info("Bitrix24: bot %s is %s (legacy imbot, found)", settings.bot_code, known)
        return BotIdentity(known, 1, client_id=client_id)
    params = {
        "CODE": settings.bot_code,
        "TYPE": "B",
        "CLIENT_ID": client_id,
        "OPENLINE": "N",
        **handlers,
        "PROPERTIES": {"NAME": settings.bot_name, "WORK_POSITION": _(settings.bot_position)},
    }
    bot_id = as_int(await client.call("imbot.register", params))
    if bot_id is None:
        msg = "imbot.register returned no bot id"
        raise RegistrationError(msg)
    log.info("Bitrix24: bot %s is %s (legacy imbot, registered)", settings.bot_code, bot_id)
    return BotIdentity(bot_id, 1, client_id=client_id)


async def _find_v1(client: BitrixClient, code: str, client_id: str) -> int | None:
    try:
        listed = await client.call("imbot.bot.list", {"CLIENT_ID": client_id})
    except MethodNotFound:
        return None
    rows = listed.values() if isinstance(listed, Mapping) else listed or []
    for row in rows:
        if isinstance(row, Mapping) and str(row.get("CODE")) == code:
            return as_int(row.get("ID"))
    return None


async def _register_commands(
    client: BitrixClient, bot: BotIdentity, settings: BitrixChatSettings
) -> None:
    """Every command in one batch; a command the portal already has is not an error.

    Titles and hints go in every language we speak: the portal shows each user their own.
    """
    commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for name in COMMANDS:
        key = f"cmd_{name}"
        said = _in_every_language(name)
        if bot.api == 2:
            fields: dict[str, Any] = {
                "command": name,
                "title": {lang: title for lang, (title, _hint) in said.items()},
                "common": True,
            }
            if COMMANDS[name][1]:
                fields["params"] = {lang: hint for lang, (_title, hint) in said.items()}
            commands[key] = ("imbot.v2.Command.register", {**bot.params(), "fields": fields})
        else:
            langs = [
                {"LANGUAGE_ID": lang, "TITLE": title, "PARAMS": hint}
                for lang, (title, hint) in said.items()
            ]
            commands[key] = (
                "imbot.command.register",
                {
                    **bot.params(),
                    "COMMAND": name,
                    "COMMON": "Y",
                    "HIDDEN": "N",
                    "EXTRANET_SUPPORT": "N",
                    "EVENT_COMMAND_ADD": settings.event_url,
                    "LANG": langs,
                },
            )
    try:
        result = await client.batch(commands)
    except BitrixError as exc:
        # The bot still answers typed commands as messages; buttons need the commands.
        log.warning("Bitrix24: could not register the bot's commands: %s", exc)
        return
    for key, error in result.errors.items():
        if isinstance(error, ApiError):
            log.info("Bitrix24: command %s not registered: %s", key[4:], error)


def _in_every_language(command: str) -> dict[str, tuple[str, str]]:
    """A command's (title, hint) per language we speak."""
    title, hint = COMMANDS[command]
    said = {}
    for lang in LANGUAGES:
        with use(lang):
            said[lang] = (_(title), _(hint) if hint else "")
    return said
