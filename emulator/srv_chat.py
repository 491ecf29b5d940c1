"""Chat delivery methods (§8): messages, notifications and files, recorded in ``ChatState``.

Every call is recorded as received (``chat.calls``) before it is checked, so a test sees what
the client sent even when the portal refused it. Bot methods are in ``srv_bots``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from emulator.chat import ChatFile, ChatState
from emulator.phpquery import php_intval
from emulator.srv_core import ApiError, CallContext, Handler, MethodResult
from emulator.srv_lists import as_mapping, param


def recorded(handler: Handler) -> Handler:
    def wrapper(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        ctx.portal.chat.record(ctx.method, params, ctx.portal.now())
        return handler(ctx, params)

    return wrapper


def structured(value: Any) -> Any:
    """ATTACH / KEYBOARD arrive as objects or as JSON text."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def dialog_param(params: dict[str, Any]) -> str:
    dialog = param(params, "DIALOG_ID")
    if dialog in (None, ""):
        user = param(params, "USER_ID")
        dialog = "" if user in (None, "") else str(php_intval(user))
    if not dialog:
        raise ApiError(400, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
    return str(dialog)


def message_parts(params: dict[str, Any]) -> tuple[str, Any, Any]:
    text = str(param(params, "MESSAGE") or "").strip()
    attach = structured(param(params, "ATTACH"))
    if not text and not attach:
        raise ApiError(400, "MESSAGE_EMPTY", "Message can't be empty")
    return text, attach, structured(param(params, "KEYBOARD"))


def _message_add(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    dialog = dialog_param(params)
    text, attach, keyboard = message_parts(params)
    message = ctx.portal.chat.post(
        dialog,
        text,
        author_id=ctx.settings.webhook_user,
        attach=attach,
        keyboard=keyboard,
        system=str(param(params, "SYSTEM", "N")).upper() == "Y",
    )
    return MethodResult(message.id)


def edit_message(chat: ChatState, params: dict[str, Any], author: int | None) -> MethodResult:
    message = chat.message(php_intval(param(params, "MESSAGE_ID")))
    if message is None or (author is not None and message.author_id != author):
        raise ApiError(400, "MESSAGE_ID_ERROR", "Message ID can't be empty")
    changes: dict[str, Any] = {}
    if param(params, "MESSAGE") is not None:
        changes["text"] = str(param(params, "MESSAGE"))
    if param(params, "ATTACH") is not None:
        changes["attach"] = structured(param(params, "ATTACH"))
    if param(params, "KEYBOARD") is not None:
        changes["keyboard"] = structured(param(params, "KEYBOARD"))
    chat.edit(message.id, **changes)
    return MethodResult(True)


def _message_update(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    return edit_message(ctx.portal.chat, params, ctx.settings.webhook_user)


def _notify(kind: str) -> Handler:
    def handler(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        user_id = php_intval(param(params, "USER_ID"))
        if user_id <= 0:
            raise ApiError(400, "USER_ID_EMPTY", "User ID can't be empty")
        text = str(param(params, "MESSAGE") or "").strip()
        attach = structured(param(params, "ATTACH"))
        if not text and not attach:
            raise ApiError(400, "MESSAGE_EMPTY", "Message can't be empty")
        tag = param(params, "TAG") or param(params, "SUB_TAG")
        if tag and not param(params, "CLIENT_ID"):
            raise ApiError(403, "ACCESS_DENIED", "Access denied! Client ID not specified")
        note = ctx.portal.chat.notify(
            user_id, text, kind=kind, tag=str(tag) if tag else None, attach=attach
        )
        return MethodResult(note.id)

    return handler


def chat_of(chat: ChatState, params: dict[str, Any]) -> int:
    chat_id = php_intval(param(params, "CHAT_ID"))
    if chat_id > 0:
        return chat_id
    dialog = param(params, "DIALOG_ID")
    if dialog in (None, ""):
        raise ApiError(400, "CHAT_ID_EMPTY", "Chat ID can't be empty")
    return chat.chat_id_of(str(dialog))


def _folder_get(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    return MethodResult({"ID": chat.folder_of(chat_of(chat, params))})


def disk_record(chat: ChatState, stored: ChatFile) -> dict[str, Any]:
    """A Disk object as ``disk.folder.uploadfile`` returns it."""
    stamp = stored.at.isoformat(timespec="seconds")
    url = f"{chat.base_url}/_emulator/files/{stored.id}"
    return {
        "ID": stored.id,
        "NAME": stored.name,
        "CODE": None,
        "STORAGE_ID": "1",
        "TYPE": "file",
        "PARENT_ID": str(stored.folder_id or 0),
        "DELETED_TYPE": 0,
        "GLOBAL_CONTENT_VERSION": 1,
        "FILE_ID": stored.id + 100000,
        "SIZE": str(stored.size),
        "CREATE_TIME": stamp,
        "UPDATE_TIME": stamp,
        "DELETE_TIME": None,
        "CREATED_BY": "1",
        "UPDATED_BY": "1",
        "DELETED_BY": None,
        "DOWNLOAD_URL": url,
        "DETAIL_URL": url,
    }


def decode_content(raw: Any) -> bytes:
    try:
        return base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "ERROR_ARGUMENT", "fileContent is not valid base64") from None


def _unique(chat: ChatState, folder: int, name: str) -> str:
    taken = {f.name for f in chat.files if f.folder_id == folder}
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    number, candidate = 0, name
    while candidate in taken:
        number += 1
        candidate = f"{stem} ({number})" + (f".{ext}" if dot else "")
    return candidate


def _upload(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    folder = php_intval(param(params, "id"))
    if folder <= 0:
        raise ApiError(400, "ERROR_ARGUMENT", "Could not find folder id")
    content = param(params, "fileContent")
    if content is None:
        token = f"disk|{folder}"
        return MethodResult(
            {"field": "file", "uploadUrl": f"{chat.base_url}/rest/upload.json?token={token}"}
        )
    if not isinstance(content, list) or len(content) < 2:
        raise ApiError(400, "ERROR_ARGUMENT", "fileContent must be [name, base64]")
    name = str(as_mapping(param(params, "data")).get("NAME") or content[0])
    if str(param(params, "generateUniqueName", "")).lower() in ("1", "y", "true"):
        name = _unique(chat, folder, name)
    stored = chat.store_file(name, decode_content(content[1]), folder)
    return MethodResult(disk_record(chat, stored))


def file_view(chat: ChatState, stored: ChatFile) -> dict[str, Any]:
    """A chat file as ``im.disk.file.commit`` / ``im.v2.File.upload`` describe it."""
    url = f"{chat.base_url}/_emulator/files/{stored.id}"
    return {
        "id": stored.id,
        "chatId": stored.chat_id,
        "name": stored.name,
        "extension": stored.name.rpartition(".")[2] if "." in stored.name else "",
        "size": stored.size,
        "type": "image" if stored.name.lower().endswith((".png", ".jpg", ".jpeg")) else "file",
        "status": "done",
        "urlShow": url,
        "urlDownload": url,
    }


def _commit(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    chat = ctx.portal.chat
    chat_id = chat_of(chat, params)
    raw = param(params, "FILE_ID")
    if raw in (None, ""):
        raw = param(params, "UPLOAD_ID")
    ids = [php_intval(v) for v in (raw if isinstance(raw, list) else [raw])]
    files = [chat.file(file_id) for file_id in ids]
    found = [stored for stored in files if stored is not None]
    if not ids or len(found) != len(ids):
        raise ApiError(400, "FILES_ERROR", "Files not found")
    dialog = param(params, "DIALOG_ID") or chat.dialog_of(chat_id)
    message = chat.post(
        str(dialog),
        str(param(params, "MESSAGE") or ""),
        author_id=ctx.settings.webhook_user,
        file_ids=[stored.id for stored in found],
    )
    for stored in found:
        stored.chat_id, stored.message_id = message.chat_id, message.id
    return MethodResult(
        {
            "FILES": {f"upload{s.id}": file_view(chat, s) for s in found},
            "DISK_ID": [str(s.id) for s in found],
            "FILE_MODELS": {f"upload{s.id}": disk_record(chat, s) for s in found},
            "MESSAGE_ID": message.id,
        }
    )


def upload_to_chat(
    ctx: CallContext, params: dict[str, Any], author: int, bot_id: int | None = None
) -> MethodResult:
    """``im.v2.File.upload`` / ``imbot.v2.File.upload``: store, then post in one call."""
    chat = ctx.portal.chat
    dialog = str(param(params, "dialogId") or "")
    if not dialog:
        raise ApiError(400, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
    fields = as_mapping(param(params, "fields"))
    name = str(fields.get("name") or "")
    if not name or fields.get("content") in (None, ""):
        raise ApiError(400, "FILE_EMPTY", "File name and content are required")
    chat_id = chat.chat_id_of(dialog)
    stored = chat.store_file(name, decode_content(fields["content"]), chat.folder_of(chat_id))
    message = chat.post(
        dialog,
        str(fields.get("message") or ""),
        author_id=author,
        bot_id=bot_id,
        file_ids=[stored.id],
    )
    stored.chat_id, stored.message_id = message.chat_id, message.id
    return MethodResult(
        {
            "file": file_view(chat, stored),
            "messageId": message.id,
            "chatId": message.chat_id,
            "dialogId": dialog,
        }
    )


def _v2_upload(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    return upload_to_chat(ctx, params, ctx.settings.webhook_user)


CHAT_METHODS: dict[str, tuple[str, Handler]] = {
    "im.message.add": ("im", _message_add),
    "im.message.update": ("im", _message_update),
    "im.notify.personal.add": ("im", _notify("personal")),
    "im.notify.system.add": ("im", _notify("system")),
    "im.notify": ("im", _notify("personal")),
    "im.disk.folder.get": ("im", _folder_get),
    "im.disk.file.commit": ("im", _commit),
    "disk.folder.uploadfile": ("disk", _upload),
}
V2_CHAT_METHODS: dict[str, tuple[str, Handler]] = {"im.v2.file.upload": ("im", _v2_upload)}
