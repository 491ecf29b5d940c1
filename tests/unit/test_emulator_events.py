"""The emulator's outbound webhook: change listeners, the portal's event bodies, delays, the
record and call hooks, and ``crm-pulse emulator --events-to``.

Each test runs the emulator on 127.0.0.1 over a small generated portal whose clock is frozen,
and a small aiohttp handler (also on 127.0.0.1) that keeps every body it is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from aiohttp import web

from app.cli import main
from app.cmd_emulator import UsageError, event_settings
from crm.events import Change, decode
from emulator.data import PortalData
from emulator.generator import generate
from emulator.live_calls import add_call
from emulator.phpquery import parse_str
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from emulator.srv_core import Settings
from emulator.srv_event_data import CALL_END_FIELDS, HANDLER_IDS

TODAY = date(2026, 3, 18)
TOKEN = "app-token-5f2c"  # noqa: S105  (a test value)
FAST = (0.01, 0.03)


@dataclass
class Received:
    body: str
    content_type: str
    at: float


@dataclass
class Handler:
    """The crm-pulse side of the outbound webhook: keeps what it is sent."""

    url: str = ""
    status: int = 200
    got: list[Received] = field(default_factory=list)

    def forms(self) -> list[dict[str, Any]]:
        return [parse_str(r.body) for r in self.got]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [f for f in self.forms() if f["event"] == event]


@pytest.fixture
def data() -> PortalData:
    return generate(7, "small", TODAY)


@pytest.fixture
def portal(data: PortalData) -> Portal:
    frozen = datetime.fromisoformat(data.as_of)
    return Portal(data, now=lambda: frozen)


@pytest.fixture
async def handler() -> AsyncIterator[Handler]:
    kept = Handler()

    async def receive(request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        kept.got.append(Received(body, request.content_type, time.time()))
        return web.Response(status=kept.status, text="ok")

    app = web.Application()
    app.router.add_post("/bitrix24/events", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    kept.url = f"http://127.0.0.1:{port}/bitrix24/events"
    try:
        yield kept
    finally:
        await runner.cleanup()


@pytest.fixture
async def emu(portal: Portal, handler: Handler) -> AsyncIterator[Emulator]:
    async with running_emulator(
        portal, rate_limit=False, events_to=handler.url, events_token=TOKEN, events_delay=FAST
    ) as emulator:
        yield emulator


def ids(portal: Portal, table: str) -> list[int]:
    return list(portal.ids(table))


# -- the change listeners ----------------------------------------------------------------------


def test_listeners_hear_every_change_after_it_is_applied(portal: Portal) -> None:
    heard: list[tuple[str, str, int, Any]] = []
    seen_in_table: list[bool] = []

    def listen(table: str, kind: str, record_id: int, row: dict[str, Any] | None) -> None:
        heard.append((table, kind, record_id, row))
        seen_in_table.append(portal.get(table, record_id) is not None)

    def broken(table: str, kind: str, record_id: int, row: dict[str, Any] | None) -> None:
        raise RuntimeError("a listener bug")

    portal.listeners += [broken, listen]
    new_id = portal.add("companies", {"TITLE": "Новая"})
    row = portal.update("companies", new_id, TITLE="Другая")
    portal.delete("companies", new_id)
    added = heard[0][3]
    assert heard == [
        ("companies", "add", new_id, added),
        ("companies", "update", new_id, row),
        ("companies", "delete", new_id, None),
    ]
    assert added["TITLE"] == "Новая" and added["ID"] == str(new_id)
    assert row["TITLE"] == "Другая"
    assert seen_in_table == [True, True, False]  # told after the change is in place
    assert portal.get("companies", new_id) is None  # the broken listener changed nothing


# -- bodies ------------------------------------------------------------------------------------


async def test_an_event_body_is_the_portals_form(
    emu: Emulator, portal: Portal, handler: Handler
) -> None:
    company = ids(portal, "companies")[3]
    portal.update("companies", company, TITLE="Переименована")
    await emu.events_delivered()
    assert len(handler.got) == 1
    got = handler.got[0]
    assert got.content_type == "application/x-www-form-urlencoded"
    keys = [key for key, _ in parse_qsl(got.body, keep_blank_values=True)]
    assert keys == [
        "event",
        "event_handler_id",
        "data[FIELDS][ID]",
        "ts",
        "auth[domain]",
        "auth[client_endpoint]",
        "auth[server_endpoint]",
        "auth[member_id]",
        "auth[application_token]",
    ]
    form = parse_str(got.body)
    host = emu.base_url.removeprefix("http://")
    assert form == {
        "event": "ONCRMCOMPANYUPDATE",
        "event_handler_id": str(HANDLER_IDS["ONCRMCOMPANYUPDATE"]),
        "data": {"FIELDS": {"ID": str(company)}},
        "ts": str(int(portal.now().timestamp())),
        "auth": {
            "domain": host,
            "client_endpoint": f"{emu.base_url}/rest/",
            "server_endpoint": f"{emu.base_url}/oauth/rest/",
            "member_id": emu.settings.member_id,
            "application_token": TOKEN,
        },
    }
    # The listener's decoder reads it back as the change that was made.
    event = decode(got.body)
    assert event.change == Change("companies", str(company))
    assert event.application_token == TOKEN
    [delivery] = emu.events.deliveries
    assert (delivery.event, delivery.record_id, delivery.status) == (
        "ONCRMCOMPANYUPDATE",
        str(company),
        "200",
    )


async def test_every_table_sends_the_portals_event_names(
    emu: Emulator, portal: Portal, handler: Handler
) -> None:
    expected: list[tuple[str, str]] = []
    for table, entity in (
        ("companies", "COMPANY"),
        ("contacts", "CONTACT"),
        ("deals", "DEAL"),
        ("leads", "LEAD"),
        ("activities", "ACTIVITY"),
    ):
        existing = ids(portal, table)[0]
        added = portal.add(table, {"TITLE": "x"})
        portal.update(table, existing, TITLE="y")
        portal.delete(table, added)
        expected += [
            (f"ONCRM{entity}ADD", str(added)),
            (f"ONCRM{entity}UPDATE", str(existing)),
            (f"ONCRM{entity}DELETE", str(added)),
        ]
    task = portal.add("tasks", {"title": "Позвонить"})
    portal.update("tasks", task, title="Перезвонить")
    portal.delete("tasks", task)
    user = portal.add("users", {"ACTIVE": True, "NAME": "Ия", "UF_DEPARTMENT": [3, 5]})
    # Changes the portal sends nothing for: a user edited, a department, a call row edited.
    portal.update("users", user, NAME="Иа")
    portal.update("departments", ids(portal, "departments")[0], NAME="Отдел")
    portal.update("calls", ids(portal, "calls")[0], CRM_ACTIVITY_ID="1")
    user_id = ids(portal, "users")[2]
    call = add_call(portal, "+7 (999) 000-11-22", user_id, "outgoing", 61)
    await emu.events_delivered()

    def names_and_ids(form: dict[str, Any]) -> tuple[str, str]:
        data = form["data"]
        for block in ("FIELDS", "FIELDS_AFTER", "FIELDS_BEFORE"):
            if isinstance(data.get(block), dict):
                return form["event"], data[block]["ID"]
        return form["event"], data.get("ID") or data.get("CALL_ID")

    got = sorted(names_and_ids(f) for f in handler.forms())
    expected += [("ONTASKADD", str(task)), ("ONTASKUPDATE", str(task))]
    expected += [("ONTASKDELETE", str(task)), ("ONUSERADD", str(user))]
    expected += [("ONVOXIMPLANTCALLEND", call["CALL_ID"])]
    assert got == sorted(expected)
    assert all(f["auth"]["application_token"] == TOKEN for f in handler.forms())

    tid = str(task)
    assert handler.named("ONTASKADD")[0]["data"] == {
        "FIELDS_BEFORE": "undefined",
        "FIELDS_AFTER": {"ID": tid},
        "IS_ACCESSIBLE_BEFORE": "N",
        "IS_ACCESSIBLE_AFTER": "undefined",
    }
    assert handler.named("ONTASKUPDATE")[0]["data"] == {
        "FIELDS_BEFORE": {"ID": tid},
        "FIELDS_AFTER": {"ID": tid},
        "IS_ACCESSIBLE_BEFORE": "undefined",
        "IS_ACCESSIBLE_AFTER": "undefined",
    }
    assert handler.named("ONTASKDELETE")[0]["data"] == {
        "FIELDS_BEFORE": {"ID": tid},
        "FIELDS_AFTER": "undefined",
        "IS_ACCESSIBLE_BEFORE": "undefined",
        "IS_ACCESSIBLE_AFTER": "N",
    }
    [user_event] = handler.named("ONUSERADD")
    assert user_event["data"] == {
        "ID": str(user),
        "ACTIVE": "Y",
        "EMAIL": "",
        "NAME": "Ия",
        "LAST_NAME": "",
        "PERSONAL_GENDER": "",
        "PERSONAL_BIRTHDAY": "",
        "UF_DEPARTMENT": ["3", "5"],
    }
    [call_event] = handler.named("ONVOXIMPLANTCALLEND")
    assert list(call_event["data"]) == list(CALL_END_FIELDS)
    assert call_event["data"] == {
        k: "" if call[k] is None else str(call[k]) for k in CALL_END_FIELDS
    }
    # What the listener's decoder makes of them.
    assert decode(handler.got[0].body).change is not None
    decoded = {decode(r.body).change for r in handler.got}
    assert Change("tasks", tid, deleted=True) in decoded
    assert Change("calls", call["CALL_ID"]) in decoded


async def test_each_event_waits_a_random_delay_within_the_bounds(
    portal: Portal, handler: Handler
) -> None:
    assert Settings().events_delay == (0.5, 3.0)
    low, high = 0.15, 0.35
    async with running_emulator(
        portal,
        rate_limit=False,
        events_to=handler.url,
        events_token=TOKEN,
        events_delay=(low, high),
    ) as emu:
        changed = time.time()
        for deal in ids(portal, "deals")[:12]:
            portal.update("deals", deal, TITLE=f"Сделка {deal}")
        assert emu.events.pending == 12
        await emu.events_delivered()
        assert emu.events.pending == 0
    planned = [d.planned for d in emu.events.deliveries]
    assert len(planned) == 12
    assert all(low <= p <= high for p in planned), planned
    assert max(planned) - min(planned) > 0.01  # drawn, not fixed
    # Each went out no sooner than its delay (and, on a quiet machine, soon after).
    assert all(d.delay >= d.planned - 0.005 for d in emu.events.deliveries)
    arrivals = [r.at - changed for r in handler.got]
    assert min(arrivals) >= low - 0.005


async def test_no_event_is_sent_without_a_target(portal: Portal, handler: Handler) -> None:
    async with running_emulator(portal, rate_limit=False) as emu:
        portal.update("companies", ids(portal, "companies")[0], TITLE="Тихо")
        portal.delete("deals", ids(portal, "deals")[0])
        assert emu.events.pending == 0
        await emu.events_delivered()
        async with httpx.AsyncClient(timeout=10) as http:
            state = (await http.get(emu.base_url + "/_emulator/events")).json()
        # A token alone is not a target either.
        emu.send_events_to(None, TOKEN)
        portal.update("companies", ids(portal, "companies")[0], TITLE="Всё ещё тихо")
        assert emu.events.pending == 0
    assert state == {
        "active": False,
        "to": None,
        "delay": [0.5, 3.0],
        "pending": 0,
        "deliveries": [],
    }
    assert handler.got == []


async def test_the_sender_switches_on_and_off_on_a_running_emulator(
    portal: Portal, handler: Handler
) -> None:
    companies = ids(portal, "companies")
    async with (
        running_emulator(portal, rate_limit=False) as emu,
        httpx.AsyncClient(timeout=10) as http,
    ):
        emu.send_events_to(handler.url, TOKEN, FAST)
        portal.update("companies", companies[0], TITLE="a")
        await emu.events_delivered()
        emu.send_events_to(None, None)
        portal.update("companies", companies[1], TITLE="b")
        on = await http.post(
            emu.base_url + "/_emulator/events",
            json={"to": handler.url, "token": "other", "delay": [0.01, 0.02]},
        )
        assert on.status_code == 200
        assert on.json()["active"] is True and "other" not in on.text  # the token is not shown
        portal.update("companies", companies[2], TITLE="c")
        await emu.events_delivered()
        off = await http.delete(emu.base_url + "/_emulator/events")
        assert off.json()["active"] is False
        portal.update("companies", companies[3], TITLE="d")
        bad = await http.post(
            emu.base_url + "/_emulator/events",
            json={"to": handler.url, "token": "t", "delay": [2, 1]},
        )
        assert bad.status_code == 400
    sent = [(f["data"]["FIELDS"]["ID"], f["auth"]["application_token"]) for f in handler.forms()]
    assert sent == [(str(companies[0]), TOKEN), (str(companies[2]), "other")]


async def test_changes_from_another_thread_are_handed_to_the_loop(
    emu: Emulator, portal: Portal, handler: Handler
) -> None:
    leads = ids(portal, "leads")[:5]

    def edit() -> None:
        for lead in leads:
            portal.update("leads", lead, TITLE="из потока")

    await asyncio.to_thread(edit)
    await emu.events_delivered()
    assert sorted(f["data"]["FIELDS"]["ID"] for f in handler.forms()) == sorted(map(str, leads))


async def test_a_failed_delivery_is_recorded_and_not_retried(
    emu: Emulator, portal: Portal, handler: Handler
) -> None:
    handler.status = 500
    portal.delete("contacts", ids(portal, "contacts")[0])
    await emu.events_delivered()
    emu.send_events_to("http://127.0.0.1:9/nobody-listens", TOKEN, FAST)
    portal.delete("contacts", ids(portal, "contacts")[0])
    await emu.events_delivered()
    assert len(handler.got) == 1
    statuses = [d.status for d in emu.events.deliveries]
    assert statuses[0] == "500"
    assert statuses[1].endswith("Error") and len(statuses) == 2


# -- the HTTP hooks ----------------------------------------------------------------------------


async def wait_delivered(http: httpx.AsyncClient, emu: Emulator) -> dict[str, Any]:
    """As an out-of-process test waits: poll the hook until nothing is pending."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state: dict[str, Any] = (await http.get(emu.base_url + "/_emulator/events")).json()
        if state["pending"] == 0:
            return state
        await asyncio.sleep(0.02)
    raise AssertionError("events still pending after 10 s")


