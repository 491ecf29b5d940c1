"""The emulator's data generator: determinism, wire format, edge cases, referential sanity.

Every check reads the generated rows themselves (the ``cases`` the generator lists are
only used to find rows faster, and are verified too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from emulator.data import (
    ACTIVITIES,
    CALLS,
    COMPANIES,
    CONTACTS,
    DEAL_CATEGORIES,
    DEALS,
    DEPARTMENTS,
    ID_KEY,
    LEADS,
    STATUSES,
    TABLES,
    TASKS,
    USERS,
    PortalData,
)
from emulator.generator import generate

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 3, 18)  # a Wednesday
SEED = 7
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
MONEY = re.compile(r"^\d+\.\d\d$")
DIGITS = re.compile(r"^\d+$")
Row = dict[str, Any]


@pytest.fixture(scope="module")
def data() -> PortalData:
    return generate(SEED, "small", TODAY)


def digest(d: PortalData) -> str:
    blob = json.dumps([d.tables, d.quirks, d.cases, d.as_of], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def norm(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if len(digits) == 10:
        digits = "7" + digits
    return digits


def sales_tree(d: PortalData) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for row in d.tables[DEPARTMENTS]:
        if "PARENT" in row:
            children[int(row["PARENT"])].append(int(row["ID"]))
    tree, todo = set(), [d.sales_department_id]
    while todo:
        dept = todo.pop()
        tree.add(dept)
        todo.extend(children[dept])
    return tree


def employees(d: PortalData) -> set[str]:
    tree = sales_tree(d)
    return {
        u["ID"] for u in d.tables[USERS] if u["ACTIVE"] and tree.intersection(u["UF_DEPARTMENT"])
    }


def quirky(d: PortalData, *names: str) -> set[str]:
    return {str(i) for name in names for i in d.quirks.get(name, [])}


# -- determinism and size --


def test_same_inputs_give_equal_data(data: PortalData) -> None:
    again = generate(SEED, "small", TODAY)
    assert again.tables == data.tables
    assert (again.quirks, again.cases, again.as_of) == (data.quirks, data.cases, data.as_of)
    assert generate(SEED + 1, "small", TODAY).tables[CALLS] != data.tables[CALLS]


def test_data_does_not_depend_on_string_hashing(data: PortalData) -> None:
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from tests.unit.test_generator import digest, SEED, TODAY;"
        "from emulator.generator import generate;"
        "print(digest(generate(SEED, 'small', TODAY)))"
    )
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == digest(data)


def test_small_scale_size_and_ids(data: PortalData) -> None:
    assert 10_000 <= data.count() <= 20_000
    for table in TABLES:
        rows = data.tables[table]
        assert rows, table
        ids = [int(r[ID_KEY[table]]) for r in rows]
        assert ids == sorted(set(ids)), table
        # crm.category.list has the default pipeline as id 0; everything else counts from 1.
        assert min(ids) >= (0 if table == DEAL_CATEGORIES else 1), table


def test_medium_scale_size() -> None:
    assert 100_000 <= generate(1, "medium", TODAY).count() <= 150_000


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(1, "huge", TODAY)  # type: ignore[arg-type]


# -- wire format --


def test_every_datetime_carries_the_zone_offset_of_its_instant(data: PortalData) -> None:
    tz = ZoneInfo(data.timezone)
    as_of = when(data.as_of)
    assert data.as_of == f"{TODAY}T12:00:00+03:00"
    seen = 0
    for table in TABLES:
        for row in data.tables[table]:
            for key, value in row.items():
                if isinstance(value, str) and ISO.match(value):
                    moment = when(value)
                    assert moment.utcoffset() == moment.astimezone(tz).utcoffset(), (key, value)
                    seen += 1
                    if key in ("DATE_CREATE", "CREATED", "CALL_START_DATE", "createdDate",
                               "DATE_MODIFY", "LAST_UPDATED", "changedDate", "MOVED_TIME",
                               "closedDate", "DATE_CLOSED"):  # fmt: skip
                        assert moment <= as_of, (table, key, value)
    assert seen > 30_000


def test_offsets_follow_daylight_saving() -> None:
    berlin = generate(SEED, "small", TODAY, timezone="Europe/Berlin")
    tz = ZoneInfo("Europe/Berlin")
    offsets = set()
    for call in berlin.tables[CALLS]:
        moment = when(call["CALL_START_DATE"])
        assert moment.utcoffset() == moment.astimezone(tz).utcoffset()
        offsets.add(call["CALL_START_DATE"][-6:])
    assert offsets == {"+01:00", "+02:00"}
    assert berlin.timezone == "Europe/Berlin"


def test_users_and_departments_shape(data: PortalData) -> None:
    users = data.tables[USERS]
    for u in users:
        assert DIGITS.match(u["ID"])
        assert isinstance(u["ACTIVE"], bool)
        assert isinstance(u["UF_DEPARTMENT"], list)
        assert all(isinstance(x, int) for x in u["UF_DEPARTMENT"])
        assert re.match(r"^[А-ЯЁ][а-яё]+$", u["NAME"]) and re.match(r"^[А-ЯЁ]", u["LAST_NAME"])
        assert "@" in u["EMAIL"]
    assert len({u["EMAIL"] for u in users}) == len(users)
    assert any(not u["ACTIVE"] for u in users)
    depts = data.tables[DEPARTMENTS]
    assert all(isinstance(d["SORT"], int) and DIGITS.match(d["ID"]) for d in depts)
    assert [d for d in depts if "PARENT" not in d] == [depts[0]]
    assert any("UF_HEAD" not in d for d in depts)
    names = {d["NAME"] for d in depts}
    assert {"Бухгалтерия", "Маркетинг"} <= names
    sales = [d for d in depts if d.get("PARENT") == str(data.sales_department_id)]
    assert len(sales) >= 2 and all("UF_HEAD" in d for d in sales)


def test_calls_shape(data: PortalData) -> None:
    codes = {"200", "304", "603", "603-S", "486", "480", "404", "OTHER"}
    for c in data.tables[CALLS]:
        assert DIGITS.match(c["ID"]) and c["CALL_ID"]
        assert c["CALL_TYPE"] in ("1", "2", "3", "4")
        assert DIGITS.match(c["CALL_DURATION"])
        assert c["CALL_FAILED_CODE"] in codes
        assert ISO.match(c["CALL_START_DATE"])
        assert c["RECORD_FILE_ID"] is None or isinstance(c["RECORD_FILE_ID"], int)
        assert c["CRM_ENTITY_TYPE"] in (None, "COMPANY", "CONTACT", "LEAD")
        assert re.match(r"^\d+\.\d{4}$", c["COST"]) and c["COST_CURRENCY"] == "RUR"
    calls = data.tables[CALLS]
    assert {c["CALL_FAILED_CODE"] for c in calls} == codes
    assert len({c["PORTAL_NUMBER"] for c in calls}) >= 2
    assert {type(c["RECORD_FILE_ID"]) for c in calls} == {int, type(None)}


def test_activities_shape(data: PortalData) -> None:
    acts = data.tables[ACTIVITIES]
    for a in acts:
        assert DIGITS.match(a["ID"]) and DIGITS.match(a["OWNER_ID"])
        assert a["OWNER_TYPE_ID"] in ("1", "2", "3", "4")
        assert a["COMPLETED"] in ("Y", "N") and a["DIRECTION"] in ("0", "1", "2")
        assert a["SETTINGS"] == [] or isinstance(a["SETTINGS"], dict)
        for key in ("START_TIME", "END_TIME", "DEADLINE", "CREATED", "LAST_UPDATED"):
            assert ISO.match(a[key]), key
    kinds = {(a["TYPE_ID"], a["PROVIDER_ID"]) for a in acts}
    assert {("2", "VOXIMPLANT_CALL"), ("4", "CRM_EMAIL"), ("1", "CRM_MEETING")} <= kinds
    assert ("6", "CRM_TODO") in kinds
    assert {a["OWNER_TYPE_ID"] for a in acts} == {"1", "2", "3", "4"}
    emails = [a for a in acts if a["PROVIDER_ID"] == "CRM_EMAIL"]
    assert {a["DIRECTION"] for a in emails} == {"1", "2"}
    for provider in ("CRM_EMAIL", "CRM_MEETING", "CRM_TODO", "VOXIMPLANT_CALL"):
        assert {a["COMPLETED"] for a in acts if a["PROVIDER_ID"] == provider} == {"Y", "N"}
    missed = [a for a in acts if a["SETTINGS"] and a["SETTINGS"].get("MISSED_CALL")]
    assert {a["COMPLETED"] for a in missed} == {"Y", "N"}


def test_dictionaries_and_pipelines(data: PortalData) -> None:
    statuses = data.tables[STATUSES]
    by_entity: dict[str, dict[str, Row]] = defaultdict(dict)
    for s in statuses:
        assert isinstance(s["SORT"], str) and s["SEMANTICS"] in (None, "S", "F")
        by_entity[s["ENTITY_ID"]][s["STATUS_ID"]] = s
    assert {"STATUS", "SOURCE", "DEAL_TYPE", "DEAL_STAGE", "DEAL_STAGE_1"} <= set(by_entity)
    for entity in ("STATUS", "DEAL_STAGE", "DEAL_STAGE_1"):
        extra = {s["EXTRA"]["SEMANTICS"] for s in by_entity[entity].values()}
        assert {"process", "success", "failure"} <= extra
    assert by_entity["DEAL_STAGE"]["APOLOGY"]["EXTRA"]["SEMANTICS"] == "apology"
    assert by_entity["DEAL_STAGE_1"]["C1:APOLOGY"]["SEMANTICS"] == "F"
    assert all(k.startswith("C1:") for k in by_entity["DEAL_STAGE_1"])
    assert {"1", "NO_BUDGET", "JUNK", "CONVERTED"} <= set(by_entity["STATUS"])
    assert data.tables[DEAL_CATEGORIES] == [
        {"id": 0, "name": "Продажи", "sort": 100, "entityTypeId": 2, "isDefault": "Y"},
        {"id": 1, "name": "Повторные продажи", "sort": 200, "entityTypeId": 2, "isDefault": "N"},
    ]


def stage_semantics(d: PortalData) -> dict[str, str]:
    out = {}
    for s in d.tables[STATUSES]:
        if s["ENTITY_ID"].startswith("DEAL_STAGE"):
            out[s["STATUS_ID"]] = s["SEMANTICS"] or "P"
    return out


def test_deals_shape_and_pipelines(data: PortalData) -> None:
    semantics = stage_semantics(data)
    bad = quirky(data, "deal_empty_opportunity", "deal_null_opportunity")
    deals = data.tables[DEALS]
    for deal in deals:
        assert deal["STAGE_SEMANTIC_ID"] == semantics[deal["STAGE_ID"]]
        assert deal["CLOSED"] == ("N" if deal["STAGE_SEMANTIC_ID"] == "P" else "Y")
        assert deal["CATEGORY_ID"] == ("1" if deal["STAGE_ID"].startswith("C1:") else "0")
        assert re.match(r"^\d{4}-\d\d-\d\dT00:00:00\+03:00$", deal["CLOSEDATE"])
        assert re.match(r"^\d{4}-\d\d-\d\dT00:00:00\+03:00$", deal["BEGINDATE"])
        assert deal["ACCOUNT_CURRENCY_ID"] == "RUB"
        if deal["ID"] in bad:
            continue
        assert MONEY.match(deal["OPPORTUNITY"]) and MONEY.match(deal["OPPORTUNITY_ACCOUNT"])
        if deal["CURRENCY_ID"] == "RUB":
            assert deal["OPPORTUNITY_ACCOUNT"] == deal["OPPORTUNITY"]
        else:
            assert float(deal["OPPORTUNITY_ACCOUNT"]) > float(deal["OPPORTUNITY"]) * 50
    stages = {d["STAGE_ID"] for d in deals}
    assert {"WON", "LOSE", "APOLOGY", "C1:WON", "C1:LOSE", "C1:APOLOGY"} <= stages
    won_foreign = {d["CURRENCY_ID"] for d in deals if d["STAGE_SEMANTIC_ID"] == "S"}
    assert {"RUB", "USD", "EUR"} <= won_foreign
    assert any(d["COMPANY_ID"] == "0" and d["CONTACT_ID"] for d in deals)
    assert any(d["LEAD_ID"] for d in deals)
    assert any(d["STAGE_SEMANTIC_ID"] == "P" and d["CLOSEDATE"][:10] > str(TODAY) for d in deals)
    assert any(d["PROBABILITY"] is None for d in deals)
    assert any(re.search(r"\.(?!00)\d\d$", d["OPPORTUNITY"] or "") for d in deals)


def test_leads_shape(data: PortalData) -> None:
    kinds = {s["STATUS_ID"]: s["SEMANTICS"] or "P" for s in data.tables[STATUSES]
             if s["ENTITY_ID"] == "STATUS"}  # fmt: skip
    leads = data.tables[LEADS]
    for lead in leads:
        assert lead["STATUS_SEMANTIC_ID"] == kinds[lead["STATUS_ID"]]
        assert (lead["DATE_CLOSED"] == "") == (lead["STATUS_SEMANTIC_ID"] == "P")
        assert MONEY.match(lead["OPPORTUNITY"])
    assert {ld["STATUS_ID"] for ld in leads} == set(kinds)
    sources = {"CALL", "WEB", "EMAIL", "ADVERTISING", "PARTNER", "RECOMMENDATION"}
    assert {ld["SOURCE_ID"] for ld in leads} == sources
    assert {ld["IS_RETURN_CUSTOMER"] for ld in leads} == {"Y", "N"}
    converted = {ld["ID"] for ld in leads if ld["STATUS_ID"] == "CONVERTED"}
    from_leads = [d["LEAD_ID"] for d in data.tables[DEALS] if d["LEAD_ID"]]
    assert from_leads and set(from_leads) <= converted


def test_tasks_shape_and_states(data: PortalData) -> None:
    as_of = when(data.as_of)
    tasks = data.tables[TASKS]
    for t in tasks:
        for key in ("id", "title", "status", "responsibleId", "createdDate", "changedDate"):
            assert isinstance(t[key], str), key
        assert t["deadline"] is None or ISO.match(t["deadline"])
        assert (t["status"] == "5") == (t["closedDate"] is not None)
    overdue = [
        t
        for t in tasks
        if t["status"] != "5" and t["deadline"] is not None and when(t["deadline"]) < as_of
    ]
    assert overdue and all(t["subStatus"] == "-1" for t in overdue)
    assert any(t["deadline"] and when(t["deadline"]) > as_of for t in tasks)
    assert any(t["deadline"] is None for t in tasks)
    assert {str(i) for i in data.cases["overdue_tasks"]} <= {t["id"] for t in overdue}


def test_companies_and_contacts_shape(data: PortalData) -> None:
    companies = data.tables[COMPANIES]
    flags = [c.get("UF_CRM_KEY_CLIENT") for c in companies]
    assert set(flags) == {"1", "0", None}
    assert 0.04 <= flags.count("1") / len(companies) <= 0.25
    for c in companies:
        assert DIGITS.match(c["ASSIGNED_BY_ID"]) and ISO.match(c["DATE_CREATE"])
        assert c["DATE_MODIFY"] >= c["DATE_CREATE"]
        assert c["PHONE"] and c["PHONE"][0]["TYPE_ID"] == "PHONE"
    contacts = data.tables[CONTACTS]
    assert any(c["COMPANY_ID"] is None for c in contacts)
    assert any(c["COMPANY_ID"] is not None for c in contacts)


# -- calls: missed, called back, boundaries --


def missed_calls(d: PortalData) -> list[tuple[Row, dt.datetime, list[tuple[dt.datetime, Row]]]]:
    """Each missed call with the later connected calls of the same number (any taker)."""
    connected: dict[str, list[tuple[dt.datetime, Row]]] = defaultdict(list)
    for c in d.tables[CALLS]:
        if c["CALL_FAILED_CODE"] == "200" and c["PHONE_NUMBER"]:
            connected[norm(c["PHONE_NUMBER"])].append((when(c["CALL_START_DATE"]), c))
    for calls in connected.values():
        calls.sort(key=lambda item: item[0])
    out = []
    for c in d.tables[CALLS]:
        if c["CALL_TYPE"] in ("2", "3") and c["CALL_FAILED_CODE"] != "200":
            at = when(c["CALL_START_DATE"])
            later = [x for x in connected.get(norm(c["PHONE_NUMBER"]), []) if x[0] > at]
            out.append((c, at, later))
    return out


def test_missed_calls_called_back_and_not(data: PortalData) -> None:
    staff = employees(data)
    called_back, never, only_outsiders = [], [], []
    for call, at, later in missed_calls(data):
        first = next((x for x in later if x[1]["PORTAL_USER_ID"] in staff), None)
        if first is None:
            never.append(call)
            if later:
                only_outsiders.append(call)
        else:
            called_back.append((call, at, first))
    assert len(called_back) > 50 and len(never) > 5
    assert only_outsiders
    assert {str(i) for i in data.cases["missed_called_back_by_non_employee"]} <= {
        c["ID"] for c in only_outsiders
    }
    assert {str(i) for i in data.cases["missed_never_called_back"]} <= {c["ID"] for c in never}
    delays = [(first[0] - at).total_seconds() for _, at, first in called_back]
    assert min(delays) <= 60 and any(d < 3600 for d in delays) and max(delays) > 86400
    assert any(first[0].date() != at.date() for _, at, first in called_back)
    assert any(first[0].month != at.month for _, at, first in called_back)
    assert any(first[1]["PHONE_NUMBER"] != c["PHONE_NUMBER"] for c, _, first in called_back)
    assert any(first[1]["CALL_TYPE"] == "1" for _, _, first in called_back)
    assert any(first[1]["CALL_TYPE"] == "2" for _, _, first in called_back)
    empty = [c for c, _, _ in called_back if c["PORTAL_USER_ID"] == ""]
    assert empty and any(c["PORTAL_USER_ID"] == "" for c in never)


def test_phone_numbers_come_in_mixed_formats(data: PortalData) -> None:
    formats: dict[str, set[str]] = defaultdict(set)
    for c in data.tables[CALLS]:
        phone = c["PHONE_NUMBER"]
        shape = "+7" if phone.startswith("+7") else phone[:1] + str(len(phone))
        formats[norm(phone)].add(shape)
    assert any(shapes >= {"+7", "811", "711", "910"} for shapes in formats.values())


def test_calls_on_period_boundaries(data: PortalData) -> None:
    at = {c["ID"]: when(c["CALL_START_DATE"]) for c in data.tables[CALLS]}
    boundary = {str(i) for i in data.cases["boundary_calls"]}
    midnight = [i for i, t in at.items() if t.time() == dt.time(0, 0, 0)]
    last = [i for i, t in at.items() if t.time() == dt.time(23, 59, 59)]
    assert any(at[i].day == 1 for i in midnight)
    assert any(at[i].weekday() == 0 for i in midnight)
    assert any((at[i] + dt.timedelta(seconds=1)).day == 1 for i in last)
    assert any(at[i].weekday() == 6 for i in last)
    assert boundary <= set(midnight) | set(last)
    # A month-end missed call answered one second later, in the next month.
    by_id = {c["ID"]: c for c in data.tables[CALLS]}
    month_ends = [i for i in last if (at[i] + dt.timedelta(seconds=1)).day == 1]
    missed_then = [by_id[i] for i in month_ends if by_id[i]["CALL_FAILED_CODE"] != "200"]
    answered = {norm(by_id[i]["PHONE_NUMBER"]) for i in midnight}
    assert any(norm(c["PHONE_NUMBER"]) in answered for c in missed_then)


def test_calls_mostly_in_working_hours_with_short_ones(data: PortalData) -> None:
    taken = [c for c in data.tables[CALLS] if c["PORTAL_USER_ID"]]
    office = [
        c for c in taken if (t := when(c["CALL_START_DATE"])).weekday() < 5 and 9 <= t.hour < 19
    ]
    assert len(office) / len(taken) > 0.9
    assert any(when(c["CALL_START_DATE"]).weekday() >= 5 for c in data.tables[CALLS])
    connected = [int(c["CALL_DURATION"]) for c in taken if c["CALL_FAILED_CODE"] == "200"]
    assert any(s < 20 for s in connected) and any(s > 600 for s in connected)
    nobody = [c for c in data.tables[CALLS] if c["PORTAL_USER_ID"] == ""]
    assert nobody and all(
        c["CALL_TYPE"] in ("2", "3") and c["CALL_FAILED_CODE"] != "200" for c in nobody
    )


def test_call_records_and_call_activities_agree(data: PortalData) -> None:
    acts = {a["ID"]: a for a in data.tables[ACTIVITIES]}
    owner_type = {"COMPANY": "4", "CONTACT": "3", "LEAD": "1"}
    bound = 0
    for c in data.tables[CALLS]:
        if c["CRM_ACTIVITY_ID"] is None:
            assert c["CRM_ENTITY_TYPE"] is None
            continue
        bound += 1
        a = acts[c["CRM_ACTIVITY_ID"]]
        assert a["ORIGIN_ID"] == "VI_" + c["CALL_ID"]
        assert a["PROVIDER_ID"] == "VOXIMPLANT_CALL" and a["TYPE_ID"] == "2"
        assert a["START_TIME"] == c["CALL_START_DATE"]
        assert a["DIRECTION"] == ("2" if c["CALL_TYPE"] in ("1", "4") else "1")
        if a["OWNER_TYPE_ID"] != "2":
            assert (a["OWNER_TYPE_ID"], a["OWNER_ID"]) == (
                owner_type[c["CRM_ENTITY_TYPE"]],
                c["CRM_ENTITY_ID"],
            )
    assert bound > len(data.tables[CALLS]) / 2
    by_call_id = {c["CALL_ID"] for c in data.tables[CALLS]}
    orphans = [
        a
        for a in data.tables[ACTIVITIES]
        if a["PROVIDER_ID"] == "VOXIMPLANT_CALL"
        and (a["ORIGIN_ID"] is None or a["ORIGIN_ID"][3:] not in by_call_id)
    ]
    assert {a["ID"] for a in orphans} == {
        str(i) for i in data.cases["call_activity_without_record"]
    }
    assert {a["ORIGIN_ID"] is None for a in orphans} == {True, False}


# -- people and clients --


def test_people_edge_cases(data: PortalData) -> None:
    staff = employees(data)
    users = {u["ID"]: u for u in data.tables[USERS]}
    owners = {r["ASSIGNED_BY_ID"] for r in data.tables[COMPANIES] + data.tables[CONTACTS]}
    without = staff - owners
    assert without == {str(i) for i in data.cases["intern"]}
    fired = {i for i, u in users.items() if not u["ACTIVE"]}
    assert fired & owners
    assert fired & {d["ASSIGNED_BY_ID"] for d in data.tables[DEALS]}
    assert fired & {c["PORTAL_USER_ID"] for c in data.tables[CALLS]}
    callers = {c["PORTAL_USER_ID"] for c in data.tables[CALLS]}
    outsiders = {i for i, u in users.items() if u["ACTIVE"] and i not in staff}
    assert outsiders & callers
    heads = {d["UF_HEAD"] for d in data.tables[DEPARTMENTS] if "UF_HEAD" in d}
    assert heads <= set(users) and len(heads) >= 5
    assert any(len(u["UF_DEPARTMENT"]) > 1 for u in users.values())
    contact_clients = [
        c
        for c in data.tables[CONTACTS]
        if c["COMPANY_ID"] is None and c["ASSIGNED_BY_ID"] in staff
    ]
    assert contact_clients


def test_abc_has_a_long_tail_and_xyz_all_three_classes(data: PortalData) -> None:
    index = TODAY.year * 12 + TODAY.month - 1
    months = [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - 12, index)]  # full months
    monthly: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(months, 0.0))
    for deal in data.tables[DEALS]:
        month = deal["CLOSEDATE"][:7]
        won = deal["STAGE_SEMANTIC_ID"] == "S" and deal["OPPORTUNITY_ACCOUNT"]
        if won and month in months and deal["COMPANY_ID"] not in ("0", None):
            monthly[deal["COMPANY_ID"]][month] += float(deal["OPPORTUNITY_ACCOUNT"])
    revenue = sorted(((sum(m.values()), c) for c, m in monthly.items()), reverse=True)
    total, running, classes = sum(r for r, _ in revenue), 0.0, []
    for r, _ in revenue:
        running += r
        classes.append("A" if running <= total * 0.8 else "B" if running <= total * 0.95 else "C")
    assert classes.count("A") < len(classes) / 2 and classes.count("C") > len(classes) / 4
    xyz = set()
    for values in monthly.values():
        cv = statistics.pstdev(values.values()) / statistics.fmean(values.values())
        xyz.add("X" if cv <= 0.1 else "Y" if cv <= 0.25 else "Z")
    assert xyz == {"X", "Y", "Z"}


# -- referential sanity and the deliberate bad rows --


def ids(d: PortalData, table: str) -> set[str]:
    return {str(r[ID_KEY[table]]) for r in d.tables[table]}


def test_references_point_to_existing_records(data: PortalData) -> None:
    users, depts = ids(data, USERS), ids(data, DEPARTMENTS)
    companies, contacts = ids(data, COMPANIES), ids(data, CONTACTS)
    leads, deals, acts = ids(data, LEADS), ids(data, DEALS), ids(data, ACTIVITIES)
    entity = {"COMPANY": companies, "CONTACT": contacts, "LEAD": leads}
    owner = {"1": leads, "2": deals, "3": contacts, "4": companies}
    statuses = {(s["ENTITY_ID"], s["STATUS_ID"]) for s in data.tables[STATUSES]}
    for u in data.tables[USERS]:
        assert {str(x) for x in u["UF_DEPARTMENT"]} <= depts
    for d in data.tables[DEPARTMENTS]:
        assert d.get("PARENT", "1") in depts and d.get("UF_HEAD", "1") in users
    for row in data.tables[COMPANIES] + data.tables[CONTACTS]:
        assert row["ASSIGNED_BY_ID"] in users
        assert row.get("COMPANY_ID") is None or row["COMPANY_ID"] in companies
    ghost_call = quirky(data, "call_unknown_user")
    for c in data.tables[CALLS]:
        assert c["PORTAL_USER_ID"] in users or c["PORTAL_USER_ID"] == "" or c["ID"] in ghost_call
        if c["CRM_ENTITY_TYPE"] is not None:
            assert c["CRM_ENTITY_ID"] in entity[c["CRM_ENTITY_TYPE"]]
            assert c["CRM_ACTIVITY_ID"] in acts
    zero, lost = quirky(data, "activity_zero_responsible"), quirky(data, "activity_unknown_owner")
    for a in data.tables[ACTIVITIES]:
        assert a["RESPONSIBLE_ID"] in users or a["ID"] in zero
        assert a["OWNER_ID"] in owner[a["OWNER_TYPE_ID"]] or a["ID"] in lost
    no_company = quirky(data, "deal_unknown_company")
    for d in data.tables[DEALS]:
        assert d["ASSIGNED_BY_ID"] in users
        assert d["COMPANY_ID"] == "0" or d["COMPANY_ID"] in companies or d["ID"] in no_company
        assert d["CONTACT_ID"] is None or d["CONTACT_ID"] in contacts
        assert d["LEAD_ID"] is None or d["LEAD_ID"] in leads
        stage_entity = (
            "DEAL_STAGE" if d["CATEGORY_ID"] == "0" else "DEAL_STAGE_" + d["CATEGORY_ID"]
        )
        assert (stage_entity, d["STAGE_ID"]) in statuses
        assert ("SOURCE", d["SOURCE_ID"]) in statuses and ("DEAL_TYPE", d["TYPE_ID"]) in statuses
    for ld in data.tables[LEADS]:
        assert ld["ASSIGNED_BY_ID"] in users and ("SOURCE", ld["SOURCE_ID"]) in statuses
        assert ld["COMPANY_ID"] is None or ld["COMPANY_ID"] in companies
        assert ld["CONTACT_ID"] is None or ld["CONTACT_ID"] in contacts
    crm = {"CO": companies, "C": contacts}
    for t in data.tables[TASKS]:
        assert t["responsibleId"] in users and t["createdBy"] in users
        for ref in t["ufCrmTask"]:
            kind, _, ident = ref.partition("_")
            assert ident in crm[kind]


def test_quirk_rows_show_their_defect(data: PortalData) -> None:
    rows = {t: {str(r[ID_KEY[t]]): r for r in data.tables[t]} for t in TABLES}
    q = {name: [str(i) for i in found] for name, found in data.quirks.items()}
    assert rows[DEALS][q["deal_empty_opportunity"][0]]["OPPORTUNITY"] == ""
    null_deal = rows[DEALS][q["deal_null_opportunity"][0]]
    assert null_deal["OPPORTUNITY"] is None and null_deal["STAGE_SEMANTIC_ID"] == "S"
    assert rows[DEALS][q["deal_unknown_company"][0]]["COMPANY_ID"] not in rows[COMPANIES]
    assert rows[CALLS][q["call_unknown_user"][0]]["PORTAL_USER_ID"] not in rows[USERS]
    assert rows[CALLS][q["call_empty_phone"][0]]["PHONE_NUMBER"] == ""
    assert rows[ACTIVITIES][q["activity_zero_responsible"][0]]["RESPONSIBLE_ID"] == "0"
    assert rows[ACTIVITIES][q["activity_unknown_owner"][0]]["OWNER_ID"] not in rows[COMPANIES]
    assert {rows[COMPANIES][i]["TITLE"] for i in q["company_no_title"]} == {"", None}
    assert rows[USERS][q["user_without_department"][0]]["UF_DEPARTMENT"] == []
    # A hidden number must not pair with anything: no connected call has an empty number.
    assert all(c["PHONE_NUMBER"] for c in data.tables[CALLS] if c["CALL_FAILED_CODE"] == "200")


def test_history_spans_fifteen_months_with_some_future(data: PortalData) -> None:
    starts = [when(c["CALL_START_DATE"]) for c in data.tables[CALLS]]
    assert (TODAY - min(starts).date()).days > 420 and max(starts) < when(data.as_of)
    meetings = [a for a in data.tables[ACTIVITIES] if a["PROVIDER_ID"] == "CRM_MEETING"]
    assert any(when(a["START_TIME"]) > when(data.as_of) for a in meetings)
    if TODAY.weekday() < 5:  # a working morning already has its calls
        assert any(c["CALL_START_DATE"].startswith(str(TODAY)) for c in data.tables[CALLS])
