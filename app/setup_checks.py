"""The checks of `crm-pulse check`: each part of a setup, one ``Line`` each, never raising.

A line is ok, warn or fail, what was found, and (when not ok) the fix. Portal, store and
Telegram are checked with read-only calls: nothing is registered, written or migrated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app import setup_texts as texts
from app.config import Config, ConfigError
from app.settings import bitrix_chat_settings, schedule_settings
from app.setup_check_telegram import telegram_lines
from app.setup_lines import Line, ok
from app.setup_portal import SCOPE_ALIASES, PortalProbe, needed_scopes, portal_problem, probe
from app.wiring import bitrix_client, http_client
from crm.client import BitrixClient
from crm.errors import BitrixError, MethodNotFound
from jobs.settings import JOB_NAMES
from store.db import make_engine
from store.errors import StoreError
from store.migrate import alembic_config

__all__ = ["Line", "all_lines", "schedule_lines", "store_lines", "telegram_lines"]


async def portal_lines(config: Config, now: datetime) -> list[Line]:
    url = config.portal.webhook_url.get_secret_value()
    if config.portal.auth == "webhook" and not url:
        return [Line("fail", *texts.NO_WEBHOOK)]
    # One retry: a check reports a dead portal in seconds, not after a sync's patience.
    quick = config.model_copy(
        update={"portal": config.portal.model_copy(update={"max_retries": 1})}
    )
    async with http_client(quick) as http:
        try:
            client = bitrix_client(quick, http)
            found = await probe(client)
        except (BitrixError, ValueError) as exc:
            return [Line("fail", *portal_problem(exc))]
        except (SQLAlchemyError, StoreError) as exc:  # app mode keeps its tokens in the store
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            what = f"the application's tokens cannot be read from the store: {reason}"
            return [Line("fail", what, texts.MIGRATE_FIX)]
        lines = [_authorized(found), *_scopes(config, found), _zone(config, found, now)]
        if config.bitrix_chat.enabled and config.bitrix_chat.event_mode != "off":
            lines.append(await _chat_bot(config, client))
    return lines


def _authorized(found: PortalProbe) -> Line:
    who = f"{found.user_name or 'user'} (id {found.user_id})"
    if not found.admin:
        return Line(
            "warn",
            f"portal {found.host}: the webhook acts as {who}, not an administrator: "
            "figures cover only what this user may see",
            "create the webhook as a portal administrator",
        )
    return ok(f"portal {found.host} reachable; the webhook acts as {who}, an administrator")


def _scopes(config: Config, found: PortalProbe) -> list[Line]:
    chat = config.bitrix_chat.enabled
    lines = []
    for scope in needed_scopes(bitrix_chat=chat):
        if SCOPE_ALIASES.get(scope, frozenset({scope})) & found.scopes:
            continue
        lines.append(
            Line(
                "fail",
                f"scope '{scope}' missing from the webhook: {texts.SCOPE_WHY[scope]}",
                texts.scope_fix(scope),
            )
        )
    if not lines:
        lines.append(ok(f"scopes: {', '.join(needed_scopes(bitrix_chat=chat))}"))
    return lines


def _zone(config: Config, found: PortalProbe, now: datetime) -> Line:
    zone = config.portal.timezone
    ours = now.astimezone(config.portal.zone).utcoffset()
    theirs = found.server_time.utcoffset() if found.server_time else None
    if found.time_zone and found.time_zone != zone:
        return Line(
            "warn",
            f"time zone: portal.timezone is {zone}, the webhook user's is {found.time_zone}",
            f"set portal.timezone = {found.time_zone!r} if days are cut there",
        )
    if theirs is not None and ours is not None and theirs != ours:
        return Line(
            "warn",
            f"time zone: {zone} is UTC{_offset(ours)} now, "
            f"the portal's clock UTC{_offset(theirs)}",
            "set portal.timezone to the portal's zone (an IANA name such as Europe/Moscow)",
        )
    return ok(f"time zone {zone}")


def _offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    return f"{sign}{abs(seconds) // 3600:02d}:{abs(seconds) % 3600 // 60:02d}"


async def _chat_bot(config: Config, client: BitrixClient) -> Line:
    code = config.bitrix_chat.bot_code
    try:
        codes = await _bot_codes(config, client)
    except BitrixError as exc:
        return Line(
            "fail", f"Bitrix24 chat bot: cannot list bots ({exc})", texts.scope_fix("imbot")
        )
    if code in codes:
        return ok(f"Bitrix24 chat bot '{code}' registered")
    return Line("warn", f"Bitrix24 chat bot '{code}' not registered", texts.BOT_NOT_REGISTERED_FIX)


async def _bot_codes(config: Config, client: BitrixClient) -> set[str]:
    settings = bitrix_chat_settings(config)
    try:
        listed = await client.call("imbot.v2.Bot.list", {"botToken": settings.bot_token})
        bots = listed.get("bots", []) if isinstance(listed, dict) else []
        return {str(b.get("code")) for b in bots if isinstance(b, dict)}
    except MethodNotFound:
        pass
    legacy = await client.call("imbot.bot.list", {"CLIENT_ID": settings.legacy_client_id})
    rows = legacy.values() if isinstance(legacy, dict) else legacy or []
    return {str(r.get("CODE")) for r in rows if isinstance(r, dict)}


def store_lines(config: Config) -> list[Line]:
    url = config.storage.url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    shown = make_url(url).render_as_string(hide_password=True)
    if kind == "sqlite":
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return [
                Line("fail", f"store {shown}: the file does not exist yet", texts.store_fix(kind))
            ]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    except (SQLAlchemyError, StoreError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return [Line("fail", f"store {shown} unreachable: {reason}", texts.store_fix(kind))]
    finally:
        engine.dispose()
    if current != head:
        return [
            Line(
                "fail",
                f"store {shown} at schema {current or 'none'}, the program needs {head}",
                texts.MIGRATE_FIX,
            )
        ]
    return [ok(f"store {shown} reachable, schema {head}")]


async def public_url_lines(config: Config) -> list[Line]:
    url = config.web.public_url or ""
    if not url:
        return []
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            reply = await http.get(url.rstrip("/") + "/healthz")
    except httpx.HTTPError as exc:
        what = f"public URL {url} unreachable ({type(exc).__name__})"
        return [Line("fail", what, texts.PUBLIC_URL_FIX)]
    status = reply.status_code
    if status == 200:
        return [ok(f"public URL {url} reachable (/healthz 200)")]
    if status == 503:
        what = f"public URL {url} reachable, but /healthz says the data is stale (503)"
        return [Line("warn", what, texts.STALE_FIX)]
    what = f"public URL {url} answers {status} at /healthz: not crm-pulse"
    return [Line("fail", what, texts.PUBLIC_URL_FIX)]


def schedule_lines(config: Config, now: datetime) -> list[Line]:
    try:
        sched = schedule_settings(config)
    except ConfigError as exc:
        return [Line("fail", f"schedule: {exc}", "fix the cron string named")]
    zone = config.portal.zone
    lines = []
    for job in JOB_NAMES:
        if not sched.enabled(job):
            lines.append(ok(f"job {job}: off"))
            continue
        trigger = CronTrigger.from_crontab(sched.cron_of(job), timezone=zone)
        nxt = trigger.get_next_fire_time(None, now.astimezone(zone))
        when = nxt.astimezone(zone).strftime("%a %d.%m.%Y %H:%M") if nxt else "never"
        lines.append(ok(f"job {job}: next run {when} ({zone.key})"))
    return lines


async def all_lines(config: Config, now: datetime) -> Sequence[Line]:
    return [
        *(await portal_lines(config, now)),
        *store_lines(config),
        *(await telegram_lines(config)),
        *(await public_url_lines(config)),
        *schedule_lines(config, now),
    ]
