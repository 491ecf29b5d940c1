"""BitrixClient against a fake portal on httpx.MockTransport.

The fake understands just enough of Bitrix24: list methods with ``>ID`` filters, ``start=-1``
and offsets, and ``batch`` with ``parse_str`` and ``$result[...]`` substitution done the way the
core does it (a reference to a row that does not exist yields whatever was found on the way).
Time is a fake clock: nothing here really sleeps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from crm.client import USER_AGENT, BitrixClient
from crm.errors import (
    AuthError,
    BadRequest,
    BatchError,
    BitrixError,
    MethodNotFound,
    OperationTimeLimit,
    RateLimited,
    ScopeError,
    ServerError,
    TransportError,
)
from crm.methods import CALLS, DEAL_CATEGORIES, DEALS, DEPARTMENTS, TASKS, USERS, ListSpec
from crm.pacing import LeakyBucket, OperatingBudget

EPOCH = 1_700_000_000.0
TOKEN = "s3cr3tW3bh00kC0de"
BASE = f"https://old.example.bitrix24.ru/rest/1/{TOKEN}/"
NEW_HOST = "new.example.bitrix24.ru"
Reply = httpx.Response | Exception

# Each list method the fake serves: (table, filter param, id key, wrapper key or None).
METHODS = {
    "crm.deal.list": ("deals", "filter", "ID", None),
    "tasks.task.list": ("tasks", "filter", "id", "tasks"),
    "voximplant.statistic.get": ("calls", "FILTER", "ID", None),
    "user.get": ("users", "FILTER", "ID", None),
    "department.get": ("departments", None, "ID", None),
    "crm.category.list": ("categories", "filter", "id", "categories"),
}


class FakeClock:
    def __init__(self) -> None:
        self.now = EPOCH
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def php_parse(query: str) -> dict[str, Any]:
    """PHP's parse_str, for the bracketed keys our encoder makes."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        path = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def substitute(value: Any, done: dict[str, Any]) -> Any:
    """The core's processBatchElement: walk the path as far as it exists, take what is there."""
    if isinstance(value, dict):
        return {k: substitute(v, done) for k, v in value.items()}
    match = re.fullmatch(r"\$result\[([^\]]+)\](.*)", value) if isinstance(value, str) else None
    if match is None or match[1] not in done:
        return value
    node = done[match[1]]
    for part in re.findall(r"\[([^\]]+)\]", match[2]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            break
    return node


class FakePortal:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in METHODS.values()}
        self.seen: list[httpx.Request] = []
        self.script: list[Reply] = []  # replies served before normal handling, in order
        self.sub_failures: dict[int, dict[str, Any]] = {}  # list sub-call number -> error body
        self.list_calls = 0
        self.host = "old.example.bitrix24.ru"
        self.moved_to: str | None = None
        self.ignore_id_filter = False
        self.refuse_bad_filter = False  # answer an unreadable >ID with an error, not garbage

    def fill(self, table: str, ids: list[int]) -> None:
        id_key = next(idk for name, _, idk, _ in METHODS.values() if name == table)
        self.tables[table] = [{id_key: str(i), "TITLE": f"row {i}"} for i in ids]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.script:
            scripted = self.script.pop(0)
            if isinstance(scripted, Exception):
                raise scripted
            return scripted
        prefix = f"/rest/1/{TOKEN}/"
        assert request.url.path.startswith(prefix)
        method = request.url.path[len(prefix) :].removesuffix(".json")
        if self.moved_to and request.url.host != self.moved_to:
            return httpx.Response(
                302, headers={"Location": f"https://{self.moved_to}{request.url.path}"}
            )
        body = json.loads(request.content or b"{}")
        if method == "batch":
            return httpx.Response(200, json=self.batch(body))
        status, reply = self.dispatch(method, body)
        return httpx.Response(status, json=reply)

    def timing(self) -> dict[str, Any]:
        return {
            "start": self.clock.now,
            "operating": 0.5,
            "operating_reset_at": self.clock.now + 600,
        }

    def dispatch(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "server.time":
            return 200, {"result": "2026-03-01T09:30:00+03:00", "time": self.timing()}
        if method not in METHODS:
            return 404, {
                "error": "ERROR_METHOD_NOT_FOUND",
                "error_description": "Method not found!",
            }
        self.list_calls += 1
        if self.list_calls in self.sub_failures:
            return 400, self.sub_failures.pop(self.list_calls)
        table, filter_param, id_key, wrapper = METHODS[method]
        flt = params if filter_param is None else params.get(filter_param, {})
        bound_key = ">id" if ">id" in flt else ">ID"
        bound = flt.get(bound_key, -1)
        if not isinstance(bound, str | int) or not str(bound).lstrip("-").isdigit():
            if self.refuse_bad_filter:
                return 400, {"error": "", "error_description": "Invalid filter value"}
            bound = 0  # the portal may also drop a filter it cannot read
        if self.ignore_id_filter:
            bound = 0
        rows = [r for r in self.tables[table] if int(r[id_key]) > int(bound)]
        start = int(params.get("start", params.get("START", 0)))
        reply: dict[str, Any] = {"time": self.timing()}
        if start < 0:
            page = rows[:50]
        else:
            page = rows[start : start + 50]
            reply["total"] = len(rows)
            if start + 50 < len(rows):
                reply["next"] = start + 50
        reply["result"] = {wrapper: page} if wrapper else page
        return 200, reply

    def batch(self, body: dict[str, Any]) -> dict[str, Any]:
        halt = str(body.get("halt")) in ("1", "true", "True", "Y")
        done: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        times: dict[str, Any] = {}
        for key, command in body["cmd"].items():
            method, _, query = command.partition("?")
            status, reply = self.dispatch(method, substitute(php_parse(query), done))
            if status != 200:
                errors[key] = reply
                if halt:
                    break
                continue
            done[key] = reply["result"]
            times[key] = reply["time"]
        # PHP sends empty members as [].
        inner: dict[str, Any] = {
            "result": done or [],
            "result_error": errors or [],
            "result_time": times or [],
        }
        return {"result": inner, "time": self.timing()}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def portal(clock: FakeClock) -> FakePortal:
    return FakePortal(clock)


@pytest.fixture
async def make_client(
    portal: FakePortal, clock: FakeClock
) -> AsyncIterator[Callable[..., BitrixClient]]:
    clients: list[httpx.AsyncClient] = []

    def make(**kwargs: Any) -> BitrixClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(portal.handler))
        clients.append(http)
        kwargs.setdefault("pacer", LeakyBucket(clock=clock, sleep=clock.sleep))
        kwargs.setdefault("budget", OperatingBudget(clock=clock, sleep=clock.sleep))
        return BitrixClient(http, BASE, sleep=clock.sleep, **kwargs)

    yield make
    for http in clients:
        await http.aclose()


