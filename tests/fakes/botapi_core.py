"""The fake Telegram Bot API itself: state, request checking and Telegram-like answers.

``tests.fakes.botapi`` puts it on the wire (an aiohttp server) and in-process (an aiogram
session); see there.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.botapi_schema import BotApiSchema, visible_html

TOKEN = "42:TEST"
BOT_USER = {"id": 42, "is_bot": True, "first_name": "crm-pulse", "username": "crm_pulse_bot"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]  # decoded by the schema: ints, booleans, JSON objects
    files: dict[str, bytes]


@dataclass
class _Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None  # ResponseParameters: retry_after, migrate_to_chat_id
    times: int


@dataclass
class FakeTelegram:
    schema: BotApiSchema = field(default_factory=BotApiSchema)
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    base_url: str = ""
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update: int = 1
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _next_message: int = 1000
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)
    _closed: bool = False

    # --- what tests use ---------------------------------------------------------------

    def add_update(self, update: Mapping[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update_id = self._next_update
        self._next_update += 1
        self._updates.append({**update, "update_id": update_id})
        self._notify()
        return update_id

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        given = {"retry_after": retry_after, "migrate_to_chat_id": migrate_to_chat_id}
        parameters = {k: v for k, v in given.items() if v is not None} or None
        self._failures.setdefault(method, []).append(
            _Failure(status, description, parameters, times)
        )

    def requests(self, *methods: str) -> list[Call]:
        """The calls of these methods (all calls when none given), in order."""
        return [c for c in self.calls if not methods or c.method in methods]

    def sent(self) -> list[Call]:
        """What users would see: messages sent or edited, callback answers excluded."""
        ignored = {"getMe", "getUpdates", "deleteWebhook", "setMyCommands", "sendChatAction"}
        return [c for c in self.calls if c.method not in ignored]

    async def wait_for(self, predicate: Callable[[Call], bool], *, within: float = 5.0) -> Call:
        """The first call that matches, waiting for it with a deadline."""
        deadline = time.monotonic() + within
        while True:
            found = next((c for c in self.calls if predicate(c)), None)
            if found is not None:
                return found
            if not await self._changed(deadline):
                methods = [c.method for c in self.calls]
                msg = f"no matching request within {within} s; got {methods}"
                raise TimeoutError(msg)

    def close(self) -> None:
        self._closed = True
        self._notify()

    # --- the API ----------------------------------------------------------------------

    async def handle(
        self, method: str, fields: Mapping[str, Any], files: Mapping[str, bytes]
    ) -> tuple[int, dict[str, Any]]:
        """One request as (HTTP status, JSON body), recorded and checked first."""
        problems = self.schema.check(method, fields, files.keys())
        params = self.schema.decode(method, fields)
        self.calls.append(Call(method, params, dict(files)))
        self._notify()
        if problems:
            self.errors.extend(problems)
            return 400, error_body(400, "Bad Request: " + "; ".join(problems))
        failure = self._failure(method)
        if failure is not None:
            return failure.status, error_body(
                failure.status, failure.description, failure.parameters
            )
        if method == "getUpdates":
            return 200, _ok(await self._get_updates(params))
        answer = getattr(self, f"_{method}", None)
        result = answer(params, files) if answer is not None else True
        return (
            (400, result)
            if isinstance(result, dict) and "error_code" in result
            else (200, _ok(result))
        )

    def _getMe(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        return BOT_USER

    def _sendMessage(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        return self._new_message(params, {"text": _shown(params["text"], params)})

    def _sendPhoto(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        return self._new_message(params, _photo(_shown(params.get("caption"), params)))

    def _sendDocument(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        document = {"file_id": secrets.token_hex(8), "file_unique_id": secrets.token_hex(4)}
        return self._new_message(params, {"document": document})

    def _editMessageMedia(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        media = params["media"]
        caption = _shown(media.get("caption"), media)
        return self._edit(params, {"text": None, **_photo(caption)}, always=True)

    def _editMessageText(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        return self._edit(params, {"text": _shown(params["text"], params)})

    def _editMessageCaption(self, params: dict[str, Any], files: Mapping[str, bytes]) -> Any:
        return self._edit(params, {"caption": _shown(params.get("caption"), params)})

    # --- internals --------------------------------------------------------------------

    def _new_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        self._next_message += 1
        message: dict[str, Any] = {
            "message_id": self._next_message,
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": BOT_USER,
            **content,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[chat_id, message["message_id"]] = message
        return message

    def _edit(
        self, params: dict[str, Any], content: dict[str, Any], *, always: bool = False
    ) -> dict[str, Any]:
        key = int(params["chat_id"]), int(params["message_id"])
        old = self.messages.get(key) or {
            "message_id": key[1],
            "date": int(time.time()),
            "chat": _chat(key[0]),
            "from": BOT_USER,
        }
        merged = {**old, **content, "reply_markup": params.get("reply_markup")}
        new = {k: v for k, v in merged.items() if v is not None}
        if not always and new == old:
            return error_body(400, "Bad Request: message is not modified: the same content")
        new["edit_date"] = int(time.time())
        self.messages[key] = new
        return new

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        # long polling, held short so that a stopping test never waits long
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while not self._updates and not self._closed and await self._changed(deadline):
            pass
        return self._updates[: int(params.get("limit") or 100)]

    def _failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    async def _changed(self, deadline: float) -> bool:
        """Wait until something happens (a call, an update) or the deadline; False at it."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, left)
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return True

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def _shown(text: str | None, params: Mapping[str, Any]) -> str | None:
    """What Telegram keeps of a text: the visible part (entities are left out here)."""
    if text is None or str(params.get("parse_mode", "")).upper() != "HTML":
        return text
    return visible_html(text)[0]


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "User"}
    return {"id": chat_id, "type": "supergroup", "title": "Team"}


def _photo(caption: str | None) -> dict[str, Any]:
    size = {"file_id": secrets.token_hex(8), "file_unique_id": secrets.token_hex(4)}
    photo: dict[str, Any] = {"photo": [{**size, "width": 1080, "height": 1350}]}
    if caption:
        photo["caption"] = caption
    return photo


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def error_body(
    code: int, description: str, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body