async def test_record_hooks_change_the_portal_and_fire_events(
    emu: Emulator, portal: Portal, handler: Handler
) -> None:
    hooks = emu.base_url + "/_emulator/records"
    async with httpx.AsyncClient(timeout=10) as http:
        added = await http.post(hooks + "/companies", json={"TITLE": "ООО «Хук»"})
        assert added.status_code == 200
        company = added.json()["id"]
        assert portal.get("companies", company)["TITLE"] == "ООО «Хук»"  # type: ignore[index]
        changed = await http.patch(f"{hooks}/companies/{company}", json={"TITLE": "ООО «Крюк»"})
        row = changed.json()["row"]
        assert row["TITLE"] == "ООО «Крюк»"
        assert row["DATE_MODIFY"] == portal.iso()
        assert portal.get("companies", company) == row
        gone = await http.delete(f"{hooks}/companies/{company}")
        assert gone.json() == {"id": company, "deleted": True}
        assert portal.get("companies", company) is None
        task = (await http.post(hooks + "/tasks", json={"title": "Хук"})).json()["id"]

        assert (await http.delete(f"{hooks}/companies/{company}")).status_code == 404
        assert (await http.patch(f"{hooks}/deals/999999", json={"TITLE": "x"})).status_code == 404
        assert (await http.post(hooks + "/nothing", json={})).status_code == 404
        assert (await http.post(hooks + "/deals", content=b"[1]")).status_code == 400
        taken = ids(portal, "deals")[0]
        assert (await http.post(hooks + "/deals", json={"ID": str(taken)})).status_code == 409
        state = await wait_delivered(http, emu)
    events = [(d["event"], d["record_id"], d["status"]) for d in state["deliveries"]]
    assert sorted(events) == sorted(
        [
            ("ONCRMCOMPANYADD", str(company), "200"),
            ("ONCRMCOMPANYUPDATE", str(company), "200"),
            ("ONCRMCOMPANYDELETE", str(company), "200"),
            ("ONTASKADD", str(task), "200"),
        ]
    )
    assert len(handler.got) == 4


