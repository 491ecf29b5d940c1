"""The emulator's HTTP side: routing, credentials, scopes, limits, faults and the stats endpoint.

Each test runs a real server on 127.0.0.1 over a small generated portal whose clock is frozen,
and talks to it with httpx (raw replies) or with ``BitrixClient`` (retries, redirects).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from crm import methods
from crm.client import BitrixClient
from crm.errors import AuthError, ScopeError, TransportError
from crm.pacing import LeakyBucket, OperatingBudget
from emulator.data import PortalData
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from emulator.srv_faults import FaultKind

TODAY = date(2026, 3, 18)


@pytest.fixture(scope="module")
def data() -> PortalData:
    return generate(7, "small", TODAY)


@pytest.fixture
def portal(data: PortalData) -> Portal:
    frozen = datetime.fromisoformat(data.as_of)
    return Portal(data, now=lambda: frozen)


@pytest.fixture
async def emu(portal: Portal) -> AsyncIterator[Emulator]:
    async with running_emulator(portal, rate_limit=False) as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def post(
    http: httpx.AsyncClient, emu: Emulator, method: str, params: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    response = await http.post(emu.webhook_url + method, json=params or {})
    return response.status_code, response.json()


class FakeClock:
    """Wall time that moves only when the client sleeps: retries wait for nothing."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def client_for(http: httpx.AsyncClient, url: str, **kwargs: Any) -> BitrixClient:
    clock = FakeClock()
    pacer = LeakyBucket(rate=1000, burst=1000, clock=clock, sleep=clock.sleep)
    budget = OperatingBudget(clock=clock, sleep=clock.sleep)
    return BitrixClient(http, url, pacer=pacer, budget=budget, sleep=clock.sleep, **kwargs)


# --- routing and credentials -----------------------------------------------------------------


async def test_every_reply_carries_the_time_block(emu: Emulator, http: httpx.AsyncClient) -> None:
    status, body = await post(http, emu, "server.time")
    assert status == 200
    assert body["result"] == "2026-03-18T12:00:00+03:00"
    assert {"start", "finish", "duration", "operating", "operating_reset_at"} <= set(body["time"])
    status, body = await post(http, emu, "no.such.method")
    assert (status, body["error"]) == (404, "ERROR_METHOD_NOT_FOUND")
    assert "time" in body


