"""``crm.{deal,lead,company,contact,activity}.{add,update,delete}``: writes over REST.

Enough of the portal's write side that a change made through the REST API fires its events
(the outbound webhook, the offline queue) like any other, and that an application's write
with an ``auth_connector`` stays out of that connector's own queue. ``add`` answers the new
id, ``update`` and ``delete`` ``true``; an unknown id: 400 "Not found".
"""

from __future__ import annotations

from typing import Any

from emulator.data import ACTIVITIES, COMPANIES, CONTACTS, DEALS, LEADS, MODIFIED_KEY
from emulator.phpquery import php_intval
from emulator.srv_core import ApiError, CallContext, Handler, MethodResult, MethodSpec
from emulator.srv_lists import param

_TABLES = {
    "crm.deal": DEALS,
    "crm.lead": LEADS,
    "crm.company": COMPANIES,
    "crm.contact": CONTACTS,
    "crm.activity": ACTIVITIES,
}
_READ_ONLY = frozenset(["ID", "DATE_CREATE", "CREATED"])


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    fields = param(params, "fields")
    if not isinstance(fields, dict) or not fields:
        raise ApiError(400, "", "Parameter 'fields' must be a non-empty object.")
    return {str(k).upper(): v for k, v in fields.items() if str(k).upper() not in _READ_ONLY}


def _record_id(ctx: CallContext, table: str, params: dict[str, Any]) -> int:
    record_id = php_intval(param(params, "id"))
    if record_id <= 0:
        raise ApiError(400, "", "ID is not defined or invalid.")
    if ctx.portal.get(table, record_id) is None:
        raise ApiError(400, "", "Not found")
    return record_id


def _writers(table: str) -> dict[str, Handler]:
    def add(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        fields = _fields(params)
        now = ctx.portal.iso()
        created = "CREATED" if table == ACTIVITIES else "DATE_CREATE"
        row = {created: now, **fields}
        modified = MODIFIED_KEY[table]
        if modified is not None:
            row[modified] = now
        return MethodResult(ctx.portal.add(table, row), rows=1)

    def update(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        record_id = _record_id(ctx, table, params)
        ctx.portal.update(table, record_id, **_fields(params))
        return MethodResult(True, rows=1)

    def delete(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        ctx.portal.delete(table, _record_id(ctx, table, params))
        return MethodResult(True, rows=1)

    return {"add": add, "update": update, "delete": delete}


WRITE_METHODS: dict[str, MethodSpec] = {
    f"{prefix}.{verb}": MethodSpec("crm", handler)
    for prefix, table in _TABLES.items()
    for verb, handler in _writers(table).items()
}
