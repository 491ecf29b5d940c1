"""What the Bitrix24 chat front end needs from the configuration, as plain frozen values.

``app`` builds ``BitrixChatSettings`` from its ``[bitrix_chat]`` section; nothing here reads
the config itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from locales import N_

# imbot.v2 takes a botToken of at most 40 characters.
MAX_BOT_TOKEN = 40

EventMode = Literal["auto", "fetch", "push", "off"]


def derive_bot_token(secret: str, bot_code: str) -> str:
    """A stable botToken when none is configured: keyed by a secret the app already has
    (the webhook URL), so it survives restarts (registration is per token) and cannot be
    guessed by someone who only knows the bot's code."""
    digest = hmac.new(secret.encode(), f"crm-pulse bot {bot_code}".encode(), hashlib.sha256)
    return digest.hexdigest()[:MAX_BOT_TOKEN]


@dataclass(frozen=True)
class BitrixChatSettings:
    """How the bot presents itself, where posts go and how it hears its users.

    ``event_mode``:
    - ``auto``: an imbot.v2 bot pulling its events (``fetch``) where the portal has
      imbot.v2, else a legacy imbot bot pushed to ``event_url`` if one is set, else no bot
      (posts go out as the webhook's user; commands are not heard);
    - ``fetch``: imbot.v2 only; ``push``: the legacy bot only; ``off``: no bot at all.
    """

    enabled: bool = False
    team_dialogs: tuple[str, ...] = ()  # "chat12" (a group chat) or "17" (a private dialog)
    bot_code: str = "crm_pulse"
    bot_name: str = "CRM Pulse"
    bot_position: str = N_("Отчёты по продажам")  # translated unless set otherwise
    bot_token: str = ""  # imbot.v2 botToken; see derive_bot_token
    client_id: str = ""  # legacy imbot CLIENT_ID over a webhook; "" means the bot code
    # Pushed events must carry this in auth[application_token]; "" refuses every push.
    application_token: str = ""
    event_mode: EventMode = "auto"
    # The public HTTPS address of our event endpoint (legacy bots are pushed there).
    event_url: str | None = None
    event_path: str = "/bitrix/events"
    poll_seconds: float = 5.0  # fetch mode: wait between empty polls (the docs say 5-30 s)
    busy_poll_seconds: float = 0.5  # fetch mode: wait when the portal says it has more
    error_backoff_seconds: float = 30.0  # fetch mode: wait after a failed poll (doubled, capped)
    fetch_limit: int = 100
    keyboards: bool = True  # period buttons under replies (only a bot can have them)
    # Personal alerts: "dialog" (a private message from the bot) or "notify"
    # (im.notify.personal.add); without a bot, "dialog" falls back to "notify".
    personal_via: Literal["dialog", "notify"] = "dialog"

    def __post_init__(self) -> None:
        for dialog in self.team_dialogs:
            if not is_dialog_id(dialog):
                msg = f"{dialog!r} is not a Bitrix24 dialog id such as 'chat12' or '17'"
                raise ValueError(msg)
        if len(self.bot_token) > MAX_BOT_TOKEN:
            msg = f"bitrix_chat.bot_token: at most {MAX_BOT_TOKEN} characters"
            raise ValueError(msg)
        if self.event_url is not None and not self.event_url.startswith(("https://", "http://")):
            msg = "bitrix_chat.event_url must be the endpoint's public https:// address"
            raise ValueError(msg)

    @property
    def legacy_client_id(self) -> str:
        return self.client_id or self.bot_code


def is_dialog_id(text: str) -> bool:
    """``chat12`` (a group chat), ``sg45`` (a workgroup chat) or ``17`` (a user)."""
    for prefix in ("chat", "sg"):
        if text.startswith(prefix):
            return text[len(prefix) :].isdecimal()
    return text.isdecimal()
