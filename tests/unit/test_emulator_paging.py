"""Date-range pages come from the date index and equal what a full scan finds."""

import datetime as dt

import pytest

from emulator.data import CALLS
from emulator.filters import compile_filter
from emulator.generator import generate
from emulator.portal import Portal
from emulator.srv_paging import PAGE_SIZE, query


@pytest.fixture(scope="module")
def portal() -> Portal:
    return Portal(generate(3, "small", dt.date(2026, 3, 30)))


@pytest.mark.parametrize(
    "window",
    [
        {
            ">=CALL_START_DATE": "2026-03-01T00:00:00+03:00",
            "<CALL_START_DATE": "2026-03-15T00:00:00+03:00",
        },
        {
            ">CALL_START_DATE": "2026-02-28T23:59:59+03:00",
            "<=CALL_START_DATE": "2026-03-01T10:00:00+03:00",
        },
        {">=CALL_START_DATE": "2030-01-01T00:00:00+03:00"},
    ],
)
def test_a_date_window_pages_exactly_the_rows_a_scan_finds(
    portal: Portal, window: dict[str, str]
) -> None:
    conditions = compile_filter(window, portal.fields(CALLS), portal.zone)
    expected = [row for row in portal.rows(CALLS) if all(c.test(row) for c in conditions)]
    got, after = [], 0
    while True:
        flt = {**window, ">ID": after}
        page = query(portal, CALLS, compile_filter(flt, portal.fields(CALLS), portal.zone), [], -1)
        got += page.rows
        if len(page.rows) < PAGE_SIZE:
            break
        after = int(page.rows[-1]["ID"])
    assert [row["ID"] for row in got] == [row["ID"] for row in expected]


def test_a_change_to_a_call_is_seen_by_the_next_window(portal: Portal) -> None:
    window = {">=CALL_START_DATE": "2031-01-01T00:00:00+03:00"}
    conditions = compile_filter(window, portal.fields(CALLS), portal.zone)
    assert query(portal, CALLS, conditions, [], -1).rows == []
    first = int(portal.rows(CALLS)[0]["ID"])
    portal.update(CALLS, first, CALL_START_DATE="2031-01-02T10:00:00+03:00")
    assert [r["ID"] for r in query(portal, CALLS, conditions, [], -1).rows] == [str(first)]
