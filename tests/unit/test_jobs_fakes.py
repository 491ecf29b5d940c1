"""Fakes the jobs tests share: a controlled clock, a recording sender, a sync that stamps the
store, and a small team store. No tests here (pytest collects nothing from this module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.delivery import Recipient, TeamChat
from jobs.deps import JobDeps
from jobs.people import People, Person
from jobs.settings import ScheduleSettings
from kpi.settings import KpiSettings
from store.models import Call, SyncState
from tests.kpi_data import MSK, Data, at, make_settings, team

ENTITIES = ("users", "departments", "calls", "activities", "deals", "tasks")
TG_A = Recipient("telegram", "-1001")
TG_B = Recipient("telegram", "-1002:7")
BX = Recipient("bitrix", "chat12")


class Crash(BaseException):  # noqa: N818  (the process dying, not an error it could handle)
    """The process dies here: no ``except Exception`` sees it."""


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@dataclass
class Sent:
    kind: str  # "post" or "text"
    to: str  # the recipient's key
    payload: Any  # the post object, or (html, bb)


@dataclass
class FakeSender:
    sent: list[Sent] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)  # recipient keys whose send raises
    crash: set[str] = field(default_factory=set)  # recipient keys whose send kills the process

    def _check(self, recipient: Recipient) -> None:
        if recipient.key in self.crash:
            raise Crash(recipient.key)
        if recipient.key in self.fail:
            msg = f"{recipient.key} is unreachable"
            raise RuntimeError(msg)

    async def send_post(self, recipient: Recipient, post: Any) -> None:
        self._check(recipient)
        self.sent.append(Sent("post", recipient.key, post))

    async def send_text(self, recipient: Recipient, html: str, bb: str) -> None:
        self._check(recipient)
        self.sent.append(Sent("text", recipient.key, (html, bb)))

    def to(self, key: str) -> list[Sent]:
        return [s for s in self.sent if s.to == key]

    def recipients(self) -> list[str]:
        return [s.to for s in self.sent]

    def texts(self, key: str) -> list[str]:
        return [s.payload[0] for s in self.sent if s.to == key and s.kind == "text"]


def stamp(engine: Engine, moment: datetime) -> None:
    """Every entity synced successfully at ``moment``."""
    with Session(engine) as session:
        session.execute(delete(SyncState))
        for entity in ENTITIES:
            session.add(SyncState(entity=entity, last_success_at=moment))
        session.commit()


@dataclass
class FakeSync:
    engine: Engine
    clock: Clock
    fail: bool = False
    calls: list[bool] = field(default_factory=list)

    async def __call__(self, full: bool) -> Any:
        self.calls.append(full)
        if self.fail:
            msg = "portal unreachable"
            raise RuntimeError(msg)
        stamp(self.engine, self.clock())
        return type("Report", (), {"ok": True})()


def sent_by(deps: JobDeps) -> FakeSender:
    """The recording sender of deps built by ``make_deps``."""
    assert isinstance(deps.sender, FakeSender)
    return deps.sender


def synced_by(deps: JobDeps) -> FakeSync:
    assert isinstance(deps.sync, FakeSync)
    return deps.sync


def people() -> People:
    """Anna (10) and Boris (11) on Telegram, Vera (12) without a chat, Gleb (13, not sales)
    on Telegram, head Olga (30) of department 1, and Boris heads department 2."""
    return People.of(
        [
            Person(10, telegram_id=1010),
            Person(11, telegram_id=1011, role="head", heads=frozenset({2})),
            Person(12),
            Person(13, telegram_id=1013),
            Person(30, bitrix_dialog="30", role="head", heads=frozenset({1})),
        ]
    )


def make_deps(
    engine: Engine,
    clock: Clock,
    *,
    settings: KpiSettings | None = None,
    schedule: ScheduleSettings | None = None,
    chats: tuple[TeamChat, ...] = (TeamChat(TG_A), TeamChat(TG_B)),
    sender: FakeSender | None = None,
    sync: FakeSync | None = None,
    render: bool = False,
) -> JobDeps:
    return JobDeps(
        engine=engine,
        kpi=settings or make_settings(),
        schedule=schedule or ScheduleSettings(),
        people=people(),
        team_chats=chats,
        sender=sender or FakeSender(),
        sync=sync or FakeSync(engine, clock),
        clock=clock,
        render_charts=render,
    )


def seed(engine: Engine, tz: ZoneInfo = MSK, *, synced: datetime | None = None) -> Data:
    """The standard team with a few calls on Monday 2026-03-02 and Tuesday 03-03."""
    data = Data()
    team(data)
    data.add(Call, user_id=10, call_type=2, phone_raw="79161234567", failed_code="304",
             start_at=at(tz, 2026, 3, 2, 10))  # fmt: skip
    data.add(Call, user_id=11, call_type=1, phone_raw="79031112233", duration=60,
             start_at=at(tz, 2026, 3, 2, 11))  # fmt: skip
    with Session(engine) as session:
        data.write(session)
    if synced is not None:
        stamp(engine, synced)
    return data


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
