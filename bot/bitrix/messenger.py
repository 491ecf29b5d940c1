"""Posts into Bitrix24 dialogs: a report's chart as an uploaded image with its BB-code caption.

A chart is private data, so it goes into the chat as a file (reference §8.5), never as an
image link. The upload routes, best first:

1. ``imbot.v2.File.upload``: one call, posted by the bot (only with an imbot.v2 bot);
2. ``im.v2.File.upload``: one call, posted by the webhook's user;
3. ``im.disk.folder.get`` + ``disk.folder.uploadfile`` + ``im.disk.file.commit``: the
   legacy three calls, for portals without ``im.v2``.

A route the portal does not have (``ERROR_METHOD_NOT_FOUND``) or the webhook may not use
(``insufficient_scope``) is dropped for the messenger's lifetime; any other refusal only
moves this one post on to the next route. When no route works the caption goes alone with
the figures as a table in an ``ATTACH`` block.

Texts go as the bot when there is one (``imbot.v2.Chat.Message.send`` or
``imbot.message.add``), else as the webhook's user (``im.message.add``). A bot that is not
a member of a dialog is refused there; the post then goes as the webhook's user, without
buttons (only a bot's commands can answer them).

The messenger takes finished reports and never renders: a job that posts one report to
Telegram and to Bitrix24 draws its chart once.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.bitrix.attach import report_attach, reports_attach
from bot.bitrix.values import as_int, member
from crm.client import BitrixClient
from crm.errors import AccessDenied, BitrixError, MethodNotFound, ScopeError
from reports.build import Report
from reports.morning import Post

log = logging.getLogger(__name__)

BOT_V2_UPLOAD = "imbot.v2.File.upload"
IM_V2_UPLOAD = "im.v2.File.upload"
DISK_UPLOAD = "im.disk.file.commit"  # the last of the three legacy calls names the route
PNG = "png"
XLSX = "xlsx"


@dataclass(frozen=True)
class BotIdentity:
    """A registered chat bot: what every call made as it must carry."""

    id: int
    api: Literal[1, 2]
    token: str = ""  # imbot.v2 botToken
    client_id: str = ""  # legacy imbot CLIENT_ID (over a webhook)

    def params(self) -> dict[str, Any]:
        if self.api == 2:
            return {"botId": self.id, "botToken": self.token}
        return {"BOT_ID": self.id, "CLIENT_ID": self.client_id}


@dataclass(frozen=True)
class Sent:
    """What one post produced on the portal."""

    message_ids: tuple[int, ...] = ()
    file_ids: tuple[int, ...] = ()
    route: str | None = None  # the upload route that worked; None: text (and table) only

    @property
    def uploaded(self) -> bool:
        return bool(self.file_ids)

    def __add__(self, other: Sent) -> Sent:
        return Sent(
            self.message_ids + other.message_ids,
            self.file_ids + other.file_ids,
            self.route or other.route,
        )


class BitrixMessenger:
    """Sends texts, reports, posts and files to Bitrix24 dialogs through one webhook."""

    def __init__(
        self,
        client: BitrixClient,
        *,
        bot: BotIdentity | None = None,
        personal_via: Literal["dialog", "notify"] = "dialog",
        default_client_id: str = "crm_pulse",
    ) -> None:
        self._client = client
        self.bot = bot  # set by the bot front end once registered
        self._personal_via = personal_via
        self.default_client_id = default_client_id
        self._missing: set[str] = set()  # upload routes this portal or webhook cannot use

    # -- reports and posts -------------------------------------------------------------------

    async def send_report(
        self,
        dialog_id: str,
        report: Report,
        *,
        keyboard: Mapping[str, Any] | None = None,
    ) -> Sent:
        """The chart as an image and the caption under it; without an image, the caption
        with the figures as a table."""
        if report.png is not None:
            file_name = f"{report.filename}.{PNG}"
            if keyboard is None:
                sent = await self.send_file(
                    dialog_id, file_name, report.png, message=report.caption_bb
                )
                if sent.uploaded:
                    return sent
            else:
                # The caption carries the buttons: a file message cannot have a keyboard.
                sent = await self.send_file(dialog_id, file_name, report.png)
                if sent.uploaded:
                    ids = await self.send_text(dialog_id, report.caption_bb, keyboard=keyboard)
                    return sent + Sent(ids)
        attach = report_attach(report)
        ids = await self.send_text(dialog_id, report.caption_bb, attach=attach, keyboard=keyboard)
        return Sent(ids)

    async def send_post(self, dialog_id: str, post: Post) -> Sent:
        """A scheduled post: each chart as an image, the summary under the first one; what
        has no image goes as tables in one more message."""
        sent = Sent()
        summary_sent = False
        without_image: list[Report] = []
        for report in post.reports:
            if report.png is None:
                without_image.append(report)
                continue
            message = None if summary_sent else post.caption_bb
            part = await self.send_file(
                dialog_id, f"{report.filename}.{PNG}", report.png, message=message
            )
            if part.uploaded:
                sent += part
                summary_sent = True
            else:
                without_image.append(report)
        if not without_image:
            return sent
        text = post.caption_bb
        if summary_sent:
            text = "\n".join(f"[b]{r.title}[/b]" for r in without_image)
        ids = await self.send_text(dialog_id, text, attach=reports_attach(without_image))
        return sent + Sent(ids)

    async def send(self, dialog_id: str, item: Report | Post | str) -> Sent:
        """Whatever a job has for a dialog: a report, a post, or a BB-code text."""
        if isinstance(item, Report):
            return await self.send_report(dialog_id, item)
        if isinstance(item, Post):
            return await self.send_post(dialog_id, item)
        return Sent(await self.send_text(dialog_id, item))

    # -- files ---------------------------------------------------------------------------------

    async def send_file(
        self, dialog_id: str, name: str, content: bytes, *, message: str | None = None
    ) -> Sent:
        """Upload a file into the dialog by the first route that works; ``Sent()`` if none."""
        encoded = base64.b64encode(content).decode("ascii")
        for route in self._routes():
            try:
                return await self._upload(route, dialog_id, name, encoded, message)
            except (MethodNotFound, ScopeError) as exc:
                self._missing.add(route)
                log.warning("Bitrix24: %s is not available (%s); not trying it again", route, exc)
            except BitrixError as exc:
                log.warning("Bitrix24: upload to %s by %s failed: %s", dialog_id, route, exc)
        return Sent()

    def _routes(self) -> list[str]:
        routes = [IM_V2_UPLOAD, DISK_UPLOAD]
        if self.bot is not None and self.bot.api == 2:
            routes.insert(0, BOT_V2_UPLOAD)
        return [r for r in routes if r not in self._missing]

    async def _upload(
        self, route: str, dialog_id: str, name: str, encoded: str, message: str | None
    ) -> Sent:
        if route == DISK_UPLOAD:
            return await self._upload_disk(dialog_id, name, encoded, message)
        fields: dict[str, Any] = {"name": name, "content": encoded}
        if message:
            fields["message"] = message
        params: dict[str, Any] = {"dialogId": dialog_id, "fields": fields}
        if route == BOT_V2_UPLOAD:
            assert self.bot is not None
            params = {**self.bot.params(), **params}
        result = await self._client.call(route, params)
        file_id = as_int(member(result, "file", "id"))
        message_id = as_int(member(result, "messageId"))
        return Sent(_ids(message_id), _ids(file_id), route)

    async def _upload_disk(
        self, dialog_id: str, name: str, encoded: str, message: str | None
    ) -> Sent:
        folder = await self._client.call("im.disk.folder.get", {"DIALOG_ID": dialog_id})
        folder_id = as_int(member(folder, "ID"))
        if folder_id is None:
            msg = f"im.disk.folder.get gave no folder for {dialog_id}"
            raise BitrixError(msg)
        stored = await self._client.call(
            "disk.folder.uploadfile",
            {
                "id": folder_id,
                "data": {"NAME": name},
                "fileContent": [name, encoded],
                "generateUniqueName": True,
            },
        )
        file_id = as_int(member(stored, "ID"))
        if file_id is None:
            msg = "disk.folder.uploadfile returned no file id"
            raise BitrixError(msg)
        commit: dict[str, Any] = {"DIALOG_ID": dialog_id, "FILE_ID": [file_id]}
        if message:
            commit["MESSAGE"] = message
        result = await self._client.call("im.disk.file.commit", commit)
        message_id = as_int(member(result, "MESSAGE_ID")) or as_int(member(result, "messageId"))
        return Sent(_ids(message_id), (file_id,), DISK_UPLOAD)

    # -- texts ---------------------------------------------------------------------------------

    async def send_text(
        self,
        dialog_id: str,
        text: str,
        *,
        attach: Mapping[str, Any] | None = None,
        keyboard: Mapping[str, Any] | None = None,
    ) -> tuple[int, ...]:
        """A BB-code message (with an attach and buttons); the new message's id."""
        if self.bot is not None:
            try:
                return _ids(_message_id(await self._bot_send(dialog_id, text, attach, keyboard)))
            except AccessDenied as exc:
                # Not a member of this chat: the post still goes, as the webhook's user.
                log.warning("Bitrix24: the bot may not write to %s (%s)", dialog_id, exc)
        params: dict[str, Any] = {"DIALOG_ID": dialog_id, "MESSAGE": text}
        if attach:
            params["ATTACH"] = attach
        result = await self._client.call("im.message.add", params)
        return _ids(_message_id(result))

    async def _bot_send(
        self,
        dialog_id: str,
        text: str,
        attach: Mapping[str, Any] | None,
        keyboard: Mapping[str, Any] | None,
    ) -> Any:
        assert self.bot is not None
        if self.bot.api == 2:
            fields: dict[str, Any] = {"message": text}
            if attach:
                fields["attach"] = attach
            if keyboard:
                fields["keyboard"] = keyboard
            params = {**self.bot.params(), "dialogId": dialog_id, "fields": fields}
            return await self._client.call("imbot.v2.Chat.Message.send", params)
        legacy: dict[str, Any] = {**self.bot.params(), "DIALOG_ID": dialog_id, "MESSAGE": text}
        if attach:
            legacy["ATTACH"] = attach
        if keyboard:
            legacy["KEYBOARD"] = keyboard
        return await self._client.call("imbot.message.add", legacy)

    # -- people --------------------------------------------------------------------------------

    async def send_personal(self, user_id: int, text: str) -> None:
        """A personal alert: a private message from the bot, else a notification."""
        if self._personal_via == "dialog" and self.bot is not None:
            try:
                await self._bot_send(str(user_id), text, None, None)
                return
            except (AccessDenied, ScopeError, MethodNotFound) as exc:
                log.warning("Bitrix24: no private message to user %s (%s)", user_id, exc)
        await self.notify(user_id, text)

    async def notify(self, user_id: int, text: str, *, tag: str | None = None) -> None:
        """``im.notify.personal.add``: a notification from the webhook's user (link codes)."""
        params: dict[str, Any] = {"USER_ID": user_id, "MESSAGE": text}
        if tag:
            # Over a webhook a TAG needs a CLIENT_ID; the same tag replaces the older one.
            params["TAG"] = tag
            client_id = self.bot.client_id if self.bot is not None else ""
            params["CLIENT_ID"] = client_id or self.default_client_id
        await self._client.call("im.notify.personal.add", params)


def _message_id(result: Any) -> int | None:
    """``im.message.add`` returns the id; imbot.v2 ``{"id": ...}`` (or ``messageId``)."""
    return as_int(result) or as_int(member(result, "id")) or as_int(member(result, "messageId"))


def _ids(value: int | None) -> tuple[int, ...]:
    return () if value is None else (value,)
