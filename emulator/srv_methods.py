"""Every REST method the emulator answers, by lower-case name, with the scope it needs.

Lists live in ``srv_lists``, chat and bot methods in ``srv_chat``; here are the small ones:
``server.time``, ``profile``, ``scope``, ``methods``, ``user.current``, ``*.get`` by id and a
minimal ``crm.*.fields``. ``methods_for(settings)`` builds the table one server uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.data import ACTIVITIES, COMPANIES, CONTACTS, DEALS, LEADS, TASKS, USERS
from emulator.phpquery import php_intval
from emulator.srv_bots import BOT_METHODS
from emulator.srv_bots_v2 import V2_BOT_METHODS
from emulator.srv_chat import CHAT_METHODS, V2_CHAT_METHODS, recorded
from emulator.srv_core import (
    ApiError,
    CallContext,
    Handler,
    MethodResult,
    MethodSpec,
    Settings,
)
from emulator.srv_lists import LIST_METHODS, param
from emulator.srv_writes import WRITE_METHODS

# Scope codes a full webhook of this project ticks (§1.3, §1.4).
ALL_SCOPES = frozenset(["crm", "telephony", "user", "department", "task", "im", "imbot", "disk"])
# A reduced user scope still grants the user methods.
SCOPE_ALIASES = {"user": frozenset(["user", "user_basic", "user_brief"])}
# Not allowed inside batch (§3): uploads.
NOT_BATCHABLE = frozenset(["disk.folder.uploadfile", "im.v2.file.upload", "imbot.v2.file.upload"])
_CRM_TABLES = {
    "crm.deal": DEALS,
    "crm.lead": LEADS,
    "crm.company": COMPANIES,
    "crm.contact": CONTACTS,
    "crm.activity": ACTIVITIES,
}
_READ_ONLY = frozenset(["ID", "DATE_CREATE", "DATE_MODIFY", "CREATED", "LAST_UPDATED"])


def allowed(settings: Settings, scope: str | None) -> bool:
    if scope is None or settings.scopes is None:
        return True
    return bool(SCOPE_ALIASES.get(scope, frozenset([scope])) & settings.scopes)


def _server_time(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    return MethodResult(ctx.portal.iso())


def _webhook_user(ctx: CallContext) -> dict[str, Any]:
    row = ctx.portal.get(USERS, ctx.settings.webhook_user)
    if row is None:
        raise ApiError(400, "", "User not found")
    return dict(row)


def _user_current(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    return MethodResult(_webhook_user(ctx))


def _profile(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    user = _webhook_user(ctx)
    offset = ctx.portal.local_now().utcoffset()
    return MethodResult(
        {
            "ID": user["ID"],
            "ADMIN": True,
            "NAME": user.get("NAME", ""),
            "LAST_NAME": user.get("LAST_NAME", ""),
            "PERSONAL_GENDER": user.get("PERSONAL_GENDER", ""),
            "TIME_ZONE": ctx.portal.data.timezone,
            "TIME_ZONE_OFFSET": int(offset.total_seconds()) if offset else 0,
        }
    )


def _scope(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    scopes = ctx.settings.scopes if ctx.settings.scopes is not None else ALL_SCOPES
    return MethodResult(sorted(scopes))


def _record_getter(table: str, key: str = "ID") -> Handler:
    def handler(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        record_id = php_intval(param(params, key))
        if record_id <= 0:
            raise ApiError(400, "", "ID is not defined or invalid.")
        row = ctx.portal.get(table, record_id)
        if row is None:
            raise ApiError(400, "", "Not found")
        return MethodResult(dict(row), rows=1)

    return handler


def _task_get(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    row = ctx.portal.get(TASKS, php_intval(param(params, "taskId")))
    if row is None:
        raise ApiError(400, "ERROR_CORE", "Task not found or not accessible")
    return MethodResult({"task": dict(row)}, rows=1)


def _field_type(name: str, value: Any) -> str:
    if name == "ID" or name.endswith("_ID") and isinstance(value, str) and value.isdigit():
        return "integer"
    if isinstance(value, list):
        return "crm_multifield"
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and "T" in value:
        return "datetime"
    if isinstance(value, str) and value in ("Y", "N"):
        return "char"
    return "string"


def _fields(table: str) -> Handler:
    def handler(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        rows = ctx.portal.rows(table)
        sample = rows[-1] if rows else {}
        result = {
            name: {
                "type": _field_type(name, sample.get(name)),
                "isRequired": name == "TITLE",
                "isReadOnly": name in _READ_ONLY,
                "isImmutable": False,
                "isMultiple": isinstance(sample.get(name), list),
                "isDynamic": name.startswith("UF_"),
                "title": name,
            }
            for name in sorted(ctx.portal.fields(table))
        }
        return MethodResult(result)

    return handler


def _company_userfields(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    name = ctx.portal.data.key_client_field
    if name not in ctx.portal.fields(COMPANIES):
        return MethodResult([])
    label = {"ru": "Ключевой клиент", "en": "Key client"}
    return MethodResult(
        [
            {
                "ID": "1",
                "ENTITY_ID": "CRM_COMPANY",
                "FIELD_NAME": name,
                "USER_TYPE_ID": "boolean",
                "MULTIPLE": "N",
                "MANDATORY": "N",
                "EDIT_FORM_LABEL": label,
                "LIST_COLUMN_LABEL": label,
            }
        ]
    )


def _basic(methods: Callable[[], list[str]]) -> dict[str, MethodSpec]:
    def listing(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        return MethodResult(methods())

    return {
        "server.time": MethodSpec(None, _server_time),
        "profile": MethodSpec(None, _profile),
        "scope": MethodSpec(None, _scope),
        "methods": MethodSpec(None, listing),
        "user.current": MethodSpec("user", _user_current),
    }


def methods_for(settings: Settings) -> dict[str, MethodSpec]:
    """The method table of one server: lower-case name -> spec (v2 chat methods if enabled)."""
    table: dict[str, MethodSpec] = {}
    table.update(_basic(lambda: sorted(n for n, s in table.items() if allowed(settings, s.scope))))
    for name, (scope, handler) in LIST_METHODS.items():
        table[name] = MethodSpec(scope, handler)
    chat = {**CHAT_METHODS, **BOT_METHODS}
    if settings.imbot_v2:
        chat.update({**V2_CHAT_METHODS, **V2_BOT_METHODS})
    for name, (scope, handler) in chat.items():
        table[name] = MethodSpec(scope, recorded(handler), batchable=name not in NOT_BATCHABLE)
    for prefix, crm_table in _CRM_TABLES.items():
        table[f"{prefix}.get"] = MethodSpec("crm", _record_getter(crm_table))
        table[f"{prefix}.fields"] = MethodSpec("crm", _fields(crm_table))
    table.update(WRITE_METHODS)
    table["tasks.task.get"] = MethodSpec("task", _task_get)
    table["crm.company.userfield.list"] = MethodSpec("crm", _company_userfields)
    return table
