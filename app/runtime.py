"""Everything ``crm-pulse run`` and ``crm-pulse post`` build from the config, in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.cmd_sync import sync_once
from app.config import Config, ConfigError
from app.settings import (
    bitrix_chat_settings,
    game_settings,
    kpi_settings,
    portal_url,
    schedule_settings,
)
from bot.bitrix.messenger import BitrixMessenger
from bot.settings import BotSettings, Person, Role, TeamChat, WebhookSettings
from crm.client import BitrixClient
from crm.sync import SyncReport
from jobs.delivery import Recipient, Sender
from jobs.delivery import TeamChat as JobTeamChat
from jobs.deps import JobDeps
from jobs.people import People, directory
from jobs.people import Person as JobPerson
from store.bot_models import TelegramLink
from store.models import Department


def bot_settings(config: Config) -> BotSettings:
    tg = config.telegram
    webhook = None
    if tg.mode == "webhook":
        if not tg.webhook_url or not tg.webhook_secret.get_secret_value():
            msg = (
                "telegram.mode = 'webhook' needs telegram.webhook_url and telegram.webhook_secret"
            )
            raise ConfigError(msg)
        webhook = WebhookSettings(
            url=tg.webhook_url,
            secret=tg.webhook_secret.get_secret_value(),
            path=urlsplit(tg.webhook_url).path or "/telegram/webhook",
        )
    try:
        team_chats = tuple(TeamChat.parse(chat) for chat in tg.team_chats)
    except ValueError as exc:
        raise ConfigError(f"telegram.team_chats: {exc}") from None
    # Link codes are signed with a key nobody outside this deployment knows.
    secret = (
        tg.token.get_secret_value()
        + config.portal.webhook_url.get_secret_value()
        + config.portal.client_secret.get_secret_value()  # app mode has no webhook
    )
    return BotSettings(
        people=tuple(Person(p.bitrix_id, p.telegram_id, Role(p.role)) for p in config.people),
        team_chats=team_chats,
        api_base=tg.api_base,
        mode=tg.mode,
        webhook=webhook,
        portal_url=portal_url(config),
        link_secret=hashlib.sha256(f"crm-pulse link {secret}".encode()).hexdigest(),
    )


def team_chats(config: Config) -> tuple[JobTeamChat, ...]:
    chats = [JobTeamChat(Recipient("telegram", chat)) for chat in config.telegram.team_chats]
    if config.bitrix_chat.enabled:
        chats += [
            JobTeamChat(Recipient("bitrix", dialog)) for dialog in config.bitrix_chat.team_dialogs
        ]
    return tuple(chats)


def people_directory(config: Config, engine: Engine) -> Callable[[], People]:
    """``[[people]]``, the portal's department heads and the Telegram accounts linked by
    /link, read afresh each time a job asks (heads and links change between runs)."""
    listed = {p.bitrix_id: p for p in config.people}

    def current() -> People:
        with Session(engine) as session:
            heads = list(session.execute(select(col(Department.id), col(Department.head_id))))
            # Not dict(result): a Result has keys() (its column names), so dict() would index it.
            found = session.execute(
                select(col(TelegramLink.user_id), col(TelegramLink.telegram_id))
            )
            links = {user_id: telegram_id for user_id, telegram_id in found}
        persons = [
            JobPerson(uid, p.telegram_id if p.telegram_id else links.get(uid), role=p.role)
            for uid, p in listed.items()
        ]
        persons += [JobPerson(uid, tid) for uid, tid in links.items() if uid not in listed]
        return directory(persons, heads, bitrix_dialogs=config.bitrix_chat.enabled)

    return current


def job_deps(
    config: Config, engine: Engine, sender: Sender, client: BitrixClient | None = None
) -> JobDeps:
    async def sync(full: bool) -> SyncReport:
        return await sync_once(config, engine, full=full, client=client)

    return JobDeps(
        engine=engine,
        kpi=kpi_settings(config),
        schedule=schedule_settings(config),
        people=people_directory(config, engine),
        team_chats=team_chats(config),
        sender=sender,
        sync=sync,
        game=game_settings(config),
    )


def bitrix_messenger(config: Config, client: BitrixClient) -> BitrixMessenger | None:
    if not config.bitrix_chat.enabled:
        return None
    chat = bitrix_chat_settings(config)
    return BitrixMessenger(client, personal_via=chat.personal_via, default_client_id=chat.bot_code)
