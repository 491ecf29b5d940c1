"""Store rows for kpi tests: a small hand-building helper and a seeded random dataset.

Rows are plain dicts with the store's column names, so the same data feeds the store (via
``store.upsert.upsert``) and the plain-Python reference implementations in the tests.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import Session, SQLModel

from crm.sync.mapping import normalize_phone
from kpi.calendar import WorkCalendar
from kpi.settings import KpiSettings
from store.models import (
    Activity,
    Call,
    ClientContact,
    Company,
    Contact,
    Deal,
    Department,
    DictionaryEntry,
    Lead,
    SyncState,
    Task,
    User,
    UserDepartment,
)
from store.upsert import upsert

Row = dict[str, Any]
MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
PORTAL = "https://example.bitrix24.ru"

_DEFAULTS: dict[type[SQLModel], Row] = {
    Department: {"name": "", "parent_id": None, "head_id": None, "sort": 0},
    User: {
        "first_name": "",
        "last_name": "",
        "email": None,
        "position": "",
        "active": True,
        "department_ids": [],
    },
    Company: {
        "title": "",
        "company_type": None,
        "responsible_id": None,
        "created_at": None,
        "modified_at": None,
        "custom_fields": {},
    },
    Contact: {
        "first_name": "",
        "last_name": "",
        "company_id": None,
        "responsible_id": None,
        "created_at": None,
        "modified_at": None,
    },
    Activity: {
        "type_id": 0,
        "provider_id": None,
        "provider_type_id": None,
        "direction": 0,
        "completed": True,
        "responsible_id": None,
        "owner_type": None,
        "owner_id": None,
        "subject": "",
        "start_at": None,
        "end_at": None,
        "created_at": None,
        "modified_at": None,
        "call_id": None,
    },
    Call: {
        "call_id": "",
        "user_id": None,
        "line": "",
        "phone_raw": "",
        "phone": "",
        "call_type": 2,
        "duration": 0,
        "start_at": None,
        "failed_code": "200",
        "failed_reason": "",
        "crm_entity_type": None,
        "crm_entity_id": None,
        "crm_activity_id": None,
        "cost": None,
    },
    Deal: {
        "title": "",
        "type_id": None,
        "pipeline_id": 0,
        "stage_id": "NEW",
        "stage_semantics": "P",
        "amount": None,
        "currency": "RUB",
        "probability": None,
        "company_id": None,
        "contact_id": None,
        "lead_id": None,
        "responsible_id": None,
        "source_id": None,
        "begin_date": None,
        "close_date": None,
        "closed": False,
        "created_at": None,
        "modified_at": None,
    },
    Task: {
        "title": "",
        "responsible_id": None,
        "status": 2,
        "deadline": None,
        "created_at": None,
        "modified_at": None,
        "closed_at": None,
    },
}
# Order of insertion (and reverse order of clearing).
MODELS: tuple[type[SQLModel], ...] = (
    Department,
    User,
    UserDepartment,
    Company,
    Contact,
    Deal,
    Activity,
    Call,
    Task,
)


def calendar(tz: ZoneInfo = MSK) -> WorkCalendar:
    return WorkCalendar(
        weekdays=frozenset(range(5)),
        start=time(9),
        end=time(18),
        holidays=frozenset(),
        extra_workdays=frozenset(),
        tz=tz,
    )


def make_settings(tz: ZoneInfo = MSK, **overrides: Any) -> KpiSettings:
    values: dict[str, Any] = {
        "tz": tz,
        "calendar": calendar(tz),
        "sales_departments": (1,),
        "portal_url": PORTAL,
    }
    values.update(overrides)
    return KpiSettings(**values)


@dataclass
class Data:
    """Rows per model; ``add`` fills the columns a test leaves out with neutral defaults."""

    rows: dict[type[SQLModel], list[Row]] = field(
        default_factory=lambda: {model: [] for model in MODELS}
    )

    def add(self, model: type[SQLModel], **values: Any) -> Row:
        table = self.rows[model]
        row = dict(_DEFAULTS.get(model, {}))
        row.setdefault("id", len(table) + 1)
        row.update(values)
        if model is Call and "phone" not in values:
            row["phone"] = normalize_phone(row["phone_raw"])
        if model is User:
            for dept in row["department_ids"]:
                self.rows[UserDepartment].append({"user_id": row["id"], "department_id": dept})
        table.append(row)
        return row

    def __getitem__(self, model: type[SQLModel]) -> list[Row]:
        return self.rows[model]

    def write(self, session: Session) -> None:
        for model in MODELS:
            if self.rows[model]:
                upsert(session, model, self.rows[model])
        session.commit()


def clear(session: Session) -> None:
    # ClientContact: derived rows the writer keeps, which a bare DELETE of the rest bypasses
    for model in (*reversed(MODELS), Lead, DictionaryEntry, SyncState, ClientContact):
        session.execute(delete(model))  # type: ignore[arg-type]
    session.commit()


def at(tz: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """A local wall time in ``tz`` as an aware datetime (``at(MSK, 2026, 3, 1, 9)``)."""
    year, month, day, hour, minute, second = (*parts, 0, 0, 0)[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold)


def team(data: Data) -> None:
    """The standard team: sales department 1 with sub-department 2, department 3 outside.

    Users: 10 Anna (dept 1), 11 Boris (dept 2), 12 Vera (dept 2), 13 Gleb (dept 3, not sales),
    14 Dina (dept 1, fired).
    """
    data.add(Department, id=1, name="Продажи")
    data.add(Department, id=2, name="Продажи Москва", parent_id=1)
    data.add(Department, id=3, name="Бухгалтерия")
    data.add(User, id=10, first_name="Anna", last_name="Orlova", department_ids=[1])
    data.add(User, id=11, first_name="Boris", last_name="Petrov", department_ids=[2])
    data.add(User, id=12, first_name="Vera", last_name="Sidorova", department_ids=[2])
    data.add(User, id=13, first_name="Gleb", last_name="Utkin", department_ids=[3])
    data.add(User, id=14, first_name="Dina", last_name="Fomina", department_ids=[1], active=False)


def call(
    data: Data, user: int | None, kind: int, phone: str, when: datetime, **kw: object
) -> None:
    data.add(Call, user_id=user, call_type=kind, phone_raw=phone, start_at=when, **kw)


def call_week() -> Data:
    """Calls of the week 2026-03-02..08 (MSK); each line says what it must count as.

    Used by the calls and missed tests; their expected figures are computed by hand from it.
    """
    d = Data()
    team(d)
    m = MSK
    # c1 Anna: missed from a number written with 8; Boris calls back 30 min later.
    call(d, 10, 2, "89161234567", at(m, 2026, 3, 2, 10), failed_code="304")
    # c2 Boris: the callback (+7 with spaces); 25 s on L1 minus 10 s greeting: not successful.
    call(d, 11, 1, "+7 916 123-45-67", at(m, 2026, 3, 2, 10, 30), duration=25, line="L1")
    # c3 Vera: missed from a 10-digit number, called back 2 h later: called back and lost.
    call(d, 12, 2, "9031112233", at(m, 2026, 3, 3, 11), failed_code="304")
    # c4 Vera: 25 s on L2 (no greeting): successful.
    call(d, 12, 1, "89031112233", at(m, 2026, 3, 3, 13), duration=25, line="L2")
    # c5 Anna: missed (603); only a non-employee and a failed call follow: open and lost.
    call(d, 10, 3, "+74951234567", at(m, 2026, 3, 4, 12), failed_code="603")
    call(d, 13, 1, "74951234567", at(m, 2026, 3, 4, 12, 5), duration=60)  # c6 Gleb, not sales
    call(d, 10, 1, "84951234567", at(m, 2026, 3, 4, 12, 10), failed_code="304")  # c7
    # c8 nobody: missed at 23:00 on the last day; c9 Anna calls back after the period.
    call(d, None, 2, "79250000001", at(m, 2026, 3, 8, 23), failed_code="304")
    call(d, 10, 1, "79250000001", at(m, 2026, 3, 9, 0, 10), duration=40)
    # c10 Anna: callback type, at the first midnight; 30 s - 10 s greeting = 20: successful.
    call(d, 10, 4, "79998887766", at(m, 2026, 3, 2), duration=30, line="L1")
    # c11 Boris: a robot info-call in the last second: calls only.
    call(d, 11, 5, "79161234567", at(m, 2026, 3, 8, 23, 59, 59), duration=50)
    call(d, 14, 2, "79031112233", at(m, 2026, 3, 5, 9), failed_code="304")  # c12 Dina, fired
    call(d, 10, 2, "79161234567", at(m, 2026, 3, 1, 23, 59, 59), failed_code="304")  # c13 before
    # c14 Boris: missed with a hidden number: can never be called back.
    call(d, 11, 2, "", at(m, 2026, 3, 6, 15), failed_code="304")
    # c15 Boris: incoming, connected, 120 s on L3.
    call(d, 11, 2, "79031112233", at(m, 2026, 3, 6, 16), duration=120, line="L3")
    call(d, 12, 1, "79031112233", at(m, 2026, 3, 9), duration=10)  # c16 at the end: outside
    return d


# --- random datasets -------------------------------------------------------------------

PHONES = ("79161234567", "79031112233", "74951234567", "79250000001", "79998887766")
LINES = ("L1", "L2", "L3")
FAILED = ("200", "200", "200", "304", "304", "603", "486")


def _written(rng: random.Random, digits: str) -> str:
    """One of the ways a portal writes the same number."""
    national = digits[1:]
    forms = (
        f"+{digits}",
        digits,
        f"8{national}",
        national,
        f"+7 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}",
    )
    return rng.choice(forms)


def _moment(rng: random.Random, start: datetime, end: datetime, edges: list[datetime]) -> datetime:
    """A whole-second instant near [start, end), often exactly on an edge."""
    if rng.random() < 0.15:
        edge = rng.choice(edges)
        return (edge + timedelta(seconds=rng.choice((-1, 0, 0, 1)))).astimezone(UTC)
    span = (end - start).total_seconds()
    offset = rng.uniform(-0.15 * span, 1.15 * span)
    return (start + timedelta(seconds=int(offset))).astimezone(UTC)


def random_data(
    rng: random.Random,
    start: datetime,
    end: datetime,
    *,
    edges: Sequence[datetime] = (),
    size: int = 40,
) -> Data:
    """A small random store around [start, end): every edge case is likely.

    Times fall in and a little around the range, often exactly on ``start``, ``end`` and
    the extra ``edges`` (or a second off them); phone numbers come from a small pool in
    every written form; owners, call ids and companies are sometimes missing.
    """
    data = Data()
    team(data)
    users = [10, 11, 12, 13, 14]
    edges = [start, end, start + (end - start) / 2, *edges]
    for n in range(size):
        data.add(
            Call,
            call_id=f"c{n}",
            user_id=rng.choice([*users, None, None]),
            line=rng.choice(LINES),
            phone_raw=rng.choice(["", *(_written(rng, p) for p in PHONES)]),
            call_type=rng.choice([1, 2, 2, 3, 4, 5]),
            duration=rng.choice([0, 5, 15, 19, 20, 21, 25, 30, 31, 90]),
            start_at=_moment(rng, start, end, edges),
            failed_code=rng.choice(FAILED),
        )
    # Follow-ups with the same number at the callback windows the tests use, to the second.
    for n, base in enumerate(rng.sample(data[Call], k=min(len(data[Call]), size // 4))):
        data.add(
            Call,
            call_id=f"f{n}",
            user_id=rng.choice([*users, None]),
            phone_raw=base["phone_raw"],
            call_type=rng.choice([1, 2, 4]),
            duration=30,
            start_at=base["start_at"] + timedelta(minutes=rng.choice((1, 30, 60, 600))),
            failed_code=rng.choice(FAILED),
        )
    for n in range(1, 9):
        data.add(
            Company,
            id=n,
            title=f"Company {n}",
            responsible_id=rng.choice([*users, None]),
            custom_fields=rng.choice([{}, {"UF_KEY": "1"}, {"UF_KEY": "0"}, {"UF_KEY": 1}]),
        )
    for n in range(1, 11):
        data.add(
            Contact,
            id=n,
            first_name=f"Contact{n}",
            last_name="",
            company_id=rng.choice([None, None, *range(1, 10)]),  # 9 is a company not stored
            responsible_id=rng.choice([*users, None]),
        )
    for n in range(1, 9):
        won = rng.random() < 0.4
        data.add(
            Deal,
            id=n,
            company_id=rng.choice([None, None, *range(1, 9)]),
            contact_id=rng.choice([None, *range(1, 12)]),  # 11 is a contact not stored
            responsible_id=rng.choice(users),
            stage_semantics="S" if won else rng.choice("PF"),
            amount=Decimal(rng.randrange(0, 100_000)) / 100,
            close_date=_moment(rng, start, end, edges).astimezone(start.tzinfo).date(),
            created_at=_moment(rng, start, end, edges),
        )
    call_ids = [row["call_id"] for row in data[Call]]
    kinds = [(1, "CRM_MEETING"), (2, "VOXIMPLANT_CALL"), (4, "CRM_EMAIL"), (6, "CRM_TODO")]
    kinds += [(6, "CRM_MEETING"), (3, "TASKS_TASK")]
    for n in range(size):
        type_id, provider = rng.choice(kinds)
        data.add(
            Activity,
            id=n + 1,
            type_id=type_id,
            provider_id=provider,
            direction=rng.choice([0, 1, 2, 2]),
            completed=rng.random() < 0.8,
            responsible_id=rng.choice([*users, None]),
            owner_type=rng.choice([1, 2, 3, 4, 4, 7]),
            owner_id=rng.randrange(1, 12),
            start_at=_moment(rng, start, end, edges),
            call_id=rng.choice([None, "missing", *call_ids]) if type_id == 2 else None,
        )
    for n in range(1, size // 2):
        data.add(
            Task,
            id=n,
            title=f"Task {n}",
            responsible_id=rng.choice(users),
            status=rng.choice([2, 3, 5, 5, 6]),
            deadline=rng.choice([None, _moment(rng, start, end, edges)]),
            closed_at=rng.choice([None, _moment(rng, start, end, edges)]),
        )
    return data


def day_of(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()
