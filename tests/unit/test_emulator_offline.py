"""The emulator's event bindings and offline queue, driven over REST as an application would:
``event.bind`` / ``event.get`` / ``event.unbind`` and ``event.offline.get`` / ``clear`` /
``error`` / ``list``, the latest state per record, reservations under a process id, and the
``auth_connector`` that keeps an application's own writes out of its queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web

from crm.events import Change, decode_offline
from emulator.generator import generate
from emulator.live_calls import add_call
from emulator.phpquery import parse_str
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator

TODAY = date(2026, 3, 18)
CONNECTOR = "crm-pulse"
EVENT_KEYS = ["ID", "TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA", "EVENT_ADDITIONAL", "MESSAGE_ID"]


@dataclass
class App:
    """The application's side: an access token and the REST root."""

    http: httpx.AsyncClient
    emu: Emulator
    token: str

    async def call(self, method: str, **params: Any) -> tuple[int, Any]:
        reply = await self.http.post(
            self.emu.rest_url + method, json={"auth": self.token, **params}
        )
        body = reply.json()
        return reply.status_code, body.get("result", body)

    async def ok(self, method: str, **params: Any) -> Any:
        status, result = await self.call(method, **params)
        assert status == 200, result
        return result

    async def bind(self, *events: str, connector: str | None = None) -> None:
        for event in events:
            extra = {} if connector is None else {"auth_connector": connector}
            assert await self.ok("event.bind", event=event, event_type="offline", **extra) is True

    async def drain(self, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.ok("event.offline.get", **params)
        return result


@pytest.fixture
def portal() -> Portal:
    data = generate(7, "small", TODAY)
    frozen = datetime.fromisoformat(data.as_of)
    return Portal(data, now=lambda: frozen)


@pytest.fixture
async def emu(portal: Portal) -> AsyncIterator[Emulator]:
    async with running_emulator(portal, rate_limit=False) as emulator:
        yield emulator


@pytest.fixture
async def app(emu: Emulator) -> AsyncIterator[App]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield App(http, emu, emu.issue_tokens()["access_token"])


def ids(portal: Portal, table: str) -> list[int]:
    return list(portal.ids(table))


def changes(events: list[dict[str, Any]]) -> set[tuple[str, Change | None]]:
    return {(e["EVENT_NAME"], decode_offline(e["EVENT_NAME"], e["EVENT_DATA"])) for e in events}


# -- bindings ----------------------------------------------------------------------------------


async def test_bind_get_and_unbind(app: App) -> None:
    await app.bind("ONCRMDEALUPDATE", "onCrmCompanyDelete")
    await app.bind("ONCRMDEALUPDATE", connector=CONNECTOR)
    handler = "https://crm-pulse.example/bitrix24/events"
    assert await app.ok("event.bind", event="OnOfflineEvent", handler=handler) is True
    assert await app.ok("event.get") == [
        {"event": "ONCRMDEALUPDATE", "connector_id": "", "offline": 1},
        {"event": "ONCRMCOMPANYDELETE", "connector_id": "", "offline": 1},
        {"event": "ONCRMDEALUPDATE", "connector_id": CONNECTOR, "offline": 1},
        {"event": "ONOFFLINEEVENT", "handler": handler, "auth_type": "0", "offline": 0},
    ]
    status, again = await app.call("event.bind", event="ONCRMDEALUPDATE", event_type="offline")
    assert (status, again["error"]) == (400, "ERROR_CORE")
    assert "Handler already binded" in again["error_description"]
    status, unknown = await app.call("event.bind", event="ONCRMNOTHING", event_type="offline")
    assert (status, unknown["error"]) == (400, "ERROR_EVENT_NOT_FOUND")
    status, no_handler = await app.call("event.bind", event="ONCRMDEALADD")
    assert (status, no_handler["error"]) == (400, "ERROR_ARGUMENT")
    status, notice = await app.call("event.bind", event="ONOFFLINEEVENT", event_type="offline")
    assert (status, notice["error"]) == (400, "ERROR_ARGUMENT")
    unbound = await app.ok("event.unbind", event="ONCRMDEALUPDATE", event_type="offline")
    assert unbound == {"count": 1}  # only the binding without a connector
    assert [b["event"] for b in await app.ok("event.get")] == [
        "ONCRMCOMPANYDELETE",
        "ONCRMDEALUPDATE",
        "ONOFFLINEEVENT",
    ]
    assert await app.ok("event.unbind", event="ONOFFLINEEVENT", handler=handler) == {"count": 1}


# -- the queue ---------------------------------------------------------------------------------


async def test_the_queue_keeps_the_latest_state_per_record_deletions_included(
    app: App, portal: Portal
) -> None:
    await app.bind("ONCRMDEALUPDATE", "ONCRMCOMPANYADD", "ONCRMCOMPANYDELETE", "ONTASKDELETE")
    deal, other = ids(portal, "deals")[:2]
    for round_ in range(50):
        portal.update("deals", deal, TITLE=f"round {round_}")
    portal.update("deals", other, TITLE="once")
    company = portal.add("companies", {"TITLE": "Мимолётная"})
    portal.delete("companies", company)
    task = ids(portal, "tasks")[0]
    portal.delete("tasks", task)
    portal.update("contacts", ids(portal, "contacts")[0], NAME="not bound")

    drained = await app.drain()
    assert drained["process_id"] is None  # clear=1: gone at once, nothing to confirm
    events = drained["events"]
    assert len(events) == 5
    assert all(list(e) == EVENT_KEYS for e in events)
    assert changes(events) == {
        ("ONCRMDEALUPDATE", Change("deals", str(deal))),
        ("ONCRMDEALUPDATE", Change("deals", str(other))),
        ("ONCRMCOMPANYADD", Change("companies", str(company))),
        ("ONCRMCOMPANYDELETE", Change("companies", str(company), deleted=True)),
        ("ONTASKDELETE", Change("tasks", str(task), deleted=True)),
    }
    first = events[0]
    assert first["EVENT_DATA"] == {"FIELDS": {"ID": deal}}
    assert first["TIMESTAMP_X"] == portal.iso()
    assert len(first["MESSAGE_ID"]) == 32 and int(first["MESSAGE_ID"], 16) >= 0
    assert first["EVENT_ADDITIONAL"] == {"user_id": "1"}
    assert [e["EVENT_DATA"] for e in events if e["EVENT_NAME"] == "ONTASKDELETE"] == [
        {
            "FIELDS_BEFORE": {"ID": task},
            "FIELDS_AFTER": "undefined",
            "IS_ACCESSIBLE_BEFORE": "undefined",
            "IS_ACCESSIBLE_AFTER": "N",
        }
    ]
    assert (await app.drain())["events"] == []


async def test_calls_and_users_reach_the_queue_with_their_data(app: App, portal: Portal) -> None:
    await app.bind("ONVOXIMPLANTCALLEND", "ONUSERADD", "ONCRMACTIVITYADD")
    call = add_call(portal, "+7 900 555-44-33", None, "missed")
    user = portal.add("users", {"ACTIVE": True, "NAME": "Ника", "UF_DEPARTMENT": [1]})
    events = (await app.drain())["events"]
    assert changes(events) == {
        ("ONVOXIMPLANTCALLEND", Change("calls", call["CALL_ID"])),
        ("ONUSERADD", Change("users", str(user))),
    }
    [ended] = [e["EVENT_DATA"] for e in events if e["EVENT_NAME"] == "ONVOXIMPLANTCALLEND"]
    assert ended["CALL_FAILED_CODE"] == "304" and ended["PORTAL_USER_ID"] == ""
    assert ended["CALL_START_DATE"] == portal.iso()


async def test_a_reservation_is_read_again_until_cleared(app: App, portal: Portal) -> None:
    await app.bind("ONCRMLEADUPDATE")
    leads = ids(portal, "leads")[:5]
    for lead in leads:
        portal.update("leads", lead, TITLE="a")
    first = await app.drain(clear=0, limit=2)
    process = first["process_id"]
    assert isinstance(process, str) and process
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in first["events"]] == leads[:2]
    # A crash before the clear: the same process id hands out the same rows again.
    again = await app.drain(clear=0, process_id=process)
    assert again == {"process_id": process, "events": first["events"]}
    # A change to a reserved record while it is being applied is kept, not merged away.
    portal.update("leads", leads[0], TITLE="b")
    rest = await app.drain(clear=0)
    assert sorted(e["EVENT_DATA"]["FIELDS"]["ID"] for e in rest["events"]) == sorted(
        [leads[0], *leads[2:]]
    )
    assert await app.ok("event.offline.clear", process_id=process) is True
    assert (await app.drain(clear=0, process_id=process))["events"] == []
    assert await app.ok("event.offline.clear", process_id=rest["process_id"]) is True
    assert (await app.drain())["events"] == []


