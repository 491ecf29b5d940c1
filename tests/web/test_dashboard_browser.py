"""The dashboard in headless Chromium: the figures equal ``crm-pulse report --json``.

Two periods (last month, a custom range) and two scopes (the company, one department),
for the rating and calls reports through the real CLI; every report once against the
page's own JSON download. Then the wall and the dashboard with 3 and with 40 people.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from selenium.webdriver import Chrome
from selenium.webdriver.support.wait import WebDriverWait

from emulator.portal import Portal
from reports.build import REPORT_NAMES
from store.web_models import LinkScope
from tests.web.browser import chromium, shot
from tests.web.reading import assert_table_equals, board, table
from tests.web.world import World, add_people, rename_long, sales_tree, synced_world

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
]
CHART_LOADED = "const i = document.querySelector('.chart img'); return i.complete"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with synced_world(tmp_path_factory.mktemp("dash"), shape=rename_long) as built:
        yield built


@pytest.fixture(scope="module")
def browser() -> Iterator[Chrome]:
    with chromium(1600, 1000) as driver:
        yield driver


def moscow(world: World) -> int:
    """A department below the sales department that has people: the second scope."""
    tree = sales_tree(world.portal) - {world.portal.data.sales_department_id}
    counts = {
        d: sum(1 for u in world.portal.rows("users") if u["ACTIVE"] and d in u["UF_DEPARTMENT"])
        for d in tree
    }
    return max(counts, key=lambda d: counts[d])


async def test_the_figures_equal_the_json_for_two_periods_and_two_scopes(
    world: World, browser: Chrome
) -> None:
    url = world.link("dashboard", LinkScope("company"), days=30)
    department = moscow(world)
    end = world.portal.local_now().date() - timedelta(days=2)
    first, last = (end - timedelta(days=9)).isoformat(), end.isoformat()
    periods: list[tuple[dict[str, str], list[str]]] = [
        ({"period": "last_month"}, ["--period", "last_month"]),
        ({"period": "custom", "from": first, "to": last}, ["--period", f"{first}..{last}"]),
    ]
    scopes = [
        ({"scope": "company"}, []),
        ({"scope": f"d{department}"}, ["--department", str(department)]),
    ]
    # each report in both periods and both scopes, four runs of the CLI in all
    asks = [
        (report, query | scope_query, [report, *flags, *scope_flags])
        for (report, (query, flags), (scope_query, scope_flags)) in (
            ("rating", periods[0], scopes[0]),
            ("calls", periods[0], scopes[1]),
            ("rating", periods[1], scopes[1]),
            ("calls", periods[1], scopes[0]),
        )
    ]
    expected = await asyncio.gather(*(world.cli_json(*args) for _, _, args in asks))
    for (report, query, _), data in zip(asks, expected, strict=True):
        await asyncio.to_thread(browser.get, f"{url}?{urlencode({'report': report} | query)}")
        shown = await asyncio.to_thread(table, browser)
        assert_table_equals(shown, data)
    shot(browser, "dashboard-calls-department-custom")


async def test_every_report_shows_its_json_with_chart_and_workbook(
    world: World, browser: Chrome
) -> None:
    url = world.link("dashboard", LinkScope("company"), days=30)
    async with httpx.AsyncClient(timeout=60) as client:
        for report in REPORT_NAMES:
            query = urlencode({"report": report, "period": "last_month", "scope": "company"})
            await asyncio.to_thread(browser.get, f"{url}?{query}")
            data = json.loads((await client.get(f"{url}report.json?{query}")).text)
            assert_table_equals(await asyncio.to_thread(table, browser), data)
            if report in ("rating", "coverage"):  # the chat's own PNG; two are enough here
                chart = await client.get(f"{url}report.png?{query}")
                assert chart.headers["content-type"] == "image/png"
                assert chart.content[:4] == b"\x89PNG"
        workbook = await client.get(f"{url}report.xlsx?{query}")
        assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
        outside = await client.get(f"{url}?report=rating&scope=e999999")
        assert outside.status_code == 404
    shot(browser, "dashboard-tasks")


def keep_three(portal: Portal) -> None:
    rename_long(portal)
    tree = sales_tree(portal)
    kept = 0
    for user in portal.rows("users"):
        if user["ACTIVE"] and set(user["UF_DEPARTMENT"]) & tree:
            kept += 1
            if kept > 3:
                portal.update("users", int(user["ID"]), ACTIVE=False)


def forty(portal: Portal) -> None:
    rename_long(portal)
    tree = sales_tree(portal)
    have = sum(1 for u in portal.rows("users") if u["ACTIVE"] and set(u["UF_DEPARTMENT"]) & tree)
    add_people(portal, 40 - have)


@pytest.mark.parametrize(("shape", "people"), [(keep_three, 3), (forty, 40)])
async def test_the_wall_and_the_dashboard_with_few_and_many_people(
    tmp_path_factory: pytest.TempPathFactory, shape: Any, people: int
) -> None:
    async with synced_world(tmp_path_factory.mktemp(f"n{people}"), shape=shape) as world:
        tv = world.link("tv", LinkScope("company"))
        dash = world.link("dashboard", LinkScope("company"), days=30)

        def look() -> None:
            for width, height in ((1920, 1080), (1280, 720)):
                with chromium(width, height) as driver:
                    driver.get(tv)
                    rows = board(driver)
                    assert len(rows) == min(people, 10)
                    fits = driver.execute_script(
                        "const d = document.documentElement;"
                        "return d.scrollHeight <= innerHeight && d.scrollWidth <= innerWidth"
                    )
                    assert fits
                    shot(driver, f"tv-{people}-people-{width}x{height}")
                    driver.get(f"{dash}?report=rating&period=month")
                    assert len([k for k in table(driver) if k != "total"]) == people
                    WebDriverWait(driver, 30).until(lambda d: d.execute_script(CHART_LOADED))
                    shot(driver, f"dashboard-{people}-people-{width}x{height}")

        await asyncio.to_thread(look)