async def test_get_with_json_suffix_and_php_brackets(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    query = "filter[>ID]=10&select[]=ID&select[]=TITLE&order[ID]=DESC&start=-1"
    response = await http.get(emu.webhook_url + "crm.deal.list.json?" + query)
    rows = response.json()["result"]
    assert rows[0]["ID"] == data.tables["deals"][-1]["ID"]
    assert set(rows[0]) == {"ID", "TITLE"}
    form = await http.post(emu.webhook_url + "crm.deal.get", data={"id": "3"})
    assert form.json()["result"]["ID"] == "3"


async def test_wrong_code_or_user_is_401_and_the_code_is_not_echoed(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    wrong = emu.base_url + "/rest/1/wrongSecret123/server.time"
    response = await http.post(wrong)
    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_CREDENTIALS"
    assert "wrongSecret123" not in response.text
    response = await http.post(emu.base_url + "/rest/2/testcode/server.time")
    assert response.status_code == 401
    # The user id missing from the path: the portal calls that an unknown method.
    response = await http.post(emu.base_url + "/rest/testcode/server.time")
    assert (response.status_code, response.json()["error"]) == (404, "ERROR_METHOD_NOT_FOUND")
    with pytest.raises(AuthError):
        await client_for(http, emu.base_url + "/rest/1/wrongSecret123/").call("server.time")


async def test_a_method_outside_the_webhook_scopes_is_refused(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    async with running_emulator(portal, rate_limit=False, scopes=frozenset({"crm"})) as emu:
        status, body = await post(http, emu, "user.get")
        assert (status, body["error"]) == (401, "insufficient_scope")
        assert (await post(http, emu, "crm.deal.list"))[0] == 200
        assert (await post(http, emu, "server.time"))[0] == 200
        status, body = await post(http, emu, "scope")
        assert body["result"] == ["crm"]
        batch = {"cmd": {"a": "user.get", "b": "crm.status.list"}}
        status, body = await post(http, emu, "batch", batch)
        assert body["result"]["result_error"]["a"]["error"] == "insufficient_scope"
        assert "b" in body["result"]["result"]
        with pytest.raises(ScopeError):
            await client_for(http, emu.webhook_url).call("user.get")


async def test_a_moved_portal_redirects_and_the_client_keeps_the_new_address(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    async with (
        running_emulator(portal, rate_limit=False) as new,
        running_emulator(portal, rate_limit=False, moved_to=new.base_url) as old,
    ):
        response = await http.post(old.webhook_url + "server.time?x=1")
        assert response.status_code == 302
        assert response.headers["location"] == new.webhook_url + "server.time?x=1"
        client = client_for(http, old.webhook_url)
        portal.stats.reset()
        await client.call("server.time")
        await client.call("server.time")
        assert client.requests == 3  # one redirect, then straight to the new address
        assert portal.stats.per_status[302] == 1


# --- paging ----------------------------------------------------------------------------------


async def test_offset_pages_have_total_and_next(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    deals = data.tables["deals"]
    _, first = await post(http, emu, "crm.deal.list", {"order": {"ID": "ASC"}, "start": 0})
    assert (len(first["result"]), first["total"], first["next"]) == (50, len(deals), 50)
    # Legacy methods turn start into a page number: 55 reads the second page.
    _, second = await post(http, emu, "crm.deal.list", {"order": {"ID": "ASC"}, "start": 55})
    assert second["result"][0]["ID"] == deals[50]["ID"]
    last_start = (len(deals) - 1) // 50 * 50
    _, last = await post(http, emu, "crm.deal.list", {"start": last_start})
    assert "next" not in last
    assert len(last["result"]) == len(deals) - last_start


async def test_fast_mode_counts_nothing_and_has_no_next(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    after = int(data.tables["deals"][99]["ID"])
    params = {"order": {"ID": "ASC"}, "filter": {">ID": after}, "start": -1}
    _, body = await post(http, emu, "crm.deal.list", params)
    assert body["total"] == 0
    assert "next" not in body
    assert [row["ID"] for row in body["result"]] == [
        r["ID"] for r in data.tables["deals"][100:150]
    ]


@pytest.mark.parametrize(
    ("spec", "table"),
    [
        (methods.ACTIVITIES, "activities"),
        (methods.CALLS, "calls"),
        (methods.TASKS, "tasks"),
        (methods.USERS, "users"),
        (methods.DEPARTMENTS, "departments"),
        (methods.DEAL_CATEGORIES, "deal_categories"),
        (methods.STATUSES, "statuses"),
    ],
)
async def test_the_client_reads_every_row_of_each_list(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData, spec: methods.ListSpec, table: str
) -> None:
    client = client_for(http, emu.webhook_url)
    seen = [spec.id_of(row) async for chunk in client.iter_pages(spec) for row in chunk]
    assert sorted(seen) == sorted(spec.id_of(row) for row in data.tables[table])
    assert len(seen) == len(set(seen))
    if spec.keyset:  # 50 chained pages per request
        assert client.requests == len(seen) // 2500 + 1


# --- filters and order -----------------------------------------------------------------------


async def test_crm_filters_order_and_unknown_fields(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    deals = data.tables["deals"]
    flt = {"STAGE_SEMANTIC_ID": "S", ">=OPPORTUNITY": "100000"}
    params = {"filter": flt, "order": {"OPPORTUNITY": "DESC"}, "select": ["ID", "OPPORTUNITY"]}
    _, body = await post(http, emu, "crm.deal.list", params)
    won = [
        d
        for d in deals
        if d["STAGE_SEMANTIC_ID"] == "S" and float(d["OPPORTUNITY"] or 0) >= 100000
    ]
    assert body["total"] == len(won) > 0
    amounts = [float(row["OPPORTUNITY"]) for row in body["result"]]
    assert amounts == sorted(amounts, reverse=True)
    # A typo in a field name is dropped silently: every row comes back.
    _, body = await post(http, emu, "crm.deal.list", {"filter": {"STAGE_SEMANTIK": "S"}})
    assert body["total"] == len(deals)
    # Multi-fields only when named.
    _, body = await post(http, emu, "crm.company.list", {"start": -1})
    assert "PHONE" not in body["result"][0]
    _, body = await post(http, emu, "crm.company.list", {"select": ["ID", "PHONE", "UF_*"]})
    assert set(body["result"][0]) == {"ID", "PHONE", data.key_client_field}


async def test_user_get_lists_fired_users_unless_active_is_asked(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    fired = {str(i) for i in data.cases["fired_users"]}
    assert fired
    _, everyone = await post(http, emu, "user.get", {"sort": "ID", "order": "DESC"})
    ids = [row["ID"] for row in everyone["result"]]
    assert fired <= set(ids)
    assert ids == sorted(ids, key=int, reverse=True)
    _, active = await post(http, emu, "user.get", {"FILTER": {"ACTIVE": True}, "ADMIN_MODE": 1})
    assert not fired & {row["ID"] for row in active["result"]}
    assert active["total"] == len(data.tables["users"]) - len(fired)


async def test_department_get_filters_by_top_level_parameters(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    children = [d["ID"] for d in data.tables["departments"] if d.get("PARENT") == "1"]
    params = {"PARENT": "1", "sort": "ID", "order": "ASC", "START": 0}
    _, body = await post(http, emu, "department.get", params)
    assert [row["ID"] for row in body["result"]] == children


async def test_statistic_get_honours_only_exact_sort_and_order(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    asked = {"FILTER": {">ID": 0}, "SORT": "ID", "start": -1}
    _, body = await post(http, emu, "voximplant.statistic.get", {**asked, "ORDER": "ASC"})
    ids = [int(row["ID"]) for row in body["result"]]
    assert ids == sorted(ids)
    _, body = await post(http, emu, "voximplant.statistic.get", {**asked, "ORDER": "asc"})
    assert [int(row["ID"]) for row in body["result"]] != ids  # ignored: not in id order
    # A range longer than 30 days yields only its newest 30 days.
    window = {">=CALL_START_DATE": "2025-12-01T00:00:00+03:00"}
    params = {"FILTER": window, "SORT": "ID", "ORDER": "ASC", "start": 0}
    _, body = await post(http, emu, "voximplant.statistic.get", params)
    recent = [c for c in data.tables["calls"] if c["CALL_START_DATE"] >= "2026-02-16T12:00:00"]
    assert body["total"] == len(recent)


async def test_tasks_speak_upper_case_in_and_camel_case_out(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    tasks = data.tables["tasks"]
    since = tasks[len(tasks) // 2]["changedDate"]
    params = {
        "filter": {">ID": 5, ">=CHANGED_DATE": since},
        "select": ["ID", "TITLE", "STATUS"],
    }
    _, body = await post(http, emu, "tasks.task.list", params)
    rows = body["result"]["tasks"]
    assert set(rows[0]) == {"id", "title", "status", "subStatus"}
    ids = [int(row["id"]) for row in rows]
    assert ids == sorted(ids, reverse=True)  # the default order is ID descending
    want = [t for t in tasks if int(t["id"]) > 5 and t["changedDate"] >= since]
    assert body["total"] == len(want)
    overdue = {"filter": {"STATUS": -1}, "order": {"ID": "ASC"}, "start": -1}
    _, body = await post(http, emu, "tasks.task.list", overdue)
    assert all(row["subStatus"] == "-1" for row in body["result"]["tasks"])


async def test_category_list_wants_an_entity_type(emu: Emulator, http: httpx.AsyncClient) -> None:
    _, body = await post(http, emu, "crm.category.list", {"entityTypeId": 2, "start": 0})
    categories = body["result"]["categories"]
    assert categories[-1]["id"] == 0  # the default pipeline is listed last
    _, body = await post(http, emu, "crm.category.list", {"entityTypeId": 1})
    assert body["result"] == {"categories": []}
    status, _ = await post(http, emu, "crm.category.list")
    assert status == 400


# --- batch -----------------------------------------------------------------------------------


async def test_batch_resolves_references_in_order(
    emu: Emulator, http: httpx.AsyncClient, data: PortalData
) -> None:
    cmd = {
        "a": "crm.deal.list?order%5BID%5D=ASC&start=-1",
        "b": "crm.deal.list?order%5BID%5D=ASC&start=-1&filter%5B%3EID%5D=$result[a][49][ID]",
        "c": "crm.deal.list?start=$next[d]",
        "d": "crm.deal.list?start=0&select%5B0%5D=ID",
        "e": "crm.deal.get?id=$result[d][0][ID]",
    }
    _, body = await post(http, emu, "batch", {"halt": 0, "cmd": cmd})
    result = body["result"]
    deals = data.tables["deals"]
    assert result["result"]["b"][0]["ID"] == deals[50]["ID"]
    assert result["result_total"]["d"] == len(deals)
    assert result["result_next"] == {"c": 50, "d": 50}  # none in fast mode
    # $next[d] is unknown when c runs: PHP leaves the text, intval gives page 1.
    assert result["result"]["c"][0]["ID"] == deals[0]["ID"]
    assert result["result"]["e"]["ID"] == deals[0]["ID"]
    assert result["result_error"] == []
    assert set(result["result_time"]) == set(cmd)
    assert emu.portal.stats.per_method["crm.deal.list"] == 4


async def test_batch_halt_stops_at_the_first_error(emu: Emulator, http: httpx.AsyncClient) -> None:
    cmd = {"a": "server.time", "b": "no.such", "c": "server.time"}
    _, halted = await post(http, emu, "batch", {"halt": 1, "cmd": cmd})
    assert set(halted["result"]["result"]) == {"a"}
    assert halted["result"]["result_error"]["b"]["error"] == "ERROR_METHOD_NOT_FOUND"
    _, going = await post(http, emu, "batch", {"halt": 0, "cmd": cmd})
    assert set(going["result"]["result"]) == {"a", "c"}
    form = {f"cmd[{key}]": value for key, value in cmd.items()} | {"halt": "1"}
    as_form = await http.post(emu.webhook_url + "batch", data=form)
    assert as_form.json()["result"]["result"] == halted["result"]["result"]
    status, body = await post(http, emu, "batch", {"cmd": {f"k{i}": "scope" for i in range(51)}})
    assert (status, body["error"]) == (400, "ERROR_BATCH_LENGTH_EXCEEDED")
    _, body = await post(http, emu, "batch", {"cmd": {"x": "batch?cmd[y]=scope"}})
    assert body["result"]["result_error"]["x"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


# --- limits ----------------------------------------------------------------------------------


async def test_the_bucket_lets_50_through_then_answers_503(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    # A slow drain makes the count exact whatever the machine's speed.
    async with running_emulator(portal, rate=0.001) as emu:
        batch = {"cmd": {f"c{i}": "server.time" for i in range(50)}}
        statuses = [(await post(http, emu, "batch", batch))[0]]
        statuses += [(await post(http, emu, "server.time"))[0] for _ in range(49)]
        assert statuses == [200] * 50  # a batch of 50 commands is one request
        status, body = await post(http, emu, "server.time")
        assert (status, body["error"]) == (503, "QUERY_LIMIT_EXCEEDED")
        stats = (await http.get(emu.base_url + "/_emulator/stats")).json()
        assert stats["http_503"] == 1
        assert stats["requests"] == 51
        assert stats["per_method"] == {"batch": 1, "server.time": 99}


async def test_a_burst_above_the_limit_meets_503s(portal: Portal, http: httpx.AsyncClient) -> None:
    async with running_emulator(portal) as emu:  # 2 per second, 50 at once
        started = time.monotonic()
        replies = await asyncio.gather(*(post(http, emu, "server.time") for _ in range(70)))
        drained = 2 * (time.monotonic() - started)
        ok = sum(status == 200 for status, _ in replies)
        assert 50 <= ok <= 50 + drained + 1
        assert {body["error"] for status, body in replies if status != 200} == {
            "QUERY_LIMIT_EXCEEDED"
        }
        assert emu.portal.stats.http_503 == 70 - ok


async def test_a_client_paced_like_the_portal_never_meets_a_503(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    async with running_emulator(portal, rate=20, burst=10) as emu:
        # One request of headroom: the first request's connect time delays the portal's drain
        # behind the client's, so pacing to the exact burst meets an occasional 503.
        client = BitrixClient(http, emu.webhook_url, pacer=LeakyBucket(rate=20, burst=9))
        for _ in range(25):  # 9 at once, then 20 a second: about 0.8 s
            await client.call("server.time")
        assert emu.portal.stats.per_status == {200: 25}


async def test_the_operating_meter_blocks_a_busy_method(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    # A counted page of deals costs about 0.008 s: the third one crosses 0.02.
    async with running_emulator(portal, rate_limit=False, operating_limit=0.02) as emu:
        replies = [await post(http, emu, "crm.deal.list", {"start": 0}) for _ in range(4)]
        assert [status for status, _ in replies] == [200, 200, 200, 429]
        status, body = replies[-1]
        assert (status, body["error"]) == (429, "OPERATION_TIME_LIMIT")
        assert body["time"]["operating_reset_at"] > body["time"]["start"]
        assert (await post(http, emu, "crm.lead.list"))[0] == 200  # other methods go on


# --- faults ----------------------------------------------------------------------------------


async def test_injected_faults_are_retried_by_the_client(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    client = client_for(http, emu.webhook_url, max_retries=4)
    emu.faults.add(FaultKind.RATE_LIMIT, "server.time")
    emu.faults.add(FaultKind.SERVER_ERROR, "server.time")
    emu.faults.add(FaultKind.DROP, "server.time")
    emu.faults.add(FaultKind.OPERATION_LIMIT, "server.time")
    await client.server_time()
    assert client.requests == 5
    assert dict(emu.faults.injected) == {
        "rate_limit": 1,
        "server_error": 1,
        "drop": 1,
        "operation_limit": 1,
    }
    assert emu.portal.stats.per_status == {503: 1, 500: 1, 0: 1, 429: 1, 200: 1}
    emu.faults.add(FaultKind.DROP, times=3)
    with pytest.raises(TransportError):
        await client_for(http, emu.webhook_url, max_retries=2).call("scope")
    assert emu.faults.pending == 0


async def test_faults_aimed_at_a_batch_command(emu: Emulator, http: httpx.AsyncClient) -> None:
    emu.faults.add(FaultKind.SERVER_ERROR, "crm.lead.list")
    cmd = {"a": "crm.deal.list", "b": "crm.lead.list", "c": "crm.lead.list"}
    status, body = await post(http, emu, "batch", {"cmd": cmd})
    assert status == 200
    assert body["result"]["result_error"]["b"]["error"] == "INTERNAL_SERVER_ERROR"
    assert set(body["result"]["result"]) == {"a", "c"}
    emu.faults.add(FaultKind.RATE_LIMIT, "crm.lead.list")
    status, body = await post(http, emu, "batch", {"cmd": cmd})
    assert (status, body["error"]) == (503, "QUERY_LIMIT_EXCEEDED")
    client = client_for(http, emu.webhook_url)
    emu.faults.add(FaultKind.SERVER_ERROR, "crm.status.list", times=2)
    results = await client.call_many("crm.status.list", [{"start": 0}, {"start": 50}])
    assert len(results[0]) == 40
    assert results[1] == []


async def test_stats_endpoint_and_reset(emu: Emulator, http: httpx.AsyncClient) -> None:
    await post(http, emu, "server.time")
    await post(http, emu, "batch", {"cmd": {"a": "scope", "b": "crm.deal.list"}})
    stats = (await http.get(emu.base_url + "/_emulator/stats")).json()
    assert stats["requests"] == 2
    assert stats["per_method"] == {"server.time": 1, "batch": 1, "scope": 1, "crm.deal.list": 1}
    assert stats["per_status"] == {"200": 2}
    reset = await http.post(emu.base_url + "/_emulator/stats/reset")
    assert reset.json()["requests"] == 0
    added = await http.post(
        emu.base_url + "/_emulator/faults", json={"kind": "server_error", "times": 2}
    )
    assert added.json() == {"pending": 2}
    assert (await http.delete(emu.base_url + "/_emulator/faults")).json() == {"pending": 0}