async def test_parallel_drains_get_disjoint_sets(app: App, portal: Portal) -> None:
    await app.bind("ONCRMCONTACTUPDATE")
    contacts = ids(portal, "contacts")[:30]
    for contact in contacts:
        portal.update("contacts", contact, NAME="x")
    results = await asyncio.gather(*(app.drain(clear=0, limit=8) for _ in range(5)))
    seen = [e["EVENT_DATA"]["FIELDS"]["ID"] for r in results for e in r["events"]]
    assert sorted(seen) == sorted(contacts)  # 8+8+8+6+0: every row once
    assert len({r["process_id"] for r in results}) == 5


async def test_clear_by_message_id_and_mark_errors(app: App, portal: Portal) -> None:
    await app.bind("ONCRMDEALUPDATE")
    deals = ids(portal, "deals")[:3]
    for deal in deals:
        portal.update("deals", deal, TITLE="x")
    batch = await app.drain(clear=0)
    process = batch["process_id"]
    by_deal = {e["EVENT_DATA"]["FIELDS"]["ID"]: e["MESSAGE_ID"] for e in batch["events"]}
    done = await app.ok("event.offline.clear", process_id=process, message_id=[by_deal[deals[0]]])
    assert done is True
    left = await app.drain(clear=0, process_id=process)
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in left["events"]] == deals[1:]
    status, bad = await app.call("event.offline.clear", process_id=process, message_id=["short"])
    assert (status, bad["error"]) == (400, "ERROR_ARGUMENT")
    failed = by_deal[deals[1]]
    assert await app.ok("event.offline.error", process_id=process, message_id=[failed]) is True
    assert await app.ok("event.offline.clear", process_id=process) is True
    assert (await app.drain())["events"] == []  # the failed one waits in the error queue
    errors = await app.drain(error=1)
    assert [e["MESSAGE_ID"] for e in errors["events"]] == [failed]
    status, missing = await app.call("event.offline.error", message_id=[failed])
    assert (status, missing["error"]) == (400, "ERROR_ARGUMENT")


