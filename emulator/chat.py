"""What the emulated portal's chat side has been asked to do, and the bot events it raises.

The server's chat methods (``srv_chat``) record every call here (``calls``: method, params,
at) and keep the resulting messages, files, notifications and bots, so tests can ask plain
questions: ``chat.messages("chat12")``, ``chat.files``, ``chat.notifications(7)``.

A user writing to a bot is simulated with ``user_message``: the message is posted, and each bot
addressed gets an event in the format of the API it registered with (v1 ``ONIMBOTMESSAGEADD``
or ``ONIMCOMMANDADD``; v2 ``ONIMBOTV2MESSAGEADD`` or ``ONIMBOTV2COMMANDADD``). Fetch-mode bots
pull them with ``imbot.v2.Event.get``; for bots with a handler URL the server's listener POSTs
them (``push_payload`` builds the form body).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.chat_events import (
    BotRef,
    Command,
    Post,
    form_pairs,
    user_block,
    v1_data,
    v2_data,
)
from emulator.chat_records import Bot, BotEvent, ChatFile, Message, Notification

__all__ = ["Bot", "BotEvent", "ChatFile", "ChatState", "Message", "Notification"]

PRIVATE_CHAT_BASE = 1000  # private dialogs get chat ids from here, group chats keep theirs


Listener = Callable[[Bot, BotEvent], None]


class ChatState:
    """Messages, files, notifications, bots and bot events of one emulated portal."""

    def __init__(self) -> None:
        self.now: Callable[[], datetime] = lambda: datetime.now(tz=UTC)
        # Looks up a portal user (for names in events); the server plugs the portal in.
        self.user_lookup: Callable[[int], Mapping[str, Any] | None] = lambda _: None
        self.domain = "emulator.bitrix24.test"
        self.base_url = ""  # the server's address, for download and upload URLs
        self.calls: list[dict[str, Any]] = []
        self.bots: dict[int, Bot] = {}
        self.events: list[BotEvent] = []
        self.listeners: list[Listener] = []
        # (url, event type, HTTP status or error text) of every push the server made.
        self.deliveries: list[tuple[str, str, str]] = []
        self._messages: dict[int, Message] = {}
        self._files: dict[int, ChatFile] = {}
        self._notifications: list[Notification] = []
        self._chats: dict[str, int] = {}
        self._folders: dict[int, int] = {}
        self._acked: dict[int, int] = {}
        self._counters: dict[str, Iterator[int]] = {}
        # Set on every change, so a test can wait for a state instead of polling for it.
        self._changed: asyncio.Event | None = None

    def _touch(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_for(self, condition: Callable[[], bool], what: str, within: float = 60) -> None:
        """Until ``condition`` holds, re-checked after each change here; TimeoutError after
        ``within`` seconds (naming ``what``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                msg = f"timed out after {within} s waiting for {what}"
                raise TimeoutError(msg)
            self._changed = self._changed or asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _next(self, kind: str, start: int) -> int:
        counter = self._counters.get(kind)
        if counter is None:
            counter = iter(range(start, 1 << 62))
            self._counters[kind] = counter
        return next(counter)

    # -- questions tests ask -------------------------------------------------------------------

    def messages(self, dialog_id: str | int | None = None) -> list[Message]:
        """Messages in posting order, of one dialog (``"chat12"``, ``"17"``) or all."""
        found = list(self._messages.values())
        if dialog_id is None:
            return found
        wanted = str(dialog_id)
        return [m for m in found if m.dialog_id == wanted]

    @property
    def files(self) -> list[ChatFile]:
        return list(self._files.values())

    def notifications(self, user_id: int | None = None) -> list[Notification]:
        return [n for n in self._notifications if user_id is None or n.user_id == user_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        name = method.lower()
        return [call for call in self.calls if call["method"].lower() == name]

    def bot(self, code: str) -> Bot | None:
        return next((bot for bot in self.bots.values() if bot.code == code), None)

    # -- what the methods do -------------------------------------------------------------------

    def record(self, method: str, params: Mapping[str, Any], at: datetime | None = None) -> None:
        self.calls.append({"method": method, "params": dict(params), "at": at or self.now()})
        self._touch()

    def chat_id_of(self, dialog_id: str) -> int:
        """``"chat12"`` is chat 12; a private dialog with a user gets a chat id of its own."""
        if dialog_id.startswith("chat") and dialog_id[4:].isdigit():
            return int(dialog_id[4:])
        if dialog_id not in self._chats:
            self._chats[dialog_id] = self._next("chat", PRIVATE_CHAT_BASE)
        return self._chats[dialog_id]

    def dialog_of(self, chat_id: int) -> str:
        for dialog, known in self._chats.items():
            if known == chat_id:
                return dialog
        return f"chat{chat_id}"

    def post(
        self,
        dialog_id: str,
        text: str,
        *,
        author_id: int,
        bot_id: int | None = None,
        attach: Any = None,
        keyboard: Any = None,
        system: bool = False,
        file_ids: list[int] | None = None,
    ) -> Message:
        message = Message(
            id=self._next("message", 1),
            dialog_id=dialog_id,
            chat_id=self.chat_id_of(dialog_id),
            author_id=author_id,
            text=text,
            at=self.now(),
            attach=attach,
            keyboard=keyboard,
            bot_id=bot_id,
            system=system,
            file_ids=list(file_ids or []),
        )
        self._messages[message.id] = message
        self._touch()
        return message

    def message(self, message_id: int) -> Message | None:
        return self._messages.get(message_id)

    def edit(self, message_id: int, **changes: Any) -> Message:
        message = self._messages[message_id]
        for name, value in changes.items():
            setattr(message, name, value)
        message.edits += 1
        return message

    def notify(
        self, user_id: int, text: str, *, kind: str, tag: str | None = None, attach: Any = None
    ) -> Notification:
        if tag:  # a notification with the same tag replaces the older one
            self._notifications = [n for n in self._notifications if n.tag != tag]
        note = Notification(self._next("notify", 1), user_id, text, kind, self.now(), tag, attach)
        self._notifications.append(note)
        self._touch()
        return note

    def folder_of(self, chat_id: int) -> int:
        if chat_id not in self._folders:
            self._folders[chat_id] = self._next("folder", 500)
        return self._folders[chat_id]

    def store_file(self, name: str, content: bytes, folder_id: int | None) -> ChatFile:
        stored = ChatFile(self._next("file", 9000), name, content, folder_id, self.now())
        self._files[stored.id] = stored
        self._touch()
        return stored

    def file(self, file_id: int) -> ChatFile | None:
        return self._files.get(file_id)

    # -- bots ----------------------------------------------------------------------------------

    def register_bot(self, code: str, *, api: int, name: str, **fields: Any) -> tuple[Bot, bool]:
        """The bot with this code (created if new); registering again changes only handlers."""
        known = self.bot(code)
        if known is not None:
            if "handlers" in fields:
                known.handlers = dict(fields["handlers"])
            return known, False
        bot = Bot(self._next("bot", 100), code, api, name, self.now(), **fields)
        self.bots[bot.id] = bot
        self._touch()
        return bot, True

    def unregister_bot(self, bot_id: int) -> bool:
        if self.bots.pop(bot_id, None) is None:
            return False
        self.events = [event for event in self.events if event.bot_id != bot_id]
        return True

    def add_command(self, bot_id: int, command: str) -> int:
        bot = self.bots[bot_id]
        name = command.lstrip("/").lower()
        if name not in bot.commands:
            bot.commands[name] = self._next("command", 1)
        return bot.commands[name]

    def user_message(
        self,
        text: str,
        *,
        user_id: int,
        dialog_id: str | None = None,
        bot: int | str | None = None,
        context: str = "textarea",
    ) -> list[BotEvent]:
        """A user writes ``text``; the bot(s) addressed get events (fetched or pushed).

        ``bot`` (id or code) picks one bot, else every registered bot hears it. Without
        ``dialog_id`` the message goes to the private dialog with the bot, which the bot sees as
        the user's id.
        """
        targets = self._targets(bot)
        message = self.post(dialog_id or str(user_id), text, author_id=user_id)
        raised: list[BotEvent] = []
        for target in targets:
            event = self._event_for(target, message, user_id, context)
            self.events.append(event)
            raised.append(event)
            for listener in list(self.listeners):
                listener(target, event)
        return raised

    def _targets(self, bot: int | str | None) -> list[Bot]:
        if bot is None:
            return list(self.bots.values())
        found = self.bots.get(bot) if isinstance(bot, int) else self.bot(bot)
        if found is None:
            msg = f"no bot {bot!r} is registered"
            raise KeyError(msg)
        return [found]

    def _event_for(self, bot: Bot, message: Message, user_id: int, context: str) -> BotEvent:
        word, _, rest = message.text.strip().partition(" ")
        name = word[1:].lower() if word.startswith("/") else ""
        command_id = bot.commands.get(name) if name else None
        command = None if command_id is None else Command(command_id, word, rest, context)
        user = user_block(user_id, self.user_lookup(user_id))
        date = self.now().isoformat(timespec="seconds")
        ref = BotRef(bot.id, bot.code, bot.type, bot.application_token)
        post = Post(message.id, message.chat_id, message.dialog_id, message.text, user_id)
        if bot.api == 2:
            kind = "ONIMBOTV2COMMANDADD" if command else "ONIMBOTV2MESSAGEADD"
            data = v2_data(ref, post, user, date, command)
        else:
            kind = "ONIMCOMMANDADD" if command else "ONIMBOTMESSAGEADD"
            data = v1_data(ref, post, user, command)
        return BotEvent(self._next("event", 1), bot.id, kind, date, data)

    def fetch(
        self, bot_id: int, offset: int | None, limit: int
    ) -> tuple[list[BotEvent], int, bool]:
        """``imbot.v2.Event.get``: ``offset`` acknowledges every event below it."""
        acked = max(self._acked.get(bot_id, 0), offset or 0)
        self._acked[bot_id] = acked
        pending = [e for e in self.events if e.bot_id == bot_id and e.id >= acked]
        page = pending[: max(1, min(limit, 1000))]
        next_offset = page[-1].id + 1 if page else acked
        return page, next_offset, len(pending) > len(page)

    def push_payload(self, bot: Bot, event: BotEvent) -> list[tuple[str, str]]:
        """The form body the portal POSTs to a bot's handler (every scalar as a string)."""
        auth = {
            "domain": self.domain,
            "client_endpoint": f"https://{self.domain}/rest/",
            "server_endpoint": "https://oauth.bitrix24.tech/rest/",
            "member_id": "emulator",
            "application_token": bot.application_token,
        }
        data = dict(event.data)
        if bot.api == 2:
            data["bot"] = {"id": bot.id, "code": bot.code, "auth": auth}
        body = {"event": event.type, "data": data, "ts": str(int(self.now().timestamp()))}
        body["auth"] = auth
        return form_pairs(body)
