"""The demo's live part: one missed call, told the way ``crm-pulse run`` tells it.

The emulator sends its event to a listener of ours on 127.0.0.1; the intake reads the call
back into the demo's store; the live alert goes to the employee's private dialog, which
the demo writes to files instead of a chat. Every piece is the real one but the chat.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Config, PersonConfig
from app.outputs import write_post
from app.runtime import job_deps
from app.settings import kpi_settings
from app.web_wiring import build_listener
from app.wiring import bitrix_client, http_client
from crm.intake import EventIntake
from crm.sync.apply import ApplyReport
from emulator.live_calls import add_call
from emulator.portal import Portal
from emulator.server import Emulator
from jobs.delivery import Recipient
from jobs.live_missed import tell_missed_calls
from kpi.scope import sales_employees
from reports.morning import Post
from web.metrics import Metrics
from web.server import bound_port, start

STEM = "live-missed-call"


@dataclass
class FileSender:
    """The jobs' sender, writing each message to ``out`` instead of a chat."""

    out: Path
    written: list[Path] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    async def send_post(self, recipient: Recipient, post: Post) -> None:
        self.written += write_post(post, self.out)

    async def send_text(self, recipient: Recipient, html: str, bb: str) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for suffix, text in ((".caption.html", html), (".caption.bb.txt", bb)):
            path = self.out / f"{STEM}{suffix}"
            path.write_text(text, encoding="utf-8")
            self.written.append(path)
        self.texts.append(re.sub(r"<[^>]+>", "", html))


def _client_and_employee(portal: Portal, engine: Engine, config: Config) -> tuple[str, int]:
    """A company of a sales employee with a phone number: who calls, and whose client."""
    with Session(engine) as session:
        team = {e.id for e in sales_employees(session, kpi_settings(config))}
    for row in reversed(portal.rows("companies")):
        phones = [p.get("VALUE") for p in row.get("PHONE") or () if isinstance(p, dict)]
        owner = int(row.get("ASSIGNED_BY_ID") or 0)
        if phones and phones[0] and owner in team:
            return str(phones[0]), owner
    msg = "the demo portal has no company of a sales employee with a phone"
    raise LookupError(msg)


async def live_missed_call(
    portal: Portal, emulator: Emulator, config: Config, engine: Engine, out: Path
) -> list[str]:
    """Make one missed call on the portal and tell it live; the texts told."""
    token = secrets.token_urlsafe(16)
    phone, employee = _client_and_employee(portal, engine, config)
    live = config.model_copy(
        update={
            "events": config.events.model_copy(
                update={"enabled": True, "application_token": SecretStr(token)}
            ),
            "schedule": config.schedule.model_copy(update={"quiet_hours": ""}),
            # the employee listed and reachable in a private dialog: the alert goes there
            "bitrix_chat": config.bitrix_chat.model_copy(update={"enabled": True}),
            "people": [*config.people, PersonConfig(bitrix_id=employee)],
        }
    )
    called = datetime.fromisoformat(portal.data.as_of) + timedelta(minutes=1)
    portal.now = lambda: called
    sender = FileSender(out)
    deps = job_deps(live, engine, sender)
    deps.clock = lambda: called + timedelta(seconds=5)
    await tell_missed_calls(deps, now=called - timedelta(seconds=30))  # live from here on
    applied = asyncio.Event()

    async def on_applied(report: ApplyReport, seconds: float) -> None:
        if report.calls:
            applied.set()

    async with http_client(live) as http:
        intake = EventIntake(
            bitrix_client(live, http), engine, tz=live.portal.zone, on_applied=on_applied
        )
        worker = asyncio.create_task(intake.run())
        listener = build_listener(live, engine, Metrics(), intake)
        runner = await start(listener, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{bound_port(runner)}{live.events.path}"
        emulator.send_events_to(url, token, (0.5, 1.0))
        try:
            add_call(portal, phone, employee, "missed")
            await asyncio.wait_for(applied.wait(), 60)
            await tell_missed_calls(deps)
        finally:
            emulator.send_events_to(None, None)
            worker.cancel()
            await runner.cleanup()
    return sender.texts