async def test_filter_order_limit_and_list(app: App, portal: Portal) -> None:
    await app.bind("ONCRMDEALUPDATE", "ONCRMLEADUPDATE")
    portal.update("deals", ids(portal, "deals")[0], TITLE="x")
    portal.update("leads", ids(portal, "leads")[0], TITLE="x")
    portal.update("deals", ids(portal, "deals")[1], TITLE="x")
    listed = await app.ok("event.offline.list")
    assert [(r["ID"], r["PROCESS_ID"], r["ERROR"]) for r in listed] == [
        ("1", "", "0"),
        ("2", "", "0"),
        ("3", "", "0"),
    ]
    only_leads = await app.drain(clear=0, filter={"=EVENT_NAME": "ONCRMLEADUPDATE"})
    assert [e["EVENT_NAME"] for e in only_leads["events"]] == ["ONCRMLEADUPDATE"]
    newest = await app.drain(clear=0, order={"ID": "DESC"}, limit=1)
    assert [e["ID"] for e in newest["events"]] == ["3"]
    reserved = {r["ID"]: r["PROCESS_ID"] for r in await app.ok("event.offline.list")}
    assert reserved == {
        "1": "",
        "2": only_leads["process_id"],
        "3": newest["process_id"],
    }
    status, zero = await app.call("event.offline.get", limit=0)
    assert (status, zero["error"]) == (400, "ERROR_ARGUMENT")
    status, bad = await app.call("event.offline.get", filter={"=PROCESS_ID": "x"})
    assert (status, bad["error"]) == (400, "ERROR_ARGUMENT")


# -- the auth_connector ------------------------------------------------------------------------


async def test_the_applications_own_writes_skip_its_connector(
    app: App, emu: Emulator, portal: Portal
) -> None:
    await app.bind("ONCRMDEALUPDATE", connector=CONNECTOR)
    await app.bind("ONCRMDEALUPDATE")  # a second consumer without a connector
    mine, theirs, hooked, webhook = ids(portal, "deals")[:4]
    fields = {"fields": {"TITLE": "написал бот"}}
    await app.ok("crm.deal.update", id=mine, auth_connector=CONNECTOR, **fields)
    await app.ok("crm.deal.update", id=theirs, **fields)
    reply = await app.http.patch(
        f"{emu.base_url}/_emulator/records/deals/{hooked}?auth_connector={CONNECTOR}",
        json={"TITLE": "хук от имени бота"},
    )
    assert reply.status_code == 200
    via_webhook = await app.http.post(
        emu.webhook_url + "crm.deal.update", json={"id": webhook, **fields}
    )
    assert via_webhook.json()["result"] is True
    assert portal.get("deals", mine)["TITLE"] == "написал бот"  # type: ignore[index]

    own = await app.drain(auth_connector=CONNECTOR)
    assert sorted(e["EVENT_DATA"]["FIELDS"]["ID"] for e in own["events"]) == sorted(
        [theirs, webhook]
    )
    others = await app.drain()
    assert sorted(e["EVENT_DATA"]["FIELDS"]["ID"] for e in others["events"]) == sorted(
        [mine, hooked, webhook]
    )
    # theirs was written by the app without a connector: not queued for "" either.
    state = (await app.http.get(emu.base_url + "/_emulator/offline")).json()
    assert state["rows"] == []
    assert [(b["event"], b["connector"]) for b in state["bindings"]] == [
        ("ONCRMDEALUPDATE", CONNECTOR),
        ("ONCRMDEALUPDATE", ""),
    ]


