"""The Telegram front end assembled: dispatcher, command menu, polling and webhook runners.

``app`` builds the ``Bot`` (token, ``api_base`` via ``bot_session``) and the deps, then
calls ``build_dispatcher`` and either ``run_polling`` or ``build_webhook_app``.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.settings import BotSettings, WebhookSettings
from bot.telegram.deps import TelegramDeps
from bot.telegram.handlers import get_routers
from bot.telegram.handlers.errors import ErrorReporter
from bot.telegram.middlewares import ChatGate, DbSession, Speaking, WhoIsAsking
from bot.telegram.texts import menu
from locales import use

log = logging.getLogger(__name__)


def bot_session(settings: BotSettings) -> AiohttpSession:
    """An HTTP session for ``Bot(token, session=...)``: Telegram's or a self-hosted server."""
    if settings.api_base:
        return AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base))
    return AiohttpSession()


def build_dispatcher(deps: TelegramDeps) -> Dispatcher:
    """The dispatcher with every router, the middlewares and the startup hooks.

    Handlers receive ``deps`` (TelegramDeps), ``session`` (a store Session for this
    update), ``viewer`` (bot.access.Viewer) and ``lang`` (the language in force: "ru" or
    "en") by name. Every handler runs inside ``locales.use(lang)``, so texts need no ``lang``.
    """
    dp = Dispatcher(deps=deps, error_reporter=ErrorReporter(deps.settings.error_chat_id))
    # Order matters: the gate drops foreign groups before a session is even opened.
    dp.update.outer_middleware(ChatGate(deps.settings))
    dp.update.outer_middleware(DbSession(deps))
    dp.update.outer_middleware(WhoIsAsking(deps.settings))
    dp.update.outer_middleware(Speaking())
    dp.include_routers(*get_routers())
    dp.startup.register(set_commands)
    return dp


async def set_commands(bot: Bot) -> None:
    """The command menu for Russian and English users, and the team's language for the rest.

    Telegram shows a user the menu of their own language_code, else the one with none: the
    same rule the answers follow in private chats (``Speaking``).
    """
    for language_code in ("ru", "en", None):
        with use(language_code):
            commands = [BotCommand(command=c, description=d) for c, d in menu()]
        await bot.set_my_commands(commands, language_code=language_code)


async def run_polling(bot: Bot, dp: Dispatcher) -> None:
    """Poll until cancelled; a webhook left from webhook mode would block getUpdates."""
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(
        bot, allowed_updates=dp.resolve_used_update_types(), handle_signals=False
    )


def build_webhook_app(
    bot: Bot, dp: Dispatcher, webhook: WebhookSettings, app: web.Application | None = None
) -> web.Application:
    """An aiohttp app taking updates at ``webhook.path``; a wrong or missing secret gets 401.

    Mounted on ``app`` when given (the one listener of ``crm-pulse run``), else on a new one;
    on start it registers the webhook with Telegram (with the secret) and sets the command menu.
    """
    app = web.Application() if app is None else app
    handler = SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=webhook.secret)
    handler.register(app, path=webhook.path)
    setup_application(app, dp, bot=bot)

    async def register(_: web.Application) -> None:
        await bot.set_webhook(
            webhook.url,
            secret_token=webhook.secret,
            allowed_updates=dp.resolve_used_update_types(),
        )

    app.on_startup.append(register)
    return app
