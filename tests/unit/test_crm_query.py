"""The batch wire format: cmd strings as PHP's http_build_query builds them, replies read back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.errors import AccessDenied, BadRequest, OperationTimeLimit, ScopeError, ServerError
from crm.methods import CALLS, DEAL_CATEGORIES, DEALS, TASKS, USERS, read_chain
from crm.query import (
    BatchResult,
    Ref,
    build_command,
    check_cmd_key,
    cmd_key,
    encode_params,
    json_params,
    parse_batch_reply,
)


def pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True, strict_parsing=True)


def test_nested_mappings_and_lists_become_bracketed_keys() -> None:
    query = encode_params(
        {
            "filter": {">ID": 10, "CATEGORY_ID": [1, 2], "=STAGE_ID": "C1:WON"},
            "select": ["ID", "TITLE"],
            "order": {"ID": "ASC"},
            "start": -1,
        }
    )
    assert pairs(query) == [
        ("filter[>ID]", "10"),
        ("filter[CATEGORY_ID][0]", "1"),
        ("filter[CATEGORY_ID][1]", "2"),
        ("filter[=STAGE_ID]", "C1:WON"),
        ("select[0]", "ID"),
        ("select[1]", "TITLE"),
        ("order[ID]", "ASC"),
        ("start", "-1"),
    ]
    # Keys are encoded as PHP encodes them: brackets and operators too.
    assert query.startswith("filter%5B%3EID%5D=10&")


def test_booleans_are_y_n_and_none_is_never_sent() -> None:
    query = encode_params(
        {"a": True, "b": False, "c": None, "d": {"x": None, "y": True}, "e": [None, False]}
    )
    assert pairs(query) == [("a", "Y"), ("b", "N"), ("d[y]", "Y"), ("e[1]", "N")]
    assert encode_params({"empty": {}, "none": None, "list": []}) == ""


def test_special_characters_are_encoded_inside_values_and_keys() -> None:
    nasty = "a&b=c d+e%f#g[h]?é"
    query = encode_params({"filter": {"%TITLE": nasty}})
    assert "&" not in query and "#" not in query and " " not in query
    assert pairs(query) == [("filter[%TITLE]", nasty)]


@given(
    st.dictionaries(
        st.text(min_size=1).filter(lambda k: "[" not in k and "]" not in k),
        st.text() | st.integers() | st.booleans(),
        max_size=5,
    )
)
def test_any_flat_parameters_survive_a_parse_round_trip(params: dict[str, object]) -> None:
    expected = [
        (k, ("Y" if v else "N") if isinstance(v, bool) else str(v)) for k, v in params.items()
    ]
    assert parse_qsl(encode_params(params), keep_blank_values=True) == expected


def test_scalars_dates_and_refusals() -> None:
    msk = timezone(timedelta(hours=3))
    query = encode_params(
        {
            "at": datetime(2026, 3, 1, 9, 30, tzinfo=msk),
            "day": date(2026, 3, 1),
            "sum": Decimal("19999.99"),
            "f": 0.25,
        }
    )
    assert pairs(query) == [
        ("at", "2026-03-01T09:30:00+03:00"),
        ("day", "2026-03-01"),
        ("sum", "19999.99"),
        ("f", "0.25"),
    ]
    with pytest.raises(ValueError, match="naive"):
        encode_params({"at": datetime(2026, 3, 1)})  # noqa: DTZ001 - the refusal under test
    with pytest.raises(TypeError, match="object"):
        encode_params({"x": object()})


def test_references_are_sent_whole_and_unencoded() -> None:
    ref = Ref("c0001", ("tasks", 49, "id"))
    assert str(ref) == "$result[c0001][tasks][49][id]"
    query = encode_params({"filter": {">ID": ref}, "start": -1})
    assert query == "filter%5B%3EID%5D=$result[c0001][tasks][49][id]&start=-1"
    assert pairs(query)[0] == ("filter[>ID]", "$result[c0001][tasks][49][id]")
    for bad in (("a]b",), ("x y",), (-1,), ("",)):
        with pytest.raises(ValueError, match="reference"):
            Ref("c0001", bad)
    with pytest.raises(ValueError, match="key"):
        Ref("1", ())


def test_cmd_keys_never_look_numeric() -> None:
    keys = [cmd_key(i) for i in range(20_000)]
    assert keys[:2] == ["c0000", "c0001"] and keys[-1] == "c19999"
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert not key.lstrip("-").isdigit()
        check_cmd_key(key)
    for bad in ("1", "35943", "", "a b", "a[0]", "c&1", "1abc"):
        with pytest.raises(ValueError, match="key"):
            check_cmd_key(bad)


def test_build_command() -> None:
    assert build_command("server.time") == "server.time"
    assert build_command("crm.deal.list", {"start": 0}) == "crm.deal.list?start=0"
    assert build_command("crm.deal.list", {"filter": None}) == "crm.deal.list"
    for bad in ("batch", "crm.deal.list?x=1", "../x", "", "a b"):
        with pytest.raises(ValueError, match=r"batch|method"):
            build_command(bad)


def test_json_params_drop_none_and_serialise_dates() -> None:
    utc = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert json_params({"a": None, "b": {"c": None, "d": utc}, "e": [1, None, True]}) == {
        "b": {"d": "2026-01-02T03:04:05+00:00"},
        "e": [1, True],
    }


def test_batch_reply_with_empty_members_as_php_arrays() -> None:
    reply = {
        "result": {"c0001": []},
        "result_error": [],
        "result_total": {"c0001": 0},
        "result_next": [],
        "result_time": [],
    }
    assert parse_batch_reply(reply, {"c0001": "crm.deal.list"}) == BatchResult(
        results={"c0001": []}, totals={"c0001": 0}
    )
    assert parse_batch_reply([], {}) == BatchResult()


def test_batch_sub_errors_are_mapped_by_key_with_their_method() -> None:
    reply = {
        "result": {"c0001": [{"ID": "1"}], "c0004": {"tasks": []}},
        "result_error": {
            "c0002": {"error": "insufficient_scope", "error_description": "higher privileges"},
            "c0003": {"error": "OPERATION_TIME_LIMIT", "error_description": "blocked"},
            "c0005": {"error": "", "error_description": "Access denied."},
            "c0006": "Something odd",
            "c0007": {"error": "ACCESS_DENIED", "error_description": "Access denied!"},
        },
        "result_total": {"c0001": "1"},
        "result_next": {"c0001": 50},
        "result_time": {"c0003": {"operating": 479.5, "operating_reset_at": 1_700_000_100}},
    }
    methods = {
        "c0001": "crm.deal.list",
        "c0002": "voximplant.statistic.get",
        "c0003": "crm.activity.list",
        "c0004": "tasks.task.list",
        "c0005": "crm.deal.list",
        "c0006": "user.get",
        "c0007": "voximplant.statistic.get",
    }
    result = parse_batch_reply(reply, methods)
    assert result.results == {"c0001": [{"ID": "1"}], "c0004": {"tasks": []}}
    assert result.totals == {"c0001": 1} and result.nexts == {"c0001": 50}
    scope = result.errors["c0002"]
    assert isinstance(scope, ScopeError) and scope.scope == "telephony"
    assert scope.method == "voximplant.statistic.get" and scope.status is None
    limit = result.errors["c0003"]
    assert isinstance(limit, OperationTimeLimit) and limit.reset_at == 1_700_000_100
    empty = result.errors["c0005"]
    assert isinstance(empty, BadRequest) and "Access denied." in str(empty)
    assert isinstance(result.errors["c0006"], BadRequest)
    assert "Something odd" in str(result.errors["c0006"])
    assert isinstance(result.errors["c0007"], AccessDenied)


def test_keyset_commands_chain_on_the_previous_page_last_row() -> None:
    commands = DEALS.keyset_commands(
        filter={"CATEGORY_ID": 1}, select=["ID", "TITLE"], after_id=500, pages=3
    )
    assert list(commands) == ["c0001", "c0002", "c0003"]
    method, first = commands["c0001"]
    assert method == "crm.deal.list"
    assert first == {
        "order": {"ID": "ASC"},
        "select": ["ID", "TITLE"],
        "filter": {"CATEGORY_ID": 1, ">ID": 500},
        "start": -1,
    }
    third = commands["c0003"][1]
    assert str(third["filter"][">ID"]) == "$result[c0002][49][ID]"
    assert "$result[c0002][49][ID]" in build_command(*commands["c0003"])

    tasks = TASKS.keyset_commands(filter=None, select=None, after_id=0, pages=2)
    assert str(tasks["c0002"][1]["filter"][">ID"]) == "$result[c0001][tasks][49][id]"
    assert tasks["c0001"][1]["order"] == {"ID": "ASC"}

    calls = CALLS.keyset_commands(filter={"CALL_TYPE": 2}, select=None, after_id=7, pages=1)
    assert calls["c0001"][1] == {
        "SORT": "ID",
        "ORDER": "ASC",
        "FILTER": {"CALL_TYPE": 2, ">ID": 7},
        "start": -1,
    }
    users = USERS.keyset_commands(filter=None, select=None, after_id=0, pages=1)
    assert users["c0001"][1] == {"sort": "ID", "order": "ASC", "FILTER": {">ID": 0}, "start": -1}
    # Presets are not changed by the requests built from them.
    assert DEALS.order == {"order": {"ID": "ASC"}}
    with pytest.raises(ValueError, match="pages"):
        DEALS.keyset_commands(filter=None, select=None, after_id=0, pages=51)
    with pytest.raises(ValueError, match="select"):
        CALLS.keyset_commands(filter=None, select=["ID"], after_id=0, pages=1)


def test_rows_are_found_under_each_dialect_wrapper() -> None:
    assert DEALS.rows([{"ID": "1"}]) == [{"ID": "1"}]
    assert DEALS.rows([]) == []
    assert TASKS.rows({"tasks": [{"id": "8618"}]}) == [{"id": "8618"}]
    assert TASKS.rows([]) == []  # an empty wrapper can come as a PHP empty array
    assert DEAL_CATEGORIES.rows({"categories": {"0": {"id": 0}, "1": {"id": 9}}}) == [
        {"id": 0},
        {"id": 9},
    ]
    assert TASKS.id_of({"id": "8618"}) == 8618
    assert hash(DEALS) == hash(DEALS)  # specs may key a dict


def page(ids: list[int]) -> list[dict[str, str]]:
    return [{"ID": str(i)} for i in ids]


def test_read_chain_drops_rows_at_or_below_the_cursor_and_stops_at_a_short_page() -> None:
    keys = ["c0001", "c0002", "c0003"]
    result = BatchResult(
        results={
            # The portal half-honoured the filter: rows 91..100 are old news.
            "c0001": page(list(range(91, 141))),
            "c0002": page(list(range(141, 151))),
            "c0003": page(list(range(1, 51))),  # garbage after the short page
        }
    )
    step = read_chain(DEALS, keys, result, cursor=100)
    assert [int(r["ID"]) for r in step.rows] == list(range(101, 151))
    assert step.cursor == 150 and step.finished and step.error is None


def test_read_chain_keeps_what_came_before_a_failed_page() -> None:
    failure = ServerError("INTERNAL_SERVER_ERROR", "", method="crm.deal.list")
    result = BatchResult(results={"c0001": page(list(range(1, 51)))}, errors={"c0002": failure})
    step = read_chain(DEALS, ["c0001", "c0002", "c0003"], result, cursor=0)
    assert len(step.rows) == 50 and step.cursor == 50
    assert not step.finished and step.error is failure
    # A command neither answered nor failed counts as a failure, never as the end.
    step = read_chain(DEALS, ["c0001", "c0002"], BatchResult(results={"c0001": page([1])}), 0)
    assert step.finished and step.cursor == 1
    step = read_chain(DEALS, ["c0001"], BatchResult(), 0)
    assert not step.finished and isinstance(step.error, ServerError)