def contact_with_phone(portal: Portal) -> tuple[dict[str, Any], str]:
    for row in portal.rows("contacts"):
        if row.get("PHONE"):
            return row, row["PHONE"][0]["VALUE"]
    raise AssertionError("no contact with a phone")


async def test_the_call_hook_adds_a_call_ending_now_with_its_activity(
    emu: Emulator, portal: Portal, handler: Handler
) -> None:
    contact, shown = contact_with_phone(portal)
    national = "".join(ch for ch in shown if ch.isdigit())[-10:]
    now = portal.now()
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.post(
            emu.base_url + "/_emulator/calls",
            json={"phone": "8" + national, "user_id": None, "kind": "missed"},
        )
        assert reply.status_code == 200
        missed = reply.json()
        head = int(contact["ASSIGNED_BY_ID"])
        outgoing = (
            await http.post(
                emu.base_url + "/_emulator/calls",
                json={
                    "phone": "+7" + national,
                    "user_id": head,
                    "kind": "outgoing",
                    "duration": 130,
                },
            )
        ).json()
        stranger = (
            await http.post(
                emu.base_url + "/_emulator/calls",
                json={"phone": "+7 900 111-22-33", "user_id": head, "kind": "incoming"},
            )
        ).json()
        refused = [
            await http.post(emu.base_url + "/_emulator/calls", json=body)
            for body in (
                {"phone": national, "user_id": None, "kind": "rang"},
                {"phone": national, "user_id": None, "kind": "incoming"},
                {"phone": "", "user_id": head, "kind": "incoming"},
                {"phone": national, "user_id": "x", "kind": "missed"},
            )
        ]
        unknown_user = await http.post(
            emu.base_url + "/_emulator/calls",
            json={"phone": national, "user_id": 987654, "kind": "missed"},
        )
        await wait_delivered(http, emu)
    assert [r.status_code for r in refused] == [400, 400, 400, 400]
    assert unknown_user.status_code == 404

    assert missed == portal.get("calls", int(missed["ID"]))
    assert missed["CALL_TYPE"] == "2" and missed["CALL_FAILED_CODE"] == "304"
    assert missed["CALL_FAILED_REASON"] == "Missed call"
    assert missed["PORTAL_USER_ID"] == "" and missed["CALL_DURATION"] == "0"
    assert missed["CALL_START_DATE"] == portal.iso(now)
    assert (missed["CRM_ENTITY_TYPE"], missed["CRM_ENTITY_ID"]) == ("CONTACT", contact["ID"])
    activity = portal.get("activities", int(missed["CRM_ACTIVITY_ID"]))
    assert activity is not None
    assert (activity["OWNER_TYPE_ID"], activity["OWNER_ID"]) == ("3", contact["ID"])
    assert activity["SUBJECT"] == "Пропущенный звонок" and activity["COMPLETED"] == "N"
    assert activity["SETTINGS"] == {"MISSED_CALL": True}
    assert activity["ORIGIN_ID"] == "VI_" + missed["CALL_ID"]
    assert activity["RESPONSIBLE_ID"] == contact["ASSIGNED_BY_ID"]

    assert outgoing["CALL_TYPE"] == "1" and outgoing["CALL_FAILED_CODE"] == "200"
    assert outgoing["CALL_DURATION"] == "130" and outgoing["COST"] == "4.5000"
    assert outgoing["CALL_START_DATE"] == portal.iso(now - timedelta(seconds=130))
    assert outgoing["PORTAL_USER_ID"] == str(head)
    assert outgoing["RECORD_FILE_ID"] == 100_000 + int(outgoing["ID"])
    out_activity = portal.get("activities", int(outgoing["CRM_ACTIVITY_ID"]))
    assert out_activity is not None and out_activity["COMPLETED"] == "Y"
    assert out_activity["END_TIME"] == portal.iso(now)

    assert stranger["CRM_ENTITY_TYPE"] is None and stranger["CRM_ACTIVITY_ID"] is None
    assert stranger["CALL_DURATION"] == "95" and stranger["COST"] == "0.0000"
    assert len({missed["CALL_ID"], outgoing["CALL_ID"], stranger["CALL_ID"]}) == 3

    names = [f["event"] for f in handler.forms()]
    assert sorted(names) == sorted(
        ["ONCRMACTIVITYADD", "ONVOXIMPLANTCALLEND"] * 2 + ["ONVOXIMPLANTCALLEND"]
    )
    ended = {f["data"]["CALL_ID"]: f["data"] for f in handler.named("ONVOXIMPLANTCALLEND")}
    assert ended[missed["CALL_ID"]]["CRM_ACTIVITY_ID"] == missed["CRM_ACTIVITY_ID"]
    assert ended[missed["CALL_ID"]]["PHONE_NUMBER"] == "8" + national
    assert ended[stranger["CALL_ID"]]["CRM_ACTIVITY_ID"] == ""


# -- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--events-to", "127.0.0.1:8080/events", "--events-token", "t"], "http(s) URL"),
        (["--events-to", "ftp://host/x", "--events-token", "t"], "http(s) URL"),
        (["--events-to", "http://127.0.0.1:8080/e"], "--events-token"),
        (["--events-token", "t"], "--events-to"),
        (["--events-to", "http://h/e", "--events-token", "t", "--events-delay", "3"], "MIN-MAX"),
        (["--events-to", "http://h/e", "--events-token", "t", "--events-delay", "3-1"], "MIN-MAX"),
    ],
)
def test_bad_event_options_are_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("crm-pulse emulator: ")
    assert fragment in err and "Traceback" not in err


def test_event_options_become_settings() -> None:
    chosen = event_settings(Settings(), "http://127.0.0.1:8080/e", "tok", "0.1-0.4")
    assert (chosen.events_to, chosen.events_token, chosen.events_delay) == (
        "http://127.0.0.1:8080/e",
        "tok",
        (0.1, 0.4),
    )
    assert event_settings(Settings(), None, None, "0.5-3") == Settings()
    with pytest.raises(UsageError):
        event_settings(Settings(), "http://127.0.0.1:8080/e", "tok", "a-b")
