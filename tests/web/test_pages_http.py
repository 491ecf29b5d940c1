"""The pages over plain HTTP: every portal string escaped, nothing from outside, light."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session, select

from emulator.portal import Portal
from store.models import SyncState
from store.web_models import LinkScope
from tests.web.world import World, sales_tree, synced_world

pytestmark = pytest.mark.asyncio(loop_scope="module")
EVIL_NAME = "<script>window.__owned=1</script>"
EVIL_COMPANY = '<img src=x onerror="window.__owned=2">'
ASSET = re.compile(r'(?:src|href)="([^"]+)"')
MAX_WEIGHT = 300 * 1024


def evil(portal: Portal) -> None:
    tree = sales_tree(portal)
    user = next(u for u in portal.rows("users") if u["ACTIVE"] and set(u["UF_DEPARTMENT"]) & tree)
    portal.update("users", int(user["ID"]), NAME=EVIL_NAME, LAST_NAME="[b]Жук[/b]")
    for company in portal.rows("companies"):
        portal.update("companies", int(company["ID"]), TITLE=EVIL_COMPANY)
    for deal in portal.rows("deals"):
        portal.update("deals", int(deal["ID"]), TITLE=EVIL_COMPANY)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with synced_world(tmp_path_factory.mktemp("http"), shape=evil) as built:
        yield built


async def weight(client: httpx.AsyncClient, url: str) -> tuple[int, set[str]]:
    """Bytes of a page and of everything it loads (our CSS, JS, fonts), charts aside."""
    page = await client.get(url)
    assert page.status_code == 200
    total = len(page.content)
    assets = {a for a in ASSET.findall(page.text) if "/static/" in a}
    for asset in sorted(assets):
        body = await client.get(urljoin(url, asset))
        assert body.status_code == 200
        total += len(body.content)
        if asset.endswith(".css"):
            for font in re.findall(r'url\("([^"]+)"\)', body.text):
                total += len((await client.get(urljoin(urljoin(url, asset), font))).content)
    return total, assets


async def test_portal_strings_are_text_everywhere(world: World) -> None:
    tv = world.link("tv", LinkScope("company"))
    dash = world.link("dashboard", LinkScope("company"), days=30)
    async with httpx.AsyncClient(timeout=60) as client:
        pages = [
            (await client.get(tv)).text,
            (await client.get(f"{dash}?report=rating")).text,
            (await client.get(f"{dash}?report=coverage&period=last_month")).text,
            (await client.get(f"{dash}?report=abc&period=year")).text,
        ]
        async with client.stream("GET", f"{tv}/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    pages.extend(json.loads(line[6:])["parts"].values())
                    break
    assert sum("&lt;script&gt;window.__owned=1&lt;/script&gt;" in p for p in pages) >= 3
    assert sum("&lt;img src=x" in p for p in pages) >= 2  # wins, uncovered clients, abc
    for page in pages:
        assert "<script>window" not in page and "<img src=x" not in page


async def test_nothing_from_outside_and_light_pages(world: World) -> None:
    tv = world.link("tv", LinkScope("company"))
    dash = world.link("dashboard", LinkScope("company"), days=30)
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(tv)
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert response.headers["referrer-policy"] == "no-referrer"
        for url in (tv, f"{dash}?report=kpi", f"{dash}?report=coverage"):
            total, assets = await weight(client, url)
            assert total <= MAX_WEIGHT, (url, total)
            assert all(a.startswith("/static/pages/") for a in assets), assets
        page = (await client.get(f"{dash}?report=coverage")).text
        outside = set(re.findall(r'(?:src|href)="(https?://[^"]+)"', page))
        # the only outside addresses are the portal's own client cards, opened by a click
        assert outside and all(u.startswith(world.emulator.base_url) for u in outside)


async def test_a_link_shows_only_its_scope(world: World) -> None:
    tree = sales_tree(world.portal) - {world.portal.data.sales_department_id}
    department = min(tree)
    dash = world.link("dashboard", LinkScope("department", department), days=30)
    async with httpx.AsyncClient(timeout=60) as client:
        page = (await client.get(dash)).text
        offered = set(re.findall(r'<option value="([de]\d+|company)"', page))
        assert "company" not in offered and f"d{department}" in offered
        assert (await client.get(f"{dash}?scope=company")).status_code == 404
        sales = world.portal.data.sales_department_id
        assert (await client.get(f"{dash}?scope=d{sales}")).status_code == 404
        assert (await client.get(f"{dash}report.json?scope=company")).status_code == 404
        employee = next(e for e in sorted(offered) if e.startswith("e"))
        mine = world.link("dashboard", LinkScope("employee", int(employee[1:])), days=30)
        mine_page = (await client.get(mine)).text
        assert set(re.findall(r'<option value="([de]\d+|company)"', mine_page)) == {employee}


async def test_a_stale_store_shows_the_banner_until_the_next_sync(world: World) -> None:
    tv = world.link("tv", LinkScope("company"))
    limit = timedelta(minutes=world.config.schedule.fresh_minutes * 2)
    with Session(world.engine) as session:
        for state in session.exec(select(SyncState)).all():
            state.last_success_at = datetime.now(UTC) - limit - timedelta(minutes=5)
            session.add(state)
        session.commit()
    async with httpx.AsyncClient(timeout=60) as client:

        async def shows(pattern: str) -> bool:
            # a TV stream left open by another test keeps the figures cached until the
            # store watch sees the change (a second or so): wait for it, with a deadline
            async with asyncio.timeout(10):
                while True:
                    if re.search(pattern, (await client.get(tv)).text):
                        return True
                    await asyncio.sleep(0.2)

        assert await shows(r'<div id="stale" class="stale">Данные устарели')
        await world.sync()
        assert await shows(r'<div id="stale" class="stale" hidden>')
