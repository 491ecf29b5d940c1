"""Live missed-call alerts against the emulator: a call made on the portal reaches its
employee's chat through either way in (an applied call-end event, or the scheduled sync),
with the card the portal linked the number to, and the callback is noted once.

The portal is the generator's ``small`` one cut to its last two days (the alerts need no
history), at its as-of moment (Wednesday 12:00, Moscow); its clock runs from there, and
the jobs' clock is the portal's. ``later`` moves that clock on, as the minutes between a
call and the next sync would (a sync reads calls that started before its own start).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from crm.client import BitrixClient
from crm.events import Change
from crm.pacing import LeakyBucket
from crm.sync import run_sync
from crm.sync.apply import apply_changes
from emulator.data import PortalData
from emulator.generator import generate
from emulator.live_calls import add_call, find_card
from emulator.portal import Portal
from emulator.server import running_emulator
from jobs.deps import JobDeps
from jobs.live_missed import tell_missed_calls
from jobs.people import People, Person
from jobs.runner import run_job
from jobs.settings import ScheduleSettings
from tests.kpi_data import PORTAL, make_settings
from tests.unit.test_jobs_fakes import FakeSender, sent_by

TODAY = date(2026, 3, 18)
TIMED = {
    "deals": "DATE_MODIFY",
    "leads": "DATE_MODIFY",
    "activities": "LAST_UPDATED",
    "calls": "CALL_START_DATE",
    "tasks": "changedDate",
}


@dataclass
class World:
    portal: Portal
    client: BitrixClient
    deps: JobDeps
    user: int  # the employee who misses the calls
    shift: list[float]  # seconds the portal's clock was moved on

    def later(self, seconds: float) -> None:
        self.shift[0] += seconds


def _recent(data: PortalData) -> PortalData:
    cut = datetime.fromisoformat(data.as_of) - timedelta(days=2)
    for table, key in TIMED.items():
        data.tables[table] = [
            row for row in data.tables[table] if datetime.fromisoformat(row[key]) >= cut
        ]
    return data


def _employee(portal: Portal) -> int:
    active = [r for r in portal.rows("users") if r.get("ACTIVE") in (True, "Y", "1")]
    return int(active[0]["ID"])


def _company_phone(portal: Portal) -> tuple[str, Any]:
    """A number the portal resolves to a company card, and that company's row."""
    for row in portal.rows("companies"):
        for item in row.get("PHONE") or ():
            card = find_card(portal, str(item["VALUE"]))
            if card is not None and card[0] == "COMPANY":
                return str(item["VALUE"]), card[2]
    pytest.fail("the generated portal has no company reachable by its phone number")


@pytest.fixture
async def world(store_engine: Engine) -> AsyncIterator[World]:
    data = _recent(generate(5, "small", TODAY))
    as_of = datetime.fromisoformat(data.as_of)
    started, shift = time.monotonic(), [0.0]
    portal = Portal(
        data, now=lambda: as_of + timedelta(seconds=time.monotonic() - started + shift[0])
    )
    async with (
        running_emulator(portal, rate_limit=False) as emulator,
        httpx.AsyncClient(timeout=30) as http,
    ):
        client = BitrixClient(
            http, emulator.webhook_url, pacer=LeakyBucket(rate=1000, burst=1000), max_retries=0
        )
        await run_sync(client, store_engine)
        user = _employee(portal)

        async def sync(full: bool) -> Any:
            return await run_sync(client, store_engine, full=full)

        deps = JobDeps(
            engine=store_engine,
            kpi=make_settings(sales_departments=()),  # every department is sales
            schedule=ScheduleSettings(),
            people=People.of([Person(user, telegram_id=700_000 + user)]),
            team_chats=(),
            sender=FakeSender(),
            sync=sync,
            clock=lambda: portal.now().astimezone(UTC),
        )
        # the feature starts now: the generated history is not news
        assert (await tell_missed_calls(deps)).told == ()
        yield World(portal, client, deps, user, shift)


async def test_an_event_or_the_sync_brings_the_alert_and_the_sync_the_callback_note(
    world: World,
) -> None:
    portal, deps = world.portal, world.deps
    chat = f"telegram:{700_000 + world.user}"
    phone, company = _company_phone(portal)
    world.later(5)
    row = add_call(portal, phone, world.user, "missed")
    # what the web listener does with ONVOXIMPLANTCALLEND: apply the call, then tell
    applied = await apply_changes(world.client, deps.engine, [Change("calls", row["CALL_ID"])])
    assert applied.written == 1 and not applied.failed
    report = await tell_missed_calls(deps)
    assert [(t.kind, t.chat) for t in report.told] == [("alert", chat)]
    since_end = (portal.now() - datetime.fromisoformat(row["CALL_START_DATE"])).total_seconds()
    assert 0 < report.latencies()[0] <= since_end  # measured from the call's end to the send
    [alert] = sent_by(deps).texts(chat)
    url = f"{PORTAL}/crm/company/details/{company['ID']}/"
    assert f'Компания: <a href="{url}">' in alert and "Перезвоните клиенту." in alert
    digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
    shown = "".join(ch for ch in alert.split("<b>")[2].split("</b>")[0] if ch.isdigit())
    assert shown.endswith(digits)
    # the employee calls back; the scheduled sync sees it and notes it in the same chat
    world.later(60)
    add_call(portal, phone, world.user, "outgoing", duration=30)
    world.later(20)
    result = await run_job("sync", deps, now=deps.clock(), scheduled=True)
    assert result.summary() == "sync: done"
    texts = sent_by(deps).texts(chat)
    assert len(texts) == 2 and ": перезвонили через " in texts[1]
    # an event for the same call arriving late changes nothing
    await apply_changes(world.client, deps.engine, [Change("calls", row["CALL_ID"])])
    assert (await tell_missed_calls(deps)).told == ()
    assert len(sent_by(deps).sent) == 2
    # without events: the sync that sees a call tells it; nobody took this one, and nobody
    # heads a department in this directory, so it is logged and skipped
    world.later(5)
    add_call(portal, phone, None, "missed")  # nobody took it, and nobody heads a department
    add_call(portal, "+7 999 000-11-22", world.user, "missed")  # a number the CRM lacks
    world.later(30)
    await run_job("sync", deps, now=deps.clock(), scheduled=True)
    alert = sent_by(deps).texts(chat)[-1]
    assert len(sent_by(deps).sent) == 3
    assert "+7 999 000-11-22" in alert and "Номера нет в CRM" in alert
