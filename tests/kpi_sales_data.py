"""Store rows for the sales kpi tests: deals, leads, dictionaries, and a random dataset.

Builds on ``tests.kpi_data`` (its team, settings and ``at``); adds the tables that module
does not write (leads, the dictionary, pipelines). Rows stay plain dicts, so the same data
feeds the store and the plain-Python references of the property tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, SQLModel

from store.models import Company, Deal, DictionaryEntry, Lead, Pipeline
from store.upsert import upsert
from tests.kpi_data import MODELS, Data, Row, team

EXTRA_MODELS: tuple[type[SQLModel], ...] = (Pipeline, DictionaryEntry, Lead)

_LEAD = {
    "title": "",
    "status_id": "NEW",
    "status_semantics": "P",
    "source_id": None,
    "is_return_customer": False,
    "responsible_id": None,
    "company_id": None,
    "contact_id": None,
    "amount": None,
    "currency": "RUB",
    "created_at": None,
    "modified_at": None,
    "closed_at": None,
}

# (pipeline, code, name, sort, semantics); stage_semantics of a deal follows the word.
STAGES: tuple[tuple[int, str, str, int, str], ...] = (
    (0, "NEW", "Новая", 10, "process"),
    (0, "PREPARATION", "Подготовка", 20, "process"),
    (0, "WON", "Успешна", 30, "success"),
    (0, "LOSE", "Проиграна", 40, "failure"),
    (0, "APOLOGY", "Анализ причины", 50, "apology"),
    (1, "C1:NEW", "Заявка", 10, "process"),
    (1, "C1:WON", "Отгружено", 20, "success"),
    (1, "C1:LOSE", "Отказ", 30, "failure"),
)
LEAD_STATUSES: tuple[tuple[str, str, int, str], ...] = (
    ("NEW", "Не обработан", 10, "process"),
    ("IN_PROCESS", "В работе", 20, "process"),
    ("CONVERTED", "Сконвертирован", 30, "success"),
    ("JUNK", "Некачественный", 40, "failure"),
    ("NO_BUDGET", "Нет бюджета", 50, "apology"),
)
SOURCES = (("CALL", "Звонок"), ("WEB", "Сайт"), ("ADVERTISING", "Реклама"))
LETTER = {"process": "P", "success": "S", "failure": "F", "apology": "F"}


@dataclass
class SalesData(Data):
    rows: dict[type[SQLModel], list[Row]] = field(
        default_factory=lambda: {model: [] for model in (*MODELS, *EXTRA_MODELS)}
    )

    def add(self, model: type[SQLModel], **values: Any) -> Row:
        if model is Lead:
            row = {"id": len(self.rows[Lead]) + 1, **_LEAD, **values}
            self.rows[Lead].append(row)
            return row
        if model is DictionaryEntry:
            row = {"pipeline_id": 0, "name": "", "sort": 0, "semantics": "process", **values}
            self.rows[DictionaryEntry].append(row)
            return row
        if model is Pipeline:
            row = {"name": "", "sort": 0, **values}
            self.rows[Pipeline].append(row)
            return row
        return super().add(model, **values)

    def deal(self, stage: str, **values: Any) -> Row:
        """A deal in a dictionary stage, its pipeline and semantics letter taken from it."""
        pipeline, _, _, _, word = next(s for s in STAGES if s[1] == stage)
        base = {"pipeline_id": pipeline, "stage_id": stage, "stage_semantics": LETTER[word]}
        return self.add(Deal, **{**base, **values})

    def lead(self, status: str, **values: Any) -> Row:
        word = next(s[3] for s in LEAD_STATUSES if s[0] == status)
        return self.add(Lead, status_id=status, status_semantics=LETTER[word], **values)

    def write(self, session: Session) -> None:
        super().write(session)
        for model in EXTRA_MODELS:
            if self.rows[model]:
                upsert(session, model, self.rows[model])
        session.commit()


def dictionaries(data: SalesData) -> None:
    """Two pipelines with their stages, lead statuses (one "apology"), three sources."""
    data.add(Pipeline, id=0, name="Общая", sort=10)
    data.add(Pipeline, id=1, name="Опт", sort=20)
    for pipeline, code, name, sort, word in STAGES:
        data.add(
            DictionaryEntry,
            kind="deal_stage",
            code=code,
            pipeline_id=pipeline,
            name=name,
            sort=sort,
            semantics=word,
        )
    for code, name, sort, word in LEAD_STATUSES:
        data.add(
            DictionaryEntry, kind="lead_status", code=code, name=name, sort=sort, semantics=word
        )
    for n, (code, name) in enumerate(SOURCES):
        data.add(DictionaryEntry, kind="source", code=code, name=name, sort=n)


def sales_team() -> SalesData:
    """``tests.kpi_data.team`` (10, 11, 12 employees; 13 outside; 14 fired) plus dictionaries."""
    data = SalesData()
    team(data)
    dictionaries(data)
    return data


# --- random datasets -------------------------------------------------------------------

USERS = (10, 11, 12, 13, 14, None)


def _day(rng: random.Random, first: date, last: date, edges: list[date]) -> date:
    if rng.random() < 0.3:
        return rng.choice(edges) + timedelta(days=rng.choice((-1, 0, 0, 1)))
    span = (last - first).days
    return first + timedelta(days=rng.randint(-span // 5, span + span // 5))


def _instant(
    rng: random.Random, start: datetime, end: datetime, edges: list[datetime]
) -> datetime:
    if rng.random() < 0.2:
        edge = rng.choice(edges)
        return (edge + timedelta(seconds=rng.choice((-1, 0, 0, 1)))).astimezone(UTC)
    span = (end - start).total_seconds()
    return (start + timedelta(seconds=int(rng.uniform(-0.2 * span, 1.2 * span)))).astimezone(UTC)


def random_sales(
    rng: random.Random,
    start: datetime,
    end: datetime,
    *,
    deals: int = 40,
    leads: int = 30,
    companies: int = 8,
) -> SalesData:
    """A small random sales store around [start, end), edges likely.

    Deals in both pipelines (sometimes in a stage missing from the dictionary, sometimes an
    apology stage still marked "P"), with close days and creation times on and around the
    edges; leads with every status, source (or none), type, close time (or none); deals
    linked to leads, several to one lead; companies with and without a responsible.
    """
    data = sales_team()
    tz = start.tzinfo
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    day_edges = [first, last, first + (last - first) / 2]
    edges = [start, end, start + (end - start) / 2]
    for n in range(1, companies + 1):
        data.add(Company, id=n, title=f"Company {n}", responsible_id=rng.choice(USERS))
    for n in range(1, leads + 1):
        status = rng.choice([s[0] for s in LEAD_STATUSES])
        data.lead(
            status,
            id=n,
            responsible_id=rng.choice(USERS),
            source_id=rng.choice([None, "CALL", "WEB", "ADVERTISING", "UNKNOWN"]),
            is_return_customer=rng.random() < 0.3,
            amount=rng.choice([None, Decimal(rng.randrange(0, 500_000)) / 100]),
            created_at=_instant(rng, start, end, edges),
            closed_at=rng.choice([None, _instant(rng, start, end, edges)]),
        )
    for n in range(1, deals + 1):
        stage = rng.choice([s[1] for s in STAGES] + ["C1:ODD"])
        values: dict[str, Any] = {
            "id": n,
            "responsible_id": rng.choice(USERS),
            "company_id": rng.choice([None, *range(1, companies + 2)]),  # one not stored
            "lead_id": rng.choice([None, None, *range(1, leads + 1)]),
            "amount": rng.choice([None, Decimal(rng.randrange(0, 1_000_000)) / 100]),
            "currency": rng.choice(["RUB", "USD"]),
            "probability": rng.choice([None, 0, 30, 75]),
            "close_date": rng.choice([None, _day(rng, first, last, day_edges)]),
            "created_at": _instant(rng, start, end, edges),
        }
        if stage == "C1:ODD":
            data.add(Deal, pipeline_id=1, stage_id=stage, stage_semantics="P", **values)
        elif stage == "APOLOGY" and rng.random() < 0.5:
            # a portal may leave an apology stage marked in progress: still lost
            data.add(Deal, pipeline_id=0, stage_id=stage, stage_semantics="P", **values)
        else:
            data.deal(stage, **values)
    return data