async def read_all(
    client: BitrixClient, spec: ListSpec, **kwargs: Any
) -> list[list[dict[str, Any]]]:
    return [chunk async for chunk in client.iter_pages(spec, **kwargs)]


def error(status: int, code: object, description: str = "", **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "error_description": description, **extra})


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        assert BASE.rstrip("/") not in text


def spaced_ids(n: int) -> list[int]:
    # Gaps between ids, as deletions leave them.
    return [3 * i + 1 for i in range(n)]


# --- keyset listing ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 49, 50, 51, 2499, 2500, 2501, 5000, 7777])
async def test_full_read_costs_one_request_per_2500_rows(
    portal: FakePortal, make_client: Callable[..., BitrixClient], n: int
) -> None:
    ids = spaced_ids(n)
    portal.fill("deals", ids)
    client = make_client()
    chunks = await read_all(client, DEALS)
    got = [int(row["ID"]) for chunk in chunks for row in chunk]
    assert got == ids  # every row once, ascending
    assert client.requests == n // 2500 + 1
    assert client.by_method == {"batch": n // 2500 + 1}
    assert [len(c) for c in chunks] == [2500] * (n // 2500) + ([n % 2500] if n % 2500 else [])


@pytest.mark.parametrize("refuse", [False, True])
async def test_chain_after_a_short_page_is_ignored_even_when_it_returns_garbage(
    portal: FakePortal, make_client: Callable[..., BitrixClient], refuse: bool
) -> None:
    # 120 rows: page 3 is short, page 4 references a missing row 49 and the fake (like the
    # core) substitutes the whole page list; then the filter is either dropped (rows restart
    # at 1) or refused with an error that halts the batch.
    portal.fill("deals", spaced_ids(120))
    portal.refuse_bad_filter = refuse
    client = make_client()
    chunks = await read_all(client, DEALS)
    assert [int(r["ID"]) for r in chunks[0]] == spaced_ids(120)
    assert len(chunks) == 1 and client.requests == 1
    assert portal.list_calls == (4 if refuse else 50)  # the portal did run garbage pages
    batch = json.loads(portal.seen[0].content)
    assert batch["halt"] == 1
    first, second = list(batch["cmd"])[:2]  # keys are the listing's own: q1_c0001, ...
    assert f"&filter%5B%3EID%5D=$result[{first}][49][ID]" in batch["cmd"][second]


async def test_tasks_rows_are_nested_and_camel_case(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("tasks", spaced_ids(2600))
    client = make_client()
    chunks = await read_all(client, TASKS, select=["ID", "STATUS"])
    assert [int(r["id"]) for c in chunks for r in c] == spaced_ids(2600)
    assert client.requests == 2
    cmd = json.loads(portal.seen[0].content)["cmd"]
    first, second = list(cmd)[:2]
    assert f"$result[{first}][tasks][49][id]" in cmd[second]
    assert php_parse(cmd[first].partition("?")[2])["select"] == {"0": "ID", "1": "STATUS"}


async def test_filter_after_id_and_dialects_reach_the_portal(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("calls", spaced_ids(300))
    portal.fill("users", spaced_ids(10))
    client = make_client()
    chunks = await read_all(
        client, CALLS, filter={"CALL_TYPE": 2, "PHONE_NUMBER": None}, after_id=100
    )
    assert [int(r["ID"]) for c in chunks for r in c] == [i for i in spaced_ids(300) if i > 100]
    first = php_parse(
        next(iter(json.loads(portal.seen[0].content)["cmd"].values())).partition("?")[2]
    )
    assert first == {
        "SORT": "ID",
        "ORDER": "ASC",
        "FILTER": {"CALL_TYPE": "2", ">ID": "100"},
        "start": "-1",
    }
    users = await read_all(client, USERS, pages_per_request=1)
    assert len(users) == 1 and len(users[0]) == 10
    cmd = json.loads(portal.seen[-1].content)["cmd"]
    assert len(cmd) == 1
    assert php_parse(next(iter(cmd.values())).partition("?")[2])["sort"] == "ID"


async def test_few_pages_per_request(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("deals", spaced_ids(260))
    client = make_client()
    chunks = await read_all(client, DEALS, pages_per_request=2)
    assert [len(c) for c in chunks] == [100, 100, 60]
    assert client.requests == 3


async def test_a_method_ignoring_the_id_filter_stops_without_duplicates(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("deals", spaced_ids(500))
    portal.ignore_id_filter = True
    client = make_client()
    chunks = await read_all(client, DEALS)
    got = [int(r["ID"]) for c in chunks for r in c]
    assert got == spaced_ids(50)
    assert client.requests == 1


async def test_unsorted_pages_are_refused_rather_than_losing_rows(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("deals", spaced_ids(80))
    portal.tables["deals"].reverse()
    client = make_client()
    with pytest.raises(BitrixError, match="ascending"):
        await read_all(client, DEALS)


async def test_operation_time_limit_mid_chain_waits_for_reset_and_resumes(
    portal: FakePortal, make_client: Callable[..., BitrixClient], clock: FakeClock
) -> None:
    portal.fill("deals", spaced_ids(400))
    reset_at = EPOCH + 120
    portal.sub_failures[3] = {
        "error": "OPERATION_TIME_LIMIT",
        "error_description": "Method is blocked due to operation time limit.",
    }
    client = make_client()
    # The last good reply said when the oldest minute of the budget frees.
    portal.timing = lambda: {"operating": 300.0, "operating_reset_at": reset_at}  # type: ignore[method-assign]
    chunks = await read_all(client, DEALS)
    assert [len(c) for c in chunks] == [100, 300]
    assert [int(r["ID"]) for c in chunks for r in c] == spaced_ids(400)
    assert client.requests == 2
    assert clock.now >= reset_at
    resumed = next(iter(json.loads(portal.seen[1].content)["cmd"].values()))
    assert php_parse(resumed.partition("?")[2])["filter"] == {">ID": str(spaced_ids(400)[99])}


async def test_server_error_mid_chain_backs_off_then_resumes(
    portal: FakePortal, make_client: Callable[..., BitrixClient], clock: FakeClock
) -> None:
    portal.fill("deals", spaced_ids(200))
    portal.sub_failures[1] = {"error": "INTERNAL_SERVER_ERROR", "error_description": "oops"}
    client = make_client()
    chunks = await read_all(client, DEALS)
    assert [int(r["ID"]) for c in chunks for r in c] == spaced_ids(200)
    assert clock.sleeps == [0.5]
    assert client.requests == 2


async def test_scope_error_in_a_chain_names_the_scope(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("calls", spaced_ids(10))
    portal.sub_failures[1] = {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the token",
    }
    client = make_client()
    with pytest.raises(ScopeError, match="'telephony' scope") as caught:
        await read_all(client, CALLS)
    assert caught.value.scope == "telephony"
    assert client.requests == 1
    assert_no_secret(str(caught.value))


async def test_offset_listing_for_methods_without_keyset(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("departments", list(range(1, 121)))
    client = make_client()
    chunks = await read_all(client, DEPARTMENTS)
    assert [len(c) for c in chunks] == [50, 50, 20]
    # A page a request, each one command of a batch it may share with other listings.
    assert client.by_method == {"batch": 3}
    sent = [
        php_parse(next(iter(json.loads(r.content)["cmd"].values())).partition("?")[2])
        for r in portal.seen
    ]
    assert [s["START"] for s in sent] == ["0", "50", "100"]
    assert sent[0]["sort"] == "ID" and sent[0]["order"] == "ASC"

    portal.tables["categories"] = [{"id": 9}, {"id": 10}, {"id": 0}]  # display order
    cats = await read_all(client, DEAL_CATEGORIES)
    assert [r["id"] for r in cats[0]] == [0, 9, 10]
    last = next(iter(json.loads(portal.seen[-1].content)["cmd"].values()))
    assert php_parse(last.partition("?")[2]) == {"entityTypeId": "2", "start": "0"}
    later = await read_all(client, DEAL_CATEGORIES, after_id=9)
    assert [r["id"] for r in later[0]] == [10]


# --- retries ----------------------------------------------------------------------------


async def test_rate_limit_is_retried_with_backoff_and_logged_without_the_url(
    portal: FakePortal,
    make_client: Callable[..., BitrixClient],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    portal.script = [
        error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"),
        error(429, "QUERY_LIMIT_EXCEEDED", "Too many requests"),
    ]
    client = make_client()
    with caplog.at_level(logging.DEBUG, logger="crm"):
        assert await client.call("server.time") == "2026-03-01T09:30:00+03:00"
    assert client.requests == 3
    assert clock.sleeps[:2] == [0.5, 1.0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "QUERY_LIMIT_EXCEEDED" in warnings[0].getMessage()
    assert_no_secret(caplog.text)


async def test_server_errors_are_retried_until_max_retries(
    portal: FakePortal, make_client: Callable[..., BitrixClient], clock: FakeClock
) -> None:
    portal.script = [error(500, "INTERNAL_SERVER_ERROR", "Internal error")] * 4
    client = make_client(max_retries=3)
    with pytest.raises(ServerError, match="INTERNAL_SERVER_ERROR") as caught:
        await client.call("server.time")
    assert client.requests == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert caught.value.status == 500
    portal.script = [httpx.Response(502, text="<html>Bad gateway</html>")]
    assert await client.call("server.time")  # an HTML 502 is transient too


async def test_transport_errors_are_retried_and_never_show_the_url(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    url = BASE + "server.time"
    portal.script = [httpx.ConnectError(f"cannot reach {url}"), httpx.ReadTimeout("timed out")]
    client = make_client()
    assert await client.server_time() == datetime.fromisoformat("2026-03-01T09:30:00+03:00")
    assert client.requests == 3

    portal.script = [httpx.ConnectError(f"cannot reach {url}")] * 3
    client = make_client(max_retries=2)
    with pytest.raises(TransportError) as caught:
        await client.call("server.time")
    assert "ConnectError" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_no_secret(str(caught.value))


async def test_retries_are_bounded_and_the_last_error_is_raised(
    portal: FakePortal, make_client: Callable[..., BitrixClient], clock: FakeClock
) -> None:
    portal.script = [error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")] * 2
    client = make_client(max_retries=1)
    with pytest.raises(RateLimited):
        await client.call("server.time")
    assert client.requests == 2

    blocked = error(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
    portal.script = [blocked] * 3
    client = make_client(max_retries=2)
    with pytest.raises(OperationTimeLimit) as caught:
        await client.call("crm.activity.list")
    assert client.requests == 3
    # No reset time anywhere: each wait is one minute bucket.
    assert caught.value.reset_at is None
    assert clock.now - EPOCH >= 120

    client = make_client(max_retries=0)
    portal.script = [error(500, "INTERNAL_SERVER_ERROR", "")]
    with pytest.raises(ServerError):
        await client.call("server.time")
    assert client.requests == 1


async def test_operation_time_limit_waits_until_reset_at(
    portal: FakePortal, make_client: Callable[..., BitrixClient], clock: FakeClock
) -> None:
    reset_at = EPOCH + 75
    portal.script = [
        error(
            429,
            "OPERATION_TIME_LIMIT",
            "Method is blocked due to operation time limit.",
            time={"operating": 481.0, "operating_reset_at": reset_at},
        )
    ]
    sent_at: list[float] = []
    handler = portal.handler

    def timed(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return handler(request)

    portal.handler = timed  # type: ignore[method-assign]
    client = make_client()
    assert await client.call("crm.deal.list", {"start": -1}) == []
    assert sent_at == [EPOCH, reset_at]


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (error(401, "NO_AUTH_FOUND", "Wrong authorization data"), AuthError, "webhook_url"),
        (error(401, "expired_token", "The access token provided has expired"), AuthError, ""),
        (error(403, "INVALID_CREDENTIALS", "Invalid request credentials"), AuthError, ""),
        (error(401, "", ""), AuthError, "HTTP 401"),
        (error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"), MethodNotFound, "USER/CODE"),
        (error(400, "", "Access denied."), BadRequest, "Access denied."),
        (error(400, 0, "Could not find value"), BadRequest, "Could not find value"),
        (error(400, "0", "Task not found"), BadRequest, "Task not found"),
    ],
)
async def test_permanent_errors_are_not_retried(
    portal: FakePortal,
    make_client: Callable[..., BitrixClient],
    reply: httpx.Response,
    kind: type[Exception],
    words: str,
) -> None:
    portal.script = [reply]
    client = make_client()
    with pytest.raises(kind) as caught:
        await client.call("crm.deal.list")
    assert type(caught.value) is kind
    assert client.requests == 1
    assert words in str(caught.value)
    assert_no_secret(str(caught.value))


@pytest.mark.parametrize(
    ("method", "scope"),
    [
        ("crm.deal.list", "crm"),
        ("voximplant.statistic.get", "telephony"),
        ("user.get", "user"),
        ("department.get", "department"),
        ("tasks.task.list", "task"),
        ("im.message.add", "im"),
        ("imbot.v2.Bot.register", "imbot"),
        ("disk.folder.uploadfile", "disk"),
    ],
)
async def test_insufficient_scope_names_the_missing_scope(
    portal: FakePortal, make_client: Callable[..., BitrixClient], method: str, scope: str
) -> None:
    portal.script = [
        error(403, "insufficient_scope", "The request requires higher privileges than provided")
    ]
    client = make_client()
    with pytest.raises(ScopeError) as caught:
        await client.call(method)
    assert caught.value.scope == scope
    assert f"'{scope}' scope" in str(caught.value)
    assert client.requests == 1


async def test_error_descriptions_echoing_the_webhook_are_scrubbed(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.script = [error(400, "INVALID_REQUEST", f"Bad call to {BASE}crm.deal.list")]
    client = make_client()
    with pytest.raises(BadRequest) as caught:
        await client.call("crm.deal.list")
    assert "***" in str(caught.value)
    assert_no_secret(str(caught.value), repr(caught.value))


# --- redirects, requests, batch ---------------------------------------------------------


async def test_portal_move_is_followed_with_post_and_remembered(
    portal: FakePortal, make_client: Callable[..., BitrixClient], caplog: pytest.LogCaptureFixture
) -> None:
    portal.moved_to = NEW_HOST
    client = make_client()
    with caplog.at_level(logging.INFO, logger="crm.client"):
        assert await client.call("crm.deal.list", {"start": 0}) == []
    assert [r.url.host for r in portal.seen] == [portal.host, NEW_HOST]
    assert [r.method for r in portal.seen] == ["POST", "POST"]
    assert json.loads(portal.seen[1].content) == {"start": 0}
    assert client.portal == NEW_HOST
    await client.call("server.time")
    assert portal.seen[-1].url == f"https://{NEW_HOST}/rest/1/{TOKEN}/server.time"
    assert client.requests == 3
    assert NEW_HOST in caplog.text
    assert_no_secret(caplog.text)


async def test_redirect_to_plain_http_is_refused(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.script = [httpx.Response(302, headers={"Location": "http://evil.example/x"})]
    client = make_client()
    with pytest.raises(TransportError, match="non-HTTPS"):
        await client.call("server.time")
    assert client.requests == 1


async def test_requests_carry_json_and_our_user_agent(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    client = make_client()
    await client.call_raw("crm.deal.list", {"filter": {">ID": 5, "X": None}, "start": -1})
    request = portal.seen[0]
    assert request.method == "POST"
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"filter": {">ID": 5}, "start": -1}
    with pytest.raises(ValueError, match="method"):
        await client.call("crm.deal.list?auth=x")


async def test_batch_maps_results_and_sub_errors_by_key(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("deals", spaced_ids(70))
    portal.sub_failures[2] = {"error": "insufficient_scope", "error_description": "scope"}
    client = make_client()
    result = await client.batch(
        {
            "first": ("crm.deal.list", {"start": 0}),
            "calls": ("voximplant.statistic.get", {}),
            "nope": ("crm.nothing.list", {}),
            "deals": ("crm.deal.list", {"start": 50}),
        }
    )
    assert set(result.results) == {"first", "deals"}
    assert len(result.results["first"]) == 50 and len(result.results["deals"]) == 20
    assert isinstance(result.errors["calls"], ScopeError)
    assert result.errors["calls"].scope == "telephony"
    assert isinstance(result.errors["nope"], MethodNotFound)
    assert result.errors["nope"].status is None  # no HTTP status inside a batch
    assert client.requests == 1
    assert await client.batch({}) == type(result)()
    with pytest.raises(ValueError, match="key"):
        await client.batch({"1": ("crm.deal.list", {})})
    with pytest.raises(ValueError, match="at most 50"):
        await client.batch({f"k{i}": ("server.time", {}) for i in range(51)})


async def test_call_many_packs_fifty_calls_per_batch(
    portal: FakePortal, make_client: Callable[..., BitrixClient]
) -> None:
    portal.fill("deals", spaced_ids(200))
    client = make_client()
    params = [{"filter": {">ID": i}, "start": -1} for i in range(120)]
    results = await client.call_many("crm.deal.list", params)
    assert client.requests == 3
    assert [int(r[0]["ID"]) for r in results] == [
        next(x for x in spaced_ids(200) if x > i) for i in range(120)
    ]

    portal.sub_failures[portal.list_calls + 3] = {
        "error": "ACCESS_DENIED",
        "error_description": "no",
    }
    with pytest.raises(BatchError) as caught:
        await client.call_many("crm.deal.list", params[:5])
    assert list(caught.value.errors) == ["2"]
    assert "ACCESS_DENIED" in str(caught.value)


async def test_call_many_retries_transient_sub_failures(
    portal: FakePortal, make_client: Callable[..., BitrixClient], clock: FakeClock
) -> None:
    portal.fill("deals", spaced_ids(10))
    portal.sub_failures[2] = {"error": "INTERNAL_SERVER_ERROR", "error_description": ""}
    client = make_client()
    results = await client.call_many("crm.deal.list", [{"start": -1}] * 3)
    assert [len(r) for r in results] == [10, 10, 10]
    assert client.requests == 2
    assert clock.sleeps == [0.5]
    sent = json.loads(portal.seen[1].content)["cmd"]
    assert list(sent) == ["c0001"]  # only the failed one again


async def test_server_time_is_aware(make_client: Callable[..., BitrixClient]) -> None:
    moment = await make_client().server_time()
    assert moment.utcoffset() == timedelta(hours=3)


async def test_webhook_url_is_checked() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError, match="webhook"):
            BitrixClient(http, "portal.example/rest/1/x/")