async def test_rest_writes_add_update_and_delete_records(app: App, portal: Portal) -> None:
    await app.bind("ONCRMCOMPANYADD", "ONCRMCOMPANYUPDATE", "ONCRMCOMPANYDELETE")
    company = await app.ok("crm.company.add", fields={"TITLE": "ООО «Новое»"})
    row = portal.get("companies", company)
    assert row is not None and row["TITLE"] == "ООО «Новое»"
    assert row["DATE_CREATE"] == row["DATE_MODIFY"] == portal.iso()
    assert await app.ok("crm.company.update", id=company, fields={"TITLE": "ООО «Старое»"})
    assert await app.ok("crm.company.delete", id=company) is True
    assert portal.get("companies", company) is None
    status, gone = await app.call("crm.company.delete", id=company)
    assert (status, gone["error_description"]) == (400, "Not found")
    status, empty = await app.call("crm.company.add", fields={})
    assert status == 400 and "fields" in empty["error_description"]
    # Written by the application itself without a connector: its "" queue stays empty.
    assert (await app.drain())["events"] == []


# -- online bindings ---------------------------------------------------------------------------


@pytest.fixture
async def handler_url() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        got.append(parse_str((await request.read()).decode()))
        return web.Response(text="ok")

    server = web.Application()
    server.router.add_post("/hook", receive)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield f"http://127.0.0.1:{port}/hook", got
    finally:
        await runner.cleanup()


async def test_online_bindings_get_events_and_the_offline_notice(
    portal: Portal, handler_url: tuple[str, list[dict[str, Any]]]
) -> None:
    url, got = handler_url
    async with (
        running_emulator(portal, rate_limit=False, events_delay=(0.01, 0.03)) as emu,
        httpx.AsyncClient(timeout=10) as http,
    ):
        app = App(http, emu, emu.issue_tokens()["access_token"])
        await app.bind("ONCRMDEALUPDATE")
        assert await app.ok("event.bind", event="ONCRMDEALUPDATE", handler=url) is True
        notice = {"event": "onOfflineEvent", "handler": url, "options": {"minTimeout": 60}}
        assert await app.ok("event.bind", **notice) is True
        deal = ids(portal, "deals")[0]
        portal.update("deals", deal, TITLE="a")
        portal.update("deals", deal, TITLE="b")
        await emu.events_delivered()
        online = [f for f in got if f["event"] == "ONCRMDEALUPDATE"]
        notices = [f for f in got if f["event"] == "ONOFFLINEEVENT"]
        assert len(online) == 2  # one POST per change; the queue keeps one row
        assert len(notices) == 1  # then none for minTimeout seconds
        assert len((await app.drain())["events"]) == 1
        ids_by_event = {b.event: b.id for b in emu.offline.bindings if not b.offline}
        first = online[0]
        assert first["data"] == {"FIELDS": {"ID": str(deal)}}
        assert first["event_handler_id"] == str(ids_by_event["ONCRMDEALUPDATE"])
        assert notices[0]["event_handler_id"] == str(ids_by_event["ONOFFLINEEVENT"])
        assert notices[0]["data"] == {"APP_LIST": ["1"]}
        auth = first["auth"]
        assert list(auth) == [
            "access_token",
            "expires_in",
            "scope",
            "domain",
            "server_endpoint",
            "status",
            "client_endpoint",
            "member_id",
            "application_token",
        ]
        assert (auth["application_token"], auth["status"]) == (emu.settings.app_token, "L")
        assert auth["client_endpoint"] == emu.rest_url
        # The event's own token works for REST, as the portal's does.
        assert await App(http, emu, auth["access_token"]).ok("server.time")
        assert not emu.events.active  # the outbound webhook stays off
