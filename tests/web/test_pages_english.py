"""The TV and the dashboard with the process language set to English (``[locale] language``).

The listener runs in this process, so ``locales.set_default("en")`` is what ``crm-pulse run``
does with ``language = "en"``. The portal is the emulator's English one (names in Latin
letters): not one Cyrillic letter may be left in what a page shows, the wall must still fit
at both sizes, and the figures still equal the JSON (which does not change with the language).
Screenshots go to test-artifacts/web/ (``*-en-*.png``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from selenium.webdriver import Chrome
from selenium.webdriver.support.wait import WebDriverWait
from sqlmodel import Session, select

import locales
from emulator.english import in_english
from emulator.portal import Portal
from reports.build import REPORT_NAMES
from store.game_models import Contest
from store.web_models import LinkScope
from tests.web.browser import chromium, shot
from tests.web.reading import assert_table_equals, table
from tests.web.world import World, synced_world

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
]
CYRILLIC = re.compile(r"[А-Яа-яЁё]+")
CHART_LOADED = "const i = document.querySelector('.chart img'); return i.complete"
# Everything a person reads: the text, the title, tooltips and the images' descriptions.
SHOWN = """
return [document.title, document.body.innerText,
        ...[...document.querySelectorAll('[title]')].map(e => e.title),
        ...[...document.querySelectorAll('img[alt]')].map(e => e.alt),
        ...[...document.querySelectorAll('option')].map(e => e.textContent)].join('\\n');
"""
FITS = """
const doc = document.documentElement, out = [];
const inside = (e, box) => {
  const r = e.getBoundingClientRect(), b = box.getBoundingClientRect();
  return r.bottom <= b.bottom + 0.5 && r.right <= b.right + 0.5 && r.top >= b.top - 0.5;
};
for (const e of document.querySelectorAll(
    'header, h1, li.row, .panel, .panel h2, .panel tr, .panel th, .panel li, .bar, .bar-head, '
    + '.wins-label, .wins')) {
  const box = e.closest('#side, #board, #wins') || doc;
  // clipped by its box, or its text wider than itself (cut by overflow: hidden)
  if (!inside(e, doc) || !inside(e, box) || e.scrollWidth > e.clientWidth + 1)
    out.push(e.className || e.tagName);
}
return {clipped: out, scrollH: doc.scrollHeight, scrollW: doc.scrollWidth};
"""


def english_portal(portal: Portal) -> None:
    in_english(portal.data)


@pytest.fixture(scope="module")
def english() -> Iterator[None]:
    """The process speaks English for this module's pages, Russian again after."""
    before = locales.language()
    locales.set_default("en")
    try:
        yield
    finally:
        locales.set_default(before)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, english: None) -> AsyncIterator[World]:
    async with synced_world(tmp_path_factory.mktemp("en"), shape=english_portal) as built:
        yield built


@pytest.fixture(scope="module")
def browser() -> Iterator[Chrome]:
    with chromium(1920, 1080) as driver:
        yield driver


def resize(driver: Chrome, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def whole_page(driver: Chrome, width: int) -> None:
    """Make the viewport as tall as the page, so a screenshot shows the table too."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    resize(driver, width, min(int(height), 6000))


def russian_in(driver: Chrome) -> list[str]:
    return sorted(set(CYRILLIC.findall(driver.execute_script(SHOWN))))


def lang_of(driver: Chrome) -> str:
    return str(driver.execute_script("return document.documentElement.lang"))


def world_has_contest(world: World) -> bool:
    with Session(world.engine) as session:
        return session.exec(select(Contest)).first() is not None


def start_contest(world: World) -> None:
    """A contest running this month, as `crm-pulse contest start` stores it."""
    today = world.portal.local_now().date()
    with Session(world.engine) as session:
        session.add(
            Contest(
                name="December call marathon",
                metric="successful_calls",
                kind="top",
                start_day=today.replace(day=1),
                end_day=today + timedelta(days=20),
                prize="Dinner for two",
                created_by="test",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()


async def test_the_wall_speaks_english_and_still_fits(world: World, browser: Chrome) -> None:
    url = world.link("tv", LinkScope("company"))
    for contest, width, height in ((False, 1920, 1080), (True, 1920, 1080), (True, 1280, 720)):
        if contest and not world_has_contest(world):
            start_contest(world)
            # the TV's cached figures last until the store moves on: touch a deal, sync
            deal = world.portal.rows("deals")[-1]
            world.portal.update("deals", int(deal["ID"]))
            await world.sync()
        await asyncio.to_thread(resize, browser, width, height)
        await asyncio.to_thread(browser.get, url)
        if contest:  # the store watch sees the sync within a second; the stream brings it
            await asyncio.to_thread(
                WebDriverWait(browser, 10).until,
                lambda d: "Contest:" in d.execute_script("return document.body.innerText"),
            )
        shot(browser, f"tv-en-{'contest-' if contest else ''}{width}x{height}")
        assert await asyncio.to_thread(lang_of, browser) == "en"
        assert await asyncio.to_thread(russian_in, browser) == []
        text = await asyncio.to_thread(browser.execute_script, "return document.body.innerText")
        assert "Monthly leaderboard" in text and "Today" in text and "Latest wins" in text
        if contest:
            assert "Contest: December call marathon" in text, text
            assert "Successful calls · until " in text and "Dinner for two" in text, text
        seen: dict[str, Any] = await asyncio.to_thread(browser.execute_script, FITS)
        assert seen["clipped"] == [], seen
        assert seen["scrollH"] <= height and seen["scrollW"] <= width, seen
    # the live update (the event stream) speaks English too: wait for it and look again
    updates = "return window.crmPulseUpdates"
    await asyncio.to_thread(
        WebDriverWait(browser, 10).until, lambda d: (d.execute_script(updates) or 0) >= 1
    )
    assert await asyncio.to_thread(russian_in, browser) == []


async def test_every_dashboard_report_speaks_english(world: World, browser: Chrome) -> None:
    url = world.link("dashboard", LinkScope("company"), days=30)
    await asyncio.to_thread(resize, browser, 1600, 1000)
    leaks: dict[str, list[str]] = {}
    for report in REPORT_NAMES:
        await asyncio.to_thread(browser.get, f"{url}?report={report}&period=last_month")
        assert await asyncio.to_thread(lang_of, browser) == "en"
        if found := await asyncio.to_thread(russian_in, browser):
            leaks[report] = found
        if report in ("rating", "kpi", "calls"):
            await asyncio.to_thread(
                WebDriverWait(browser, 60).until, lambda d: d.execute_script(CHART_LOADED)
            )
            await asyncio.to_thread(whole_page, browser, 1600)
            shot(browser, f"dashboard-en-{report}")
            await asyncio.to_thread(resize, browser, 1600, 1000)
    assert not leaks, "\n".join(f"{name}: {' '.join(words)}" for name, words in leaks.items())
    # the figures are the JSON's whatever the language
    await asyncio.to_thread(browser.get, f"{url}?report=rating&period=last_month")
    shown = await asyncio.to_thread(table, browser)
    data = await world.cli_json("rating", "--period", "last_month")
    assert_table_equals(shown, data)
    header = await asyncio.to_thread(
        browser.execute_script, "return document.querySelector('header').innerText"
    )
    assert "Period" in header and "Show" in header, header
