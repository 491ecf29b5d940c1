"""Portal events decoded into typed changes: which record of which table changed, and how.

Two ways in carry the same events (reference §7): the outbound webhook (or an app's
``event.bind``) POSTs a form body with PHP-style keys, and the offline queue hands out
``EVENT_NAME`` and ``EVENT_DATA``. Both end here as ``Change`` values, and one apply path
(``crm.sync.apply``) reads each changed record back by id: an event is a hint, the portal is
the truth. Bitrix24 field names stop here: past this module a change names our tables.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "Change",
    "EventError",
    "PortalEvent",
    "decode",
    "decode_offline",
    "parse_form",
    "token_matches",
]


class EventError(ValueError):
    """A body that is not a portal event at all (malformed): the listener answers 400."""


@dataclass(frozen=True)
class Change:
    """One record to read back (``deleted`` False) or to drop (True).

    ``entity`` is the sync's name of the table (companies, contacts, deals, leads,
    activities, tasks, calls, users); ``key`` the record's id as text, for calls the
    telephony CALL_ID (the event does not carry the statistic row's id).
    """

    entity: str
    key: str
    deleted: bool = False


@dataclass(frozen=True)
class PortalEvent:
    """A decoded body: the event's name (upper case), its change (None: not ours), the token."""

    name: str
    change: Change | None
    application_token: str


_CRM = {
    "COMPANY": "companies",
    "CONTACT": "contacts",
    "DEAL": "deals",
    "LEAD": "leads",
    "ACTIVITY": "activities",
}
_KINDS = ("ADD", "UPDATE", "DELETE")
# Field blocks that carry a record's id, in the order we look: CRM events send FIELDS, task
# events FIELDS_AFTER (add, update) and FIELDS_BEFORE (update, delete).
_ID_BLOCKS = ("FIELDS", "FIELDS_AFTER", "FIELDS_BEFORE")
_MAX_KEY_DEPTH = 6


def _table_and_kind(name: str) -> tuple[str, str] | None:
    for kind in _KINDS:
        if not name.endswith(kind):
            continue
        stem = name[: -len(kind)]
        if stem.startswith("ONCRM") and stem[5:] in _CRM:
            return _CRM[stem[5:]], kind
        if stem == "ONTASK":
            return "tasks", kind
        if stem == "ONUSER" and kind != "DELETE":
            return "users", kind
    return None


def _record_id(data: Mapping[str, Any]) -> str | None:
    for block in _ID_BLOCKS:
        fields = data.get(block)
        if isinstance(fields, Mapping):
            value = fields.get("ID", fields.get("id"))
            if value is not None and str(value).strip().isdigit():
                return str(int(str(value).strip()))
    # ONUSERADD sends the user's fields at the top of data (data[ID]).
    value = data.get("ID")
    if value is not None and str(value).strip().isdigit():
        return str(int(str(value).strip()))
    return None


def decode_offline(event_name: str, data: Any) -> Change | None:
    """The change one event stands for; None for events we do not follow or cannot read."""
    name = str(event_name).strip().upper()
    if not isinstance(data, Mapping):
        return None
    if name == "ONVOXIMPLANTCALLEND":
        call_id = str(data.get("CALL_ID") or "").strip()
        return Change("calls", call_id) if call_id else None
    found = _table_and_kind(name)
    if found is None:
        return None
    record = _record_id(data)
    if record is None:
        return None
    entity, kind = found
    return Change(entity, record, deleted=kind == "DELETE")


def _php_path(key: str) -> list[str] | None:
    """``data[FIELDS][ID]`` -> ["data", "FIELDS", "ID"]; None when the brackets are broken."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key] if key else None
    parts = [head]
    rest = "[" + rest
    while rest:
        if not rest.startswith("[") or "]" not in rest:
            return None
        inner, _, rest = rest[1:].partition("]")
        if "[" in inner:
            return None
        parts.append(inner)
    if not head or len(parts) > _MAX_KEY_DEPTH:
        return None
    return parts


def parse_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """PHP's reading of a form body: bracketed keys become nested dicts (``[]`` appends)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        path = _php_path(key)
        if path is None:
            msg = f"a malformed field name in the event body: {key[:60]!r}"
            raise EventError(msg)
        node: dict[str, Any] = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = path[-1]
        if last == "":
            last = str(len(node))
        node[last] = value
    return out


def decode(body: bytes | str) -> PortalEvent:
    """A POSTed event body; ``EventError`` when it is not one."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        msg = "the event body is not form-encoded"
        raise EventError(msg) from None
    form = parse_form(pairs)
    name = form.get("event")
    if not isinstance(name, str) or not name.strip():
        msg = "the event body has no 'event' field"
        raise EventError(msg)
    auth = form.get("auth")
    token = auth.get("application_token", "") if isinstance(auth, dict) else ""
    return PortalEvent(
        name=name.strip().upper(),
        change=decode_offline(name, form.get("data")),
        application_token=token if isinstance(token, str) else "",
    )


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token never matches."""
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
