"""Every line `crm-pulse init`, `check` and `plans` print, in one place (for gettext later).

The command line speaks English like the rest of the CLI; what the chats see lives in bot/.
"""

from __future__ import annotations

WEBHOOK_PLACE = "Applications > Developer resources > Other > Inbound webhook"

# The scope codes and how the webhook's settings page names them.
SCOPE_TITLES = {
    "crm": "CRM (crm)",
    "telephony": "Telephony (telephony)",
    "user": "Users (user)",
    "department": "Company structure (department)",
    "task": "Tasks (task)",
    "im": "Chat and notifications (im)",
    "imbot": "Creating and managing chat bots (imbot)",
    "disk": "Drive (disk)",
}


def scope_fix(scope: str) -> str:
    return (
        f"on the portal open {WEBHOOK_PLACE}, edit this webhook, tick "
        f"'{SCOPE_TITLES.get(scope, scope)}' and save (the webhook URL stays the same)"
    )


SCOPE_WHY = {
    "crm": "deals, leads, companies, contacts and activities are read with it",
    "telephony": "call records (voximplant.statistic.get) are read with it",
    "user": "employees are read with it",
    "department": "the departments are read with it",
    "task": "tasks are read with it",
    "im": "posts to Bitrix24 chat need it (bitrix_chat.enabled)",
    "imbot": "the Bitrix24 chat bot needs it (bitrix_chat.enabled)",
    "disk": "chart images in Bitrix24 chat need it (bitrix_chat.enabled)",
}

# (what went wrong, the fix) for each way the portal can refuse us.
NO_WEBHOOK = (
    "portal.webhook_url is empty",
    f"create an inbound webhook on the portal ({WEBHOOK_PLACE}) and set "
    "portal.webhook_url or CRM_PULSE_PORTAL__WEBHOOK_URL",
)
BAD_WEBHOOK_SHAPE = (
    "the webhook URL is malformed",
    "copy it whole from the portal: it looks like https://PORTAL/rest/USER_ID/CODE/",
)
WEBHOOK_REJECTED = (
    "the portal rejected the webhook (wrong, deleted, expired or regenerated code)",
    f"open {WEBHOOK_PLACE} on the portal, copy the webhook URL again and set it",
)
APP_AUTH_FIX = (
    "check [portal] url, client_id and client_secret against the application on the portal, "
    "then run crm-pulse auth --config PATH"
)
PORTAL_UNREACHABLE = (
    "the portal cannot be reached",
    "check the portal address in the webhook URL and this machine's network",
)
ACCESS_DENIED = (
    "the portal refused access to the webhook's user",
    "create the webhook as a portal administrator, on a plan with REST access",
)
TOKEN_EMPTY_NO_CHAT = (
    "telegram.token is empty and Bitrix24 chat is off: the posts have nowhere to go",
    "create a bot with @BotFather and set telegram.token (or CRM_PULSE_TELEGRAM__TOKEN)",
)
TOKEN_REJECTED = (
    "Telegram rejected the bot token",
    "copy the token again from @BotFather (/mybots > API Token) and set telegram.token",
)
TOKEN_MALFORMED = (
    "the Telegram bot token is malformed (a token looks like 123456:ABC-DEF...)",
    "copy the token again from @BotFather (/mybots > API Token) and set telegram.token",
)
TELEGRAM_UNREACHABLE = (
    "the Telegram Bot API cannot be reached",
    "check the network, or telegram.api_base when a Bot API server of your own is used",
)
NO_TEAM_CHATS = (
    "no Telegram team chat: the morning posts go to no Telegram group",
    "add the bot to the team's group and run crm-pulse init, or set telegram.team_chats",
)


def chat_fix(chat: str) -> str:
    return (
        f"add the bot to chat {chat} and let it write messages, or remove the chat "
        "from telegram.team_chats"
    )


def store_fix(url_kind: str) -> str:
    if url_kind == "sqlite":
        return "crm-pulse sync --config PATH creates and migrates it"
    return "check storage.url, that the database server runs and the user may connect"


MIGRATE_FIX = "crm-pulse sync --config PATH migrates the store on start"
BOT_NOT_REGISTERED_FIX = "crm-pulse run registers it on start; check again after that"
STALE_FIX = "the last sync is too old: check crm-pulse run's log and [schedule] sync"
PUBLIC_URL_FIX = "check [web] public_url, the reverse proxy and that crm-pulse run is running"

INIT_NO_TTY = (
    "crm-pulse init: no terminal to ask questions on; run it in a terminal, or with "
    "--non-interactive --webhook-url URL --telegram-token TOKEN"
)
INIT_EXISTS = "{path} exists; crm-pulse init never overwrites it without --force"
INIT_NO_CHAT = (
    "warn no team chat found: add the bot to the team's group, send /start there and run "
    "crm-pulse init again, or set telegram.team_chats"
)
INIT_WROTE = "Wrote {path} (mode 0600)."
INIT_SECRETS_ENV = (
    "The secrets are not in the file. Set them in the environment of crm-pulse, e.g.:"
)
INIT_NEXT = (
    "Next: crm-pulse check --config {path}, then crm-pulse post morning --config {path}, "
    "then crm-pulse run --config {path}"
)
