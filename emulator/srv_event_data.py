"""What a portal event says: its name for a change, its ``data`` as the portal's PHP array,
and that array flattened the way ``http_build_query`` writes a form body.

CRM tables send ``data[FIELDS][ID]``; tasks ``FIELDS_BEFORE`` / ``FIELDS_AFTER`` as the task
events do (the side that does not exist is the string ``undefined``); a new call statistic
row sends ``ONVOXIMPLANTCALLEND`` with the call's twelve fields; a new user ``ONUSERADD`` with
the user's fields at the top of ``data``. Other tables and kinds send nothing, as on the
portal. The outbound webhook (``srv_events``) and the offline queue (``srv_offline``) share it.
"""

from __future__ import annotations

from typing import Any

from emulator.data import ACTIVITIES, CALLS, COMPANIES, CONTACTS, DEALS, LEADS, TASKS, USERS
from emulator.portal import Row

Pairs = list[tuple[str, str]]

_CRM = {
    COMPANIES: "COMPANY",
    CONTACTS: "CONTACT",
    DEALS: "DEAL",
    LEADS: "LEAD",
    ACTIVITIES: "ACTIVITY",
}
_KINDS = {"add": "ADD", "update": "UPDATE", "delete": "DELETE"}
CALL_END_FIELDS = (
    "CALL_ID",
    "CALL_TYPE",
    "PHONE_NUMBER",
    "PORTAL_NUMBER",
    "PORTAL_USER_ID",
    "CALL_DURATION",
    "CALL_START_DATE",
    "COST",
    "COST_CURRENCY",
    "CALL_FAILED_CODE",
    "CALL_FAILED_REASON",
    "CRM_ACTIVITY_ID",
)
USER_ADD_FIELDS = (
    "ID",
    "ACTIVE",
    "EMAIL",
    "NAME",
    "LAST_NAME",
    "PERSONAL_GENDER",
    "PERSONAL_BIRTHDAY",
)
# Every event the sender can send, in a fixed order: its place is its ``event_handler_id``.
EVENT_NAMES = (
    *(f"ONCRM{entity}{kind}" for entity in _CRM.values() for kind in _KINDS.values()),
    *(f"ONTASK{kind}" for kind in _KINDS.values()),
    "ONVOXIMPLANTCALLEND",
    "ONUSERADD",
)
HANDLER_IDS = {name: index for index, name in enumerate(EVENT_NAMES, start=1)}


def event_name(table: str, kind: str) -> str | None:
    """The event a change fires on the portal (None: the portal sends nothing for it)."""
    if table in _CRM:
        return f"ONCRM{_CRM[table]}{_KINDS[kind]}"
    if table == TASKS:
        return f"ONTASK{_KINDS[kind]}"
    if table == CALLS and kind == "add":
        return "ONVOXIMPLANTCALLEND"
    if table == USERS and kind == "add":
        return "ONUSERADD"
    return None


def _text(value: Any) -> str:
    """A value as PHP's ``http_build_query`` writes it (null: empty, bool: 1/0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def event_payload(table: str, kind: str, record_id: int, row: Row | None) -> dict[str, Any]:
    """The ``data`` of the event a change fires (see ``event_name``), as the portal's PHP
    array: what the offline queue keeps as ``EVENT_DATA`` and the webhook flattens."""
    if table == TASKS:
        ident = {"ID": record_id}
        return {
            "FIELDS_BEFORE": "undefined" if kind == "add" else ident,
            "FIELDS_AFTER": "undefined" if kind == "delete" else ident,
            "IS_ACCESSIBLE_BEFORE": "N" if kind == "add" else "undefined",
            "IS_ACCESSIBLE_AFTER": "N" if kind == "delete" else "undefined",
        }
    if table == CALLS:
        source = row or {}
        return {name: _text(source.get(name)) for name in CALL_END_FIELDS}
    if table == USERS:
        source = dict(row or {"ID": str(record_id)})
        if isinstance(source.get("ACTIVE"), bool):  # user.get says true, CUser's fields "Y"
            source["ACTIVE"] = "Y" if source["ACTIVE"] else "N"
        data: dict[str, Any] = {name: _text(source.get(name)) for name in USER_ADD_FIELDS}
        departments = source.get("UF_DEPARTMENT")
        if isinstance(departments, list):
            data["UF_DEPARTMENT"] = [_text(d) for d in departments]
        return data
    return {"FIELDS": {"ID": record_id}}


def flatten(prefix: str, value: Any) -> Pairs:
    """``http_build_query`` of one nested value under ``prefix`` (``data[FIELDS][ID]=42``)."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in flatten(f"{prefix}[{k}]", v)]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in flatten(f"{prefix}[{i}]", v)]
    return [(prefix, _text(value))]


def event_data(table: str, kind: str, record_id: int, row: Row | None) -> Pairs:
    """The ``data[...]`` pairs of the event a change fires."""
    return flatten("data", event_payload(table, kind, record_id, row))
