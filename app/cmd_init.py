"""``crm-pulse init``: a working config written from the portal itself.

Checks the webhook (each missing scope named with its fix), syncs the portal into the
store, shows the departments as a tree and proposes the sales team, maps heads and the
admin, suggests plans, checks the Telegram token and finds the team chat, then writes a
commented config (mode 0600). Interactive by default: every question has a default, and
``--non-interactive`` takes them all. Values already in ``CRM_PULSE_*`` variables (and,
with --force, in the config being replaced) are the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from aiogram.exceptions import TelegramNetworkError
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app import setup_texts as texts
from app.cmd_sync import open_store, print_report, sync_once
from app.config import Config, ConfigError, load_config
from app.progress import Progress
from app.setup_choose import choose
from app.setup_config import WEBHOOK_ENV, Draft, Person, env_lines, render, write
from app.setup_portal import PortalProbe, missing_scopes, portal_problem, probe
from app.setup_prompt import InitAborted, Prompt
from app.setup_telegram import FoundChat, TelegramAPIError, make_bot, wait_for_team_chat
from app.wiring import bitrix_client, http_client
from crm.errors import BitrixError
from store.errors import StoreError

CHAT_WAIT_SECONDS = 300.0


async def check_webhook(ask: Prompt, base: Config, url: str) -> tuple[str, PortalProbe]:
    """A webhook that answers with every needed scope, asked again until it does."""
    while True:
        if not url:
            url = ask.text("Inbound webhook URL (https://PORTAL/rest/USER_ID/CODE/)", "")
        found: PortalProbe | None = None
        if url:
            found = await _probe(ask, base, url)
        else:
            ask.fail(*texts.NO_WEBHOOK)
        if found is not None:
            missing = missing_scopes(found.scopes, bitrix_chat=False)
            for scope in missing:
                ask.fail(
                    f"scope '{scope}' missing: {texts.SCOPE_WHY[scope]}", texts.scope_fix(scope)
                )
            if not missing:
                ask.ok(
                    f"portal {found.host}: the webhook acts as {found.user_name or found.user_id}"
                )
                return url, found
            if ask.interactive:
                ask.text("Press Enter when the scopes are ticked to check again", "")
                continue
        if not ask.interactive:
            raise InitAborted
        url = "" if found is None else url


async def _probe(ask: Prompt, base: Config, url: str) -> PortalProbe | None:
    try:
        config = _with(base, portal={"webhook_url": url, "max_retries": 1})
    except ValidationError:  # not even an http(s) address
        ask.fail(*texts.BAD_WEBHOOK_SHAPE)
        return None
    async with http_client(config) as http:
        try:
            return await probe(bitrix_client(config, http))
        except (BitrixError, ValueError) as exc:
            ask.fail(*portal_problem(exc))
            return None


def _zone_and_store(
    ask: Prompt, base: Config, url: str, found: PortalProbe, folder: Path
) -> Config:
    """The time zone and the store, asked again until the config takes them."""
    default_store = base.storage.url
    if default_store == "sqlite:///crm-pulse.db":
        default_store = f"sqlite:///{folder / 'crm-pulse.db'}"
    # a zone set on purpose (the replaced config, CRM_PULSE_PORTAL__TIMEZONE) wins over the
    # webhook user's own
    chosen = "timezone" in base.portal.model_fields_set
    zone_default = base.portal.timezone if chosen else found.time_zone or base.portal.timezone
    while True:
        zone = ask.text("Portal time zone", zone_default)
        storage = ask.text("Store (SQLite file or PostgreSQL URL)", default_store)
        try:
            return _with(
                base, portal={"webhook_url": url, "timezone": zone}, storage={"url": storage}
            )
        except ValidationError as exc:
            for error in exc.errors():
                key = ".".join(str(part) for part in error["loc"])
                ask.fail(f"{key}: {error['msg']}", "type it again")
            if not ask.interactive:
                raise InitAborted from None


async def _read_portal(ask: Prompt, config: Config, url: str, found: PortalProbe) -> Draft:
    """The first sync into the store, then the questions answered from it."""
    ask.say("Reading the portal into the store (the first sync)...")
    try:
        engine = open_store(config)
    except (SQLAlchemyError, StoreError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        ask.fail(f"the store cannot be opened: {reason}", texts.store_fix("postgresql"))
        raise InitAborted from None
    try:
        progress = Progress(ask.out) if ask.interactive else None
        try:
            report = await sync_once(config, engine, full=True, progress=progress)
        except BitrixError as exc:
            ask.fail(*portal_problem(exc))
            raise InitAborted from None
        finally:
            if progress:
                progress.close()
        print_report(report, ask.out)
        now = found.server_time or datetime.now(tz=UTC)
        with Session(engine) as session:
            return choose(ask, session, config, url=url, found=found, now=now)
    finally:
        engine.dispose()


def _with(config: Config, **sections: dict[str, object]) -> Config:
    data = config.model_dump()
    for name, values in sections.items():
        data[name] = {**data[name], **values}
    return Config.model_validate(data)


async def team_chat(ask: Prompt, token: str, api_base: str | None) -> tuple[str, FoundChat | None]:
    """The token checked with getMe (asked again if refused) and the team chat found."""
    while True:
        if not token:
            token = ask.text("Telegram bot token from @BotFather (empty: no Telegram)", "")
            if not token:
                return "", None
        try:
            bot = make_bot(token, api_base)
        except TokenValidationError:
            ask.fail(*texts.TOKEN_MALFORMED)
            if not ask.interactive:
                raise InitAborted from None
            token = ""
            continue
        try:
            try:
                me = await bot.get_me()
            except TelegramNetworkError as exc:
                ask.fail(
                    f"{texts.TELEGRAM_UNREACHABLE[0]} ({exc.message})",
                    texts.TELEGRAM_UNREACHABLE[1],
                )
                raise InitAborted from None
            except TelegramAPIError as exc:
                ask.fail(f"{texts.TOKEN_REJECTED[0]} ({exc.message})", texts.TOKEN_REJECTED[1])
                if not ask.interactive:
                    raise InitAborted from None
                token = ""
                continue
            ask.ok(f"Telegram bot @{me.username}")
            within = CHAT_WAIT_SECONDS if ask.interactive else 0.0
            ask.say(
                f"Add @{me.username} to the team's Telegram group and send /start there "
                f"(waiting up to {int(within)} s)..."
                if within
                else f"Looking for a group where @{me.username} was sent /start..."
            )
            try:
                found = await wait_for_team_chat(bot, within=within)
            except TelegramAPIError as exc:
                ask.fail(
                    f"Telegram getUpdates: {exc.message}",
                    "delete the bot's webhook, or type the chat id",
                )
                found = None
            if found is not None and not ask.yes(
                f"Team chat: '{found.title}' ({found.config_value}). Use it?"
            ):
                found = None
            if found is None:
                ask.say(texts.INIT_NO_CHAT)
            return token, found
        finally:
            await bot.session.close()


def _chat_people(ask: Prompt, found: FoundChat | None, people: list[Person]) -> list[Person]:
    if found is None or found.sender is None or not ask.interactive:
        return people
    admin = next((p for p in people if p.role == "admin"), None)
    sender = found.sender
    if admin and ask.yes(f"Was it you, {admin.name}, who sent /start ({sender.full_name})?"):
        return [
            Person(p.bitrix_id, p.role, p.name, sender.id) if p is admin else p for p in people
        ]
    return people


async def init(args: argparse.Namespace, ask: Prompt, folder: Path, base: Config) -> int:
    path: Path = args.config
    url = args.webhook_url or base.portal.webhook_url.get_secret_value()
    url, found = await check_webhook(ask, base, url)
    config = _zone_and_store(ask, base, url, found, folder)
    draft = await _read_portal(ask, config, url, found)
    token = args.telegram_token or base.telegram.token.get_secret_value()
    token, chat = await team_chat(ask, token, base.telegram.api_base)
    draft = _finish(ask, draft, token=token, chat=chat, base=base)
    if not missing_scopes(found.scopes, bitrix_chat=True):
        draft = replace(draft, bitrix_dialogs=bitrix_dialogs(ask))
    write(path, render(draft), force=args.force)
    ask.say(texts.INIT_WROTE.format(path=path))
    if draft.secrets_in_env:
        ask.say(texts.INIT_SECRETS_ENV)
        for line in env_lines(draft):
            ask.say(f"  {line}")
    ask.say(texts.INIT_NEXT.format(path=path))
    return 0


def bitrix_dialogs(ask: Prompt) -> list[str]:
    """A Bitrix24 group chat for the posts too, when the webhook may post there."""
    while ask.interactive:
        answer = ask.text(
            "Bitrix24 chat for the posts too: its dialog id, as in the chat's address "
            "(chat12); empty: Telegram only",
            "",
        )
        if not answer:
            return []
        if answer.startswith("chat") and answer[4:].isdecimal():
            return [answer]
        ask.say(f"{answer!r} is not a dialog id such as chat12")
    return []


def _finish(
    ask: Prompt, draft: Draft, *, token: str, chat: FoundChat | None, base: Config
) -> Draft:
    people = _chat_people(ask, chat, list(draft.people))
    chats = [chat.config_value] if chat else list(base.telegram.team_chats)
    titles = {chat.config_value: chat.title} if chat else {}
    from_env = WEBHOOK_ENV in os.environ
    keep_out = ask.yes(
        "Keep the secrets (webhook, bot token) out of the file and set them in the "
        "environment instead?",
        default=from_env,
    )
    return replace(
        draft,
        telegram_token=token,
        api_base=base.telegram.api_base,
        team_chats=chats,
        chat_titles=titles,
        people=people,
        secrets_in_env=keep_out,
    )


def defaults(ask: Prompt, previous: Path | None) -> Config:
    """The config being replaced (with --force), else the CRM_PULSE_* variables alone."""
    if previous is not None:
        try:
            return load_config(previous)
        except ConfigError as exc:
            problem = str(exc).splitlines()[0]
            ask.say(f"warn {problem}: its values are not offered as defaults")
    return load_config(None)


def run(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if not args.non_interactive and not stdin.isatty():
        print(texts.INIT_NO_TTY, file=sys.stderr)
        return 2
    ask = Prompt(stdin, stdout, interactive=not args.non_interactive)
    if args.config.exists() and not args.force:
        ask.fail(texts.INIT_EXISTS.format(path=args.config), "pass --force to replace it")
        return 2
    try:
        base = defaults(ask, args.config if args.force and args.config.exists() else None)
        return asyncio.run(init(args, ask, args.config.resolve().parent, base))
    except InitAborted:
        ask.say("crm-pulse init: stopped; nothing was written")
        return 1
