"""Raw Bitrix24 rows (wire format of reference §5 and §10) to our column dicts."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import SQLModel

from crm.sync import mapping
from crm.sync.fields import MapContext, parse_day, parse_moment
from store.clients import DERIVED_COLUMNS
from store.models import (
    Activity,
    Call,
    Company,
    Contact,
    Deal,
    Department,
    DictionaryEntry,
    Lead,
    Pipeline,
    Task,
    User,
    UserDepartment,
)

CTX = MapContext(portal_tz=timezone(timedelta(hours=3)))
MSK = timezone(timedelta(hours=3))


def columns(model: type[SQLModel]) -> set[str]:
    """The columns the portal fills: all but those the store derives itself."""
    table = model.__table__  # type: ignore[attr-defined]
    return {column.name for column in table.columns} - DERIVED_COLUMNS.get(table.name, set())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


# --- primitives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 (963) 000-00-00", "79630000000"),
        ("79060000000", "79060000000"),
        ("8 963 000 00 00", "79630000000"),
        ("9630000000", "79630000000"),  # 10 digits: national number, prefixed with 7
        ("8005553535", "78005553535"),  # 10-digit toll-free: prefixed, not read as 7005...
        ("+1 (415) 555-0100", "14155550100"),
        ("", ""),
        (None, ""),
        ("anonymous", ""),
    ],
)
def test_normalize_phone(raw: str | None, expected: str) -> None:
    assert mapping.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-01T10:00:00+03:00", utc(2024, 3, 1, 7)),
        ("2024-03-01T10:00:00+00:00", utc(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00Z", utc(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00+0300", utc(2024, 3, 1, 7)),
        # Berlin around DST: the offset in the string decides, whatever the season.
        ("2024-03-31T01:30:00+01:00", utc(2024, 3, 31, 0, 30)),
        ("2024-03-31T03:30:00+02:00", utc(2024, 3, 31, 1, 30)),
        ("2024-10-27T02:30:00+02:00", utc(2024, 10, 27, 0, 30)),
        ("2024-10-27T02:30:00+01:00", utc(2024, 10, 27, 1, 30)),
        # Naive values (user fields, odd methods) are read in the portal's zone.
        ("2024-08-29 10:30:11", utc(2024, 8, 29, 7, 30, 11)),
        ("24.08.2023 13:19:39", utc(2023, 8, 24, 10, 19, 39)),
    ],
)
def test_parse_moment_gives_aware_utc(raw: str, expected: datetime) -> None:
    moment = parse_moment(raw, MSK)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


def test_parse_moment_with_a_dst_zone_for_naive_values() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_moment("2024-07-01 12:00:00", berlin) == utc(2024, 7, 1, 10)
    assert parse_moment("2024-01-01 12:00:00", berlin) == utc(2024, 1, 1, 11)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-09-09T02:00:00+02:00", date(2024, 9, 9)),
        ("2024-09-09T03:00:00+03:00", date(2024, 9, 9)),
        # Midnight east of UTC would be the day before in UTC: the string's day is kept.
        ("2024-09-09T00:00:00+03:00", date(2024, 9, 9)),
        ("2024-03-31T00:00:00+01:00", date(2024, 3, 31)),
        ("2024-09-09", date(2024, 9, 9)),
        ("09.09.2024", date(2024, 9, 9)),
    ],
)
def test_date_only_fields_keep_the_calendar_day(raw: str, expected: date) -> None:
    assert parse_day(raw) == expected


# --- entities ----------------------------------------------------------------------------


def test_department() -> None:
    row = mapping.department({"ID": "5", "NAME": "Sales", "SORT": 500, "PARENT": "1"}, CTX)
    assert row == {"id": 5, "name": "Sales", "parent_id": 1, "head_id": None, "sort": 500}
    assert set(row) == columns(Department)
    root = mapping.department({"ID": "1", "NAME": "Company", "SORT": 1, "UF_HEAD": "7"}, CTX)
    assert root is not None
    assert root["parent_id"] is None
    assert root["head_id"] == 7


def test_user_with_departments_and_links() -> None:
    raw = {
        "ID": "12",
        "ACTIVE": True,
        "NAME": "Anna",
        "LAST_NAME": "Orlova",
        "EMAIL": "anna@example.com",
        "WORK_POSITION": "Manager",
        "UF_DEPARTMENT": [5, "7", 5],
    }
    found = mapping.user(raw, CTX)
    assert found is not None
    row, links = found
    assert set(row) == columns(User)
    assert row["department_ids"] == [5, 7]
    assert row["active"] is True
    assert links == [{"user_id": 12, "department_id": 5}, {"user_id": 12, "department_id": 7}]
    assert set(links[0]) == columns(UserDepartment)


@pytest.mark.parametrize(("active", "expected"), [(False, False), ("N", False), ("Y", True)])
def test_user_active_flag_in_any_spelling(active: Any, expected: bool) -> None:
    found = mapping.user({"ID": "3", "ACTIVE": active, "UF_DEPARTMENT": []}, CTX)
    assert found is not None
    assert found[0]["active"] is expected
    assert found[1] == []


def test_user_bad_department_id_is_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    found = mapping.user({"ID": "3", "ACTIVE": True, "UF_DEPARTMENT": ["x", 4]}, CTX)
    assert found is not None
    assert found[0]["department_ids"] == [4]
    assert "UF_DEPARTMENT" in caplog.text
    assert "id=3" in caplog.text


def test_company_keeps_every_user_field_sorted() -> None:
    raw = {
        "ID": "9",
        "TITLE": "Acme",
        "COMPANY_TYPE": "CUSTOMER",
        "ASSIGNED_BY_ID": "12",
        "DATE_CREATE": "2024-01-10T09:00:00+03:00",
        "DATE_MODIFY": "2024-02-10T09:00:00+03:00",
        "UF_CRM_KEY_CLIENT": "1",
        "UF_CRM_A": ["1", "2"],
        "PHONE": [{"VALUE": "+7..."}],
    }
    row = mapping.company(raw, CTX)
    assert row is not None
    assert set(row) == columns(Company)
    assert row["custom_fields"] == {"UF_CRM_A": ["1", "2"], "UF_CRM_KEY_CLIENT": "1"}
    assert list(row["custom_fields"]) == ["UF_CRM_A", "UF_CRM_KEY_CLIENT"]
    assert row["responsible_id"] == 12
    assert row["modified_at"] == utc(2024, 2, 10, 6)


def test_contact_company_zero_means_none() -> None:
    raw = {
        "ID": "84",
        "NAME": "Ivan",
        "LAST_NAME": "",
        "COMPANY_ID": "0",
        "ASSIGNED_BY_ID": "12",
        "DATE_MODIFY": "2024-02-10T09:00:00+03:00",
    }
    row = mapping.contact(raw, CTX)
    assert row is not None
    assert set(row) == columns(Contact)
    assert row["company_id"] is None
    assert row["last_name"] == ""


def test_activity_call_with_origin_and_empty_settings() -> None:
    raw = {
        "ID": "20",
        "OWNER_ID": "15",
        "OWNER_TYPE_ID": "3",
        "TYPE_ID": "2",
        "PROVIDER_ID": "VOXIMPLANT_CALL",
        "PROVIDER_TYPE_ID": "CALL",
        "DIRECTION": "2",
        "COMPLETED": "Y",
        "RESPONSIBLE_ID": "505",
        "SUBJECT": "Outgoing call",
        "CREATED": "2020-09-27T13:26:55+03:00",
        "LAST_UPDATED": "2021-03-21T20:28:24+03:00",
        "START_TIME": "2020-09-27T13:25:00+03:00",
        "END_TIME": "2020-09-27T19:25:00+03:00",
        "SETTINGS": [],
        "ORIGIN_ID": "VI_externalCall.abc.1754478570",
    }
    row = mapping.activity(raw, CTX)
    assert row is not None
    assert set(row) == columns(Activity)
    assert row["call_id"] == "externalCall.abc.1754478570"
    assert (row["type_id"], row["direction"], row["completed"]) == (2, 2, True)
    assert (row["owner_type"], row["owner_id"]) == (3, 15)
    assert row["start_at"] == utc(2020, 9, 27, 10, 25)


@pytest.mark.parametrize("origin", [None, "", "mail_123", "VI_"])
def test_activity_without_telephony_origin_has_no_call(origin: str | None) -> None:
    raw = {"ID": "21", "TYPE_ID": "4", "COMPLETED": "N", "ORIGIN_ID": origin}
    row = mapping.activity(raw, CTX)
    assert row is not None
    assert row["call_id"] is None
    assert row["completed"] is False


def test_call_from_the_docs_example() -> None:
    raw = {
        "ID": "1",
        "CALL_ID": "11018129443EB80D.1754478570.11438214",
        "PORTAL_USER_ID": "1",
        "PORTAL_NUMBER": "reg133788",
        "PHONE_NUMBER": "+79630000000",
        "CALL_TYPE": "1",
        "CALL_DURATION": "0",
        "CALL_START_DATE": "2025-08-06T14:08:40+03:00",
        "CALL_FAILED_CODE": "603-S",
        "CALL_FAILED_REASON": "Decline self",
        "CRM_ENTITY_TYPE": "CONTACT",
        "CRM_ENTITY_ID": "275",
        "CRM_ACTIVITY_ID": "7739",
        "COST": "0.0000",
        "COST_CURRENCY": "RUR",
        "CALL_VOTE": None,
        "RECORD_FILE_ID": None,
    }
    row = mapping.call(raw, CTX)
    assert row is not None
    assert set(row) == columns(Call)
    assert row["phone"] == "79630000000"
    assert row["phone_raw"] == "+79630000000"
    assert row["start_at"] == utc(2025, 8, 6, 11, 8, 40)
    assert row["failed_code"] == "603-S"
    assert row["cost"] == Decimal("0.0000")
    assert (row["crm_entity_type"], row["crm_entity_id"], row["crm_activity_id"]) == (
        "CONTACT",
        275,
        7739,
    )


def test_call_nobody_took_and_native_ints() -> None:
    raw = {
        "ID": 7,
        "CALL_ID": "x",
        "PORTAL_USER_ID": "",
        "PHONE_NUMBER": "89630000000",
        "CALL_TYPE": 2,
        "CALL_DURATION": 95,
        "CALL_START_DATE": "2025-08-06T14:08:40+03:00",
        "CALL_FAILED_CODE": "304",
        "COST": "",
    }
    row = mapping.call(raw, CTX)
    assert row is not None
    assert row["user_id"] is None
    assert row["phone"] == "79630000000"
    assert (row["call_type"], row["duration"], row["cost"]) == (2, 95, None)


def deal_raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "ID": "37",
        "TITLE": "Big one",
        "TYPE_ID": "COMPLEX",
        "CATEGORY_ID": "1",
        "STAGE_ID": "C1:WON",
        "STAGE_SEMANTIC_ID": "S",
        "OPPORTUNITY": "19999.99",
        "CURRENCY_ID": "EUR",
        "PROBABILITY": None,
        "COMPANY_ID": "9",
        "CONTACT_ID": "84",
        "LEAD_ID": None,
        "ASSIGNED_BY_ID": "1",
        "SOURCE_ID": "CALLBACK",
        "BEGINDATE": "2024-09-02T02:00:00+02:00",
        "CLOSEDATE": "2024-09-09T02:00:00+02:00",
        "CLOSED": "Y",
        "DATE_CREATE": "2024-09-02T18:37:18+02:00",
        "DATE_MODIFY": "2024-09-09T18:37:18+02:00",
    }
    raw.update(changes)
    return raw


def test_deal_amount_dates_and_semantics() -> None:
    row = mapping.deal(deal_raw(), CTX)
    assert row is not None
    assert set(row) == columns(Deal)
    assert row["amount"] == Decimal("19999.99")
    assert row["currency"] == "EUR"
    assert (row["pipeline_id"], row["stage_id"], row["stage_semantics"]) == (1, "C1:WON", "S")
    assert (row["begin_date"], row["close_date"]) == (date(2024, 9, 2), date(2024, 9, 9))
    assert row["closed"] is True
    assert row["lead_id"] is None
    assert row["created_at"] == utc(2024, 9, 2, 16, 37, 18)


def test_deal_amount_in_account_currency_when_given() -> None:
    raw = deal_raw(OPPORTUNITY_ACCOUNT="1650000.50", ACCOUNT_CURRENCY_ID="RUB")
    row = mapping.deal(raw, CTX)
    assert row is not None
    assert (row["amount"], row["currency"]) == (Decimal("1650000.50"), "RUB")


def test_deal_with_bad_fields_keeps_the_row_and_logs_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="crm.sync")
    raw = deal_raw(OPPORTUNITY="lots", CATEGORY_ID="x", CLOSEDATE="soon", STAGE_SEMANTIC_ID="?")
    row = mapping.deal(raw, CTX)
    assert row is not None
    assert row["amount"] is None
    assert row["pipeline_id"] == 0
    assert row["close_date"] is None
    assert row["stage_semantics"] == "P"
    for field in ("OPPORTUNITY", "CATEGORY_ID", "CLOSEDATE", "STAGE_SEMANTIC_ID"):
        assert any(
            r.levelno == logging.WARNING and field in r.getMessage() and "id=37" in r.getMessage()
            for r in caplog.records
        ), field
    assert all("deal" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad_id", [None, "", "abc", "-5", "0", {"x": 1}])
def test_row_without_a_readable_id_is_skipped(
    bad_id: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert mapping.deal(deal_raw(ID=bad_id), CTX) is None
    assert "field ID" in caplog.text


def test_row_missing_the_id_field_is_skipped() -> None:
    raw = deal_raw()
    del raw["ID"]
    assert mapping.deal(raw, CTX) is None


def test_unknown_user_reads_as_none_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    ctx = MapContext(portal_tz=MSK, known_users=frozenset({1, 2}))
    row = mapping.deal(deal_raw(ASSIGNED_BY_ID="999"), ctx)
    assert row is not None
    assert row["responsible_id"] is None
    assert "unknown user" in caplog.text
    assert "999" in caplog.text
    known = mapping.deal(deal_raw(ASSIGNED_BY_ID="2"), ctx)
    assert known is not None
    assert known["responsible_id"] == 2


def test_lead() -> None:
    raw = {
        "ID": "101",
        "TITLE": "Web form",
        "STATUS_ID": "JUNK",
        "STATUS_SEMANTIC_ID": "F",
        "SOURCE_ID": "WEB",
        "IS_RETURN_CUSTOMER": "N",
        "ASSIGNED_BY_ID": "12",
        "COMPANY_ID": None,
        "CONTACT_ID": "84",
        "OPPORTUNITY": "0.00",
        "CURRENCY_ID": "RUB",
        "DATE_CREATE": "2024-03-01T10:00:00+03:00",
        "DATE_MODIFY": "2024-03-02T10:00:00+03:00",
        "DATE_CLOSED": "2024-03-02T10:00:00+03:00",
    }
    row = mapping.lead(raw, CTX)
    assert row is not None
    assert set(row) == columns(Lead)
    assert (row["status_id"], row["status_semantics"]) == ("JUNK", "F")
    assert row["amount"] == Decimal("0.00")
    assert row["closed_at"] == utc(2024, 3, 2, 7)
    assert row["is_return_customer"] is False


@pytest.mark.parametrize(
    ("entity_id", "status_id", "semantics", "extra", "expected"),
    [
        ("STATUS", "CONVERTED", "S", [], ("lead_status", 0, "success")),
        ("STATUS", "JUNK", "F", None, ("lead_status", 0, "failure")),
        ("STATUS", "NEW", None, [], ("lead_status", 0, "process")),
        ("SOURCE", "WEB", None, None, ("source", 0, "process")),
        ("DEAL_TYPE", "SALE", None, None, ("deal_type", 0, "process")),
        ("DEAL_STAGE", "WON", "S", {"SEMANTICS": "success"}, ("deal_stage", 0, "success")),
        ("DEAL_STAGE_3", "C3:LOSE", "F", {"SEMANTICS": "failure"}, ("deal_stage", 3, "failure")),
        (
            "DEAL_STAGE_3",
            "C3:APOLOGY",
            "F",
            {"SEMANTICS": "apology", "COLOR": "#f00"},
            ("deal_stage", 3, "apology"),
        ),
        ("DEAL_STAGE", "NEW", None, {"SEMANTICS": "process"}, ("deal_stage", 0, "process")),
    ],
)
def test_dictionary_entries(
    entity_id: str,
    status_id: str,
    semantics: str | None,
    extra: Any,
    expected: tuple[str, int, str],
) -> None:
    raw = {
        "ID": "1",
        "ENTITY_ID": entity_id,
        "STATUS_ID": status_id,
        "NAME": "Name",
        "SORT": "10",
        "SEMANTICS": semantics,
        "EXTRA": extra,
    }
    row = mapping.dictionary_entry(raw, CTX)
    assert row is not None
    assert set(row) == columns(DictionaryEntry)
    assert (row["kind"], row["pipeline_id"], row["semantics"]) == expected
    assert (row["code"], row["sort"]) == (status_id, 10)


@pytest.mark.parametrize("entity_id", ["COMPANY_TYPE", "INDUSTRY", "DEAL_STAGE_X", None])
def test_dictionaries_we_do_not_keep(entity_id: str | None) -> None:
    assert mapping.dictionary_kind(entity_id) is None
    raw = {"ID": "1", "ENTITY_ID": entity_id, "STATUS_ID": "A", "NAME": "a"}
    assert mapping.dictionary_entry(raw, CTX) is None


def test_pipeline_including_the_default_one() -> None:
    assert mapping.pipeline({"id": 0, "name": "General", "sort": 100}, CTX) == {
        "id": 0,
        "name": "General",
        "sort": 100,
    }
    row = mapping.pipeline({"id": "3", "name": "Wholesale", "sort": "200"}, CTX)
    assert row is not None
    assert set(row) == columns(Pipeline)
    assert row["id"] == 3


def test_task_camel_case_with_string_values() -> None:
    raw = {
        "id": "8618",
        "title": "Call back",
        "responsibleId": "12",
        "status": "5",
        "subStatus": "-1",
        "deadline": "2024-03-01T18:00:00+03:00",
        "createdDate": "2024-02-28T10:00:00+03:00",
        "changedDate": "2024-03-01T17:00:00+03:00",
        "closedDate": "2024-03-01T17:00:00+03:00",
        "group": [],
    }
    row = mapping.task(raw, CTX)
    assert row is not None
    assert set(row) == columns(Task)
    assert (row["id"], row["status"], row["responsible_id"]) == (8618, 5, 12)
    assert row["deadline"] == utc(2024, 3, 1, 15)
    open_task = mapping.task(dict(raw, closedDate=None, deadline=""), CTX)
    assert open_task is not None
    assert (open_task["closed_at"], open_task["deadline"]) == (None, None)


@pytest.mark.parametrize(
    "raw",
    [
        {"ID": "5", "DATE_MODIFY": {}},
        {"ID": "5", "DATE_MODIFY": "yesterday", "ASSIGNED_BY_ID": "twelve"},
        {"ID": "5", "DATE_MODIFY": 12.5, "ASSIGNED_BY_ID": True, "TITLE": {"a": 1}},
    ],
)
def test_nothing_escapes_on_garbage(raw: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    for fn in (mapping.company, mapping.contact, mapping.deal, mapping.lead, mapping.activity):
        row = fn(raw, CTX)
        assert row is not None
        assert row["id"] == 5
    assert "WARNING" in caplog.text
