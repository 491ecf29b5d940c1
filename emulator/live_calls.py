"""A call that ends "now" on a running portal, shaped as the generator shapes calls.

``add_call`` writes one ``voximplant.statistic.get`` row (a fresh ``CALL_ID``, the portal
clock's now as its end) and, when the number belongs to a CRM card, the call's timeline
activity first, as the portal does (the call row then carries ``CRM_ACTIVITY_ID``). Both go
through ``Portal.add``, so the outbound webhook and the offline queue see them.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any, Literal

from emulator.data import ACTIVITIES, CALLS, COMPANIES, CONTACTS, LEADS, USERS
from emulator.english import english
from emulator.gen_calls import CALL_KIND, IN, OUT, REASONS
from emulator.portal import Portal, Row

CallKind = Literal["missed", "incoming", "outgoing"]
KINDS: tuple[CallKind, ...] = ("missed", "incoming", "outgoing")
DEFAULT_DURATION = 95  # seconds of a connected call when none is given
_LINE = "reg1"
# Where a number is looked up, in order, and what each card is to a call and an activity.
_CARDS = ((CONTACTS, "CONTACT", "3"), (COMPANIES, "COMPANY", "4"), (LEADS, "LEAD", "1"))
_rng = random.SystemRandom()


def _digits(phone: str) -> str:
    """The national part of a Russian number: the last ten digits, whatever the format."""
    return "".join(ch for ch in phone if ch.isdigit())[-10:]


def find_card(portal: Portal, phone: str) -> tuple[str, str, Row] | None:
    """(CRM_ENTITY_TYPE, OWNER_TYPE_ID, row) of the first card holding ``phone``, if any."""
    wanted = _digits(phone)
    if len(wanted) < 10:
        return None
    for table, entity, owner_type in _CARDS:
        for row in portal.rows(table):
            for item in row.get("PHONE") or ():
                if isinstance(item, dict) and _digits(str(item.get("VALUE", ""))) == wanted:
                    return entity, owner_type, row
    return None


def _cost(kind: CallKind, duration: int) -> str:
    minutes = (duration + 59) // 60 if kind == "outgoing" else 0
    cents = minutes * 150  # 1.50 a started minute on outgoing calls, as the generator bills
    return f"{cents // 100}.{cents % 100:02d}00"


def add_call(
    portal: Portal,
    phone: str,
    user_id: int | None,
    kind: CallKind,
    duration: int | None = None,
) -> Row:
    """Add a call that ends now; returns its statistic row (as stored).

    ``user_id`` None: nobody took it (only for "missed"). A connected call lasts
    ``duration`` seconds (default 95); a missed one lasts 0.
    """
    if kind not in KINDS:
        msg = f"kind must be one of {', '.join(KINDS)}, not {kind!r}"
        raise ValueError(msg)
    if not phone.strip():
        msg = "a call needs the client's phone number"
        raise ValueError(msg)
    if user_id is None and kind != "missed":
        msg = f"an {kind} call needs the employee's user_id"
        raise ValueError(msg)
    if user_id is not None and portal.get(USERS, user_id) is None:
        msg = f"the portal has no user {user_id}"
        raise LookupError(msg)
    missed = kind == "missed"
    seconds = 0 if missed else max(1, int(duration if duration is not None else DEFAULT_DURATION))
    end = portal.local_now().replace(microsecond=0)
    start = end - timedelta(seconds=seconds)
    ts = int(start.timestamp())
    code = "304" if missed else "200"
    call_type = OUT if kind == "outgoing" else IN
    call_id = f"{_rng.getrandbits(64):016X}.{ts}.{_rng.getrandbits(24)}"
    sid = "" if user_id is None else str(user_id)
    card = find_card(portal, phone)
    activity_id: str | None = None
    if card is not None:
        activity_id = str(_add_activity(portal, card, kind, sid, start, end, call_id))
    recorded = not missed and seconds > 5
    ids = portal.ids(CALLS)
    record_id = (ids[-1] if ids else 0) + 1
    row: dict[str, Any] = {
        "ID": str(record_id),
        "CALL_ID": call_id,
        "CALL_CATEGORY": "external",
        "PORTAL_USER_ID": sid,
        "PORTAL_NUMBER": _LINE,
        "PHONE_NUMBER": phone,
        "CALL_TYPE": call_type,
        "CALL_DURATION": str(seconds),
        "CALL_START_DATE": portal.iso(start),
        "CALL_FAILED_CODE": code,
        "CALL_FAILED_REASON": REASONS[code],
        "CRM_ENTITY_TYPE": None if card is None else card[0],
        "CRM_ENTITY_ID": None if card is None else card[2]["ID"],
        "CRM_ACTIVITY_ID": activity_id,
        "COST": _cost(kind, seconds),
        "COST_CURRENCY": "RUR",
        "CALL_VOTE": None,
        "RECORD_FILE_ID": 100_000 + record_id if recorded else None,
        "RECORD_DURATION": str(seconds) if recorded else None,
        "COMMENT": None,
    }
    portal.add(CALLS, row)
    stored = portal.get(CALLS, record_id)
    assert stored is not None
    return stored


def _add_activity(  # noqa: PLR0917  (one call site, every argument named there)
    portal: Portal,
    card: tuple[str, str, Row],
    kind: CallKind,
    sid: str,
    start: Any,
    end: Any,
    call_id: str,
) -> int:
    _, owner_type, row = card
    missed = kind == "missed"
    responsible = sid or str(row.get("ASSIGNED_BY_ID") or "")
    begun, ended = portal.iso(start), portal.iso(end)
    subject = {
        "missed": "Пропущенный звонок",
        "incoming": "Входящий звонок",
        "outgoing": "Исходящий звонок",
    }[kind]
    if portal.data.language == "en":
        subject = english(subject)
    return portal.add(
        ACTIVITIES,
        {
            "OWNER_ID": row["ID"],
            "OWNER_TYPE_ID": owner_type,
            "TYPE_ID": CALL_KIND[0],
            "PROVIDER_ID": CALL_KIND[1],
            "PROVIDER_TYPE_ID": CALL_KIND[2],
            "DIRECTION": "2" if kind == "outgoing" else "1",
            "SUBJECT": subject,
            "COMPLETED": "N" if missed else "Y",
            "STATUS": "1" if missed else "2",
            "RESPONSIBLE_ID": responsible,
            "AUTHOR_ID": responsible,
            "PRIORITY": "2",
            "START_TIME": begun,
            "END_TIME": ended,
            "DEADLINE": begun,
            "CREATED": ended,
            "LAST_UPDATED": ended,
            "ORIGIN_ID": "VI_" + call_id,
            "SETTINGS": {"MISSED_CALL": True} if missed else [],
            "DESCRIPTION": "",
        },
    )
