"""A small sales team in a store, the people the bot knows, and a dispatcher wired to a fake.

The store is built like tests/kpi_data.py's (its ``team``: departments 1 "Продажи" with
2 "Продажи Москва" under it, 3 "Бухгалтерия" outside sales), plus:
- user 15 Anna Petrova (dept 2), so "Anna" is ambiguous; Boris (11) heads department 2;
- a week of calls, meetings and deals (2026-03-02..08), so real figures flow;
- Telegram: Anna Orlova (10) is admin by config; Boris (11, head) and Vera (12,
  employee) linked by code; Gleb (13) linked but outside sales; 999 is a stranger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.reporting import ReportBuilder, ReportLike, XlsxBuilder
from bot.settings import BotSettings, Person, Role, TeamChat
from bot.telegram.app import build_dispatcher
from bot.telegram.deps import TelegramDeps
from kpi.common import ReportMeta, data_as_of
from kpi.periods import Period, previous
from kpi.rating import rating_report
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.bot_models import TelegramLink
from store.models import Activity, Call, Company, Deal, Department, Task, User
from tests.fakes.botapi import TOKEN, FakeTelegram, RecordingSession
from tests.fakes.botapi import Call as ApiCall
from tests.fakes.tg_updates import user
from tests.kpi_data import MSK, PORTAL, Data, at, make_settings, team

NOW = at(MSK, 2026, 3, 6, 12)  # a Friday: the week 2026-03-02..08 is running
ADMIN, HEAD, EMPLOYEE, OUTSIDER, STRANGER = 1010, 1011, 1012, 1013, 999
TEAM_CHAT, FOREIGN_CHAT = -100500, -100777
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the fake server never looks inside

PEOPLE = {
    ADMIN: user(ADMIN, "Anna", username="anna"),
    HEAD: user(HEAD, "Boris", username="boris"),
    EMPLOYEE: user(EMPLOYEE, "Vera", username="vera", language_code="en"),
    OUTSIDER: user(OUTSIDER, "Gleb"),
    STRANGER: user(STRANGER, "Mallory", username="mallory"),
}


def world_data() -> Data:
    d = Data()
    team(d)
    d[Department][1]["head_id"] = 11
    for row, email in zip(
        d[User], ("anna@x.ru", "boris@x.ru", "vera@x.ru", "gleb@x.ru", "dina@x.ru"), strict=True
    ):
        row["email"] = email
    d.add(User, id=15, first_name="Anna", last_name="Petrova", department_ids=[2], email="ap@x.ru")
    mon = at(MSK, 2026, 3, 2, 11)
    for uid, calls in ((10, 3), (11, 1), (12, 2), (15, 0)):
        for n in range(calls):
            d.add(
                Call,
                user_id=uid,
                call_type=1,
                phone_raw=f"7916000000{n}",
                start_at=mon,
                duration=60,
            )
    d.add(Call, user_id=12, call_type=2, phone_raw="79990000001", start_at=mon, failed_code="304")
    for uid in (11, 11, 12):
        d.add(Activity, responsible_id=uid, type_id=1, start_at=mon, owner_type=4, owner_id=1)
    d.add(
        Deal,
        id=1,
        responsible_id=10,
        stage_semantics="S",
        amount=Decimal("1500.00"),
        close_date=date(2026, 3, 3),
    )
    for n in range(1, 6):
        d.add(Company, id=n, title=f"ООО Клиент {n}", responsible_id=(10, 11, 12, 15, 12)[n - 1])
    d.add(Task, id=1, title="Позвонить", responsible_id=12, deadline=at(MSK, 2026, 3, 4, 10))
    return d


def write_world(engine: Engine) -> None:
    with Session(engine) as session:
        world_data().write(session)
        for telegram_id, user_id, username in (
            (HEAD, 11, "boris"),
            (EMPLOYEE, 12, "vera"),
            (OUTSIDER, 13, None),
        ):
            session.add(
                TelegramLink(
                    telegram_id=telegram_id, user_id=user_id, username=username, linked_at=NOW
                )
            )
        session.commit()


def bot_settings(**overrides: Any) -> BotSettings:
    values: dict[str, Any] = {
        "people": (Person(10, ADMIN, Role.ADMIN),),
        "team_chats": (TeamChat(TEAM_CHAT), TeamChat(TEAM_CHAT, 7)),
        "portal_url": PORTAL,
        "link_secret": "test-secret",
        "list_page_size": 2,
    }
    values.update(overrides)
    return BotSettings(**values)


@dataclass(frozen=True)
class Item:
    title: str
    url: str | None
    detail: str


@dataclass(frozen=True)
class FakeReport:
    name: str
    meta: ReportMeta
    png: bytes | None
    caption_html: str
    text_html: str
    lists: Mapping[str, Sequence[Item]] = field(default_factory=dict)


@dataclass
class FakeBuilder:
    """Stands in for reports.build: the rating's figures are real (kpi), the rest a label."""

    calls: list[tuple[str, str, str, int | None, bool]] = field(default_factory=list)
    png: bytes | None = PNG
    fail: Exception | None = None  # raised by every call
    fail_render: Exception | None = None  # raised when asked for a chart

    def __call__(
        self,
        session: Session,
        settings: KpiSettings,
        name: str,
        period: Period,
        scope: Scope,
        *,
        now: datetime,
        render: bool = True,
    ) -> ReportLike:
        self.calls.append((name, period.name, scope.kind, scope.id, render))
        if self.fail is not None:
            raise self.fail
        if render and self.fail_render is not None:
            raise self.fail_render
        head = f"<b>{name}</b> · {scope.name} · {period.label_ru}"
        lines = []
        if name == "rating":
            figures = rating_report(session, scope, period, settings, now=now)
            lines = [f"{row.rank}. {row.employee} — {row.points}" for row in figures.rows]
        lists: dict[str, Sequence[Item]] = {}
        if name == "coverage":
            lists["uncovered"] = [
                Item(f"Клиент <{n}>", f"{PORTAL}/crm/company/details/{n}/", "нет контактов")
                for n in range(1, 6)
            ]
        if name == "missed":
            lists["open_missed"] = [Item("+7 999 000-00-01", None, "2 марта, Vera")]
        meta = ReportMeta(name, scope, period, previous(period, now=now), data_as_of(session))
        text = "\n".join([head, *lines])
        return FakeReport(name, meta, self.png if render else None, text, text + "\n(text)", lists)


