"""Portal event bodies as the portal sends them, decoded into changes."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from crm.events import Change, EventError, decode, decode_offline, parse_form, token_matches


def body(event: str, **fields: str) -> str:
    pairs = [("event", event), ("event_handler_id", "185"), ("ts", "1766047124")]
    pairs += list(fields.items())
    pairs += [
        ("auth[domain]", "x.bitrix24.ru"),
        ("auth[client_endpoint]", "https://x.bitrix24.ru/rest/"),
        ("auth[member_id]", "abc"),
        ("auth[application_token]", "s3cret"),
    ]
    return urlencode(pairs)


@pytest.mark.parametrize(
    ("event", "fields", "change"),
    [
        ("ONCRMCOMPANYDELETE", {"data[FIELDS][ID]": "42"}, Change("companies", "42", True)),
        ("onCrmDealUpdate", {"data[FIELDS][ID]": "7405"}, Change("deals", "7405")),
        ("ONCRMCONTACTADD", {"data[FIELDS][ID]": "3"}, Change("contacts", "3")),
        ("ONCRMLEADUPDATE", {"data[FIELDS][ID]": "9"}, Change("leads", "9")),
        ("OnCrmActivityDelete", {"data[FIELDS][ID]": "11"}, Change("activities", "11", True)),
        ("ONTASKADD", {"data[FIELDS_AFTER][ID]": "5"}, Change("tasks", "5")),
        (
            "ONTASKUPDATE",
            {"data[FIELDS_BEFORE][ID]": "5", "data[FIELDS_AFTER][ID]": "5"},
            Change("tasks", "5"),
        ),
        ("OnTaskDelete", {"data[FIELDS_BEFORE][ID]": "5"}, Change("tasks", "5", True)),
        ("ONUSERADD", {"data[ID]": "77"}, Change("users", "77")),
        (
            "ONVOXIMPLANTCALLEND",
            {"data[CALL_ID]": "externalCall.1", "data[CALL_FAILED_CODE]": "304"},
            Change("calls", "externalCall.1"),
        ),
    ],
)
def test_every_followed_event(event: str, fields: dict[str, str], change: Change) -> None:
    decoded = decode(body(event, **fields))
    assert decoded.change == change
    assert decoded.name == event.upper()
    assert decoded.application_token == "s3cret"


def test_unknown_events_and_missing_ids_are_not_changes() -> None:
    assert decode(body("ONAPPINSTALL")).change is None
    assert decode(body("ONCRMDEALUPDATE", **{"data[FIELDS][ID]": "x"})).change is None
    assert decode(body("ONUSERDELETE", **{"data[ID]": "3"})).change is None
    assert decode_offline("ONCRMDEALADD", {"FIELDS": {"ID": 12}}) == Change("deals", "12")
    assert decode_offline("ONCRMDEALADD", "not a dict") is None


@pytest.mark.parametrize(
    "raw", ["", "ts=1", "event=", "%%%=1&event=ONCRMDEALADD&x", "event=X&data[FIELDS[ID]=1"]
)
def test_malformed_bodies(raw: str) -> None:
    with pytest.raises(EventError):
        decode(raw)


def test_php_keys_nest_and_append() -> None:
    form = parse_form([("a[b][c]", "1"), ("a[b][d]", "2"), ("l[]", "x"), ("l[]", "y")])
    assert form == {"a": {"b": {"c": "1", "d": "2"}}, "l": {"0": "x", "1": "y"}}


def test_token_compare() -> None:
    assert token_matches("abc", "abc")
    assert not token_matches("abd", "abc")
    assert not token_matches("", "")
    assert not token_matches("абв", "abc")