def fake_xlsx(report: ReportLike) -> bytes:
    return b"PK\x03\x04" + report.name.encode()


@dataclass
class World:
    fake: FakeTelegram
    bot: Bot
    dp: Dispatcher
    deps: TelegramDeps
    builder: Any
    notified: list[tuple[int, str]]

    async def send(self, update: dict[str, Any]) -> None:
        await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )

    def last(self, *methods: str) -> ApiCall:
        found = self.fake.requests(*methods)
        assert found, f"no {methods} request; got {[c.method for c in self.fake.calls]}"
        return found[-1]

    def sent_message(self, *methods: str) -> dict[str, Any]:
        """The message the fake answered the last of these calls with (for button presses)."""
        call = self.last(*methods)
        chat_id = int(call.params["chat_id"])
        key = max(k for k in self.fake.messages if k[0] == chat_id)
        return self.fake.messages[key]


def buttons(call: ApiCall) -> list[tuple[str, str]]:
    """(text, callback_data or url) of every inline button of a request."""
    markup = call.params.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data") or b.get("url", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def button(call: ApiCall, text: str) -> str:
    found = [data for label, data in buttons(call) if label == text]
    assert found, f"no button {text!r} in {buttons(call)}"
    return found[0]


def make_world(
    engine: Engine,
    *,
    builder: ReportBuilder | None = None,
    xlsx: XlsxBuilder = fake_xlsx,
    settings: BotSettings | None = None,
    kpi: KpiSettings | None = None,
    clock: Callable[[], datetime] = lambda: NOW,
) -> World:
    notified: list[tuple[int, str]] = []

    async def notify(user_id: int, text: str) -> None:
        notified.append((user_id, text))

    fake = FakeTelegram()
    bot = Bot(TOKEN, session=RecordingSession(fake))
    chosen = builder if builder is not None else FakeBuilder()
    deps = TelegramDeps(
        settings=settings or bot_settings(),
        kpi=kpi or make_settings(),
        engine=engine,
        build_report=chosen,
        report_xlsx=xlsx,
        notify=notify,
        clock=clock,
    )
    return World(fake, bot, build_dispatcher(deps), deps, chosen, notified)
