"""A small store with something in every report, and checks of what chats accept.

The store reuses ``tests.kpi_data`` (team, calls of the week 2026-03-02..08) and
``tests.kpi_sales_data`` (dictionaries); names and titles carry HTML and BB-code
characters so that escaping is exercised by every test that builds on it.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.settings import KeyClientRule, KpiSettings, PlanBook
from store.db import make_engine
from store.migrate import migrate
from store.models import Activity, Call, Company, Contact, SyncState, Task, User
from store.upsert import upsert
from tests.kpi_data import MSK, at, call_week, make_settings
from tests.kpi_sales_data import SalesData, sales_team

NOW = at(MSK, 2026, 3, 5, 12)  # a Thursday inside the week of call_week()
AS_OF = NOW - timedelta(minutes=4)
EVIL = "<b>Злой & [b]жирный[/b]</b>"  # a title trying to be markup in both chats


def store() -> SalesData:
    d = sales_team()
    d.rows[Call] = list(call_week()[Call])
    # Boris gets a name that is markup in both chats
    boris = next(u for u in d[User] if u["id"] == 11)
    boris["last_name"] = "Petrov <i>&</i> [url=x]"
    m = MSK
    d.add(Company, id=1, title="ООО «Ромашка»", responsible_id=10)
    d.add(Company, id=2, title=EVIL, responsible_id=11)
    d.add(Company, id=3, title="Гамма", responsible_id=12)
    d.add(Company, id=4, title="Дельта", responsible_id=10)
    d.add(Contact, id=1, first_name="Иван", last_name="Частный", responsible_id=10)
    d.add(Activity, type_id=1, responsible_id=10, owner_type=4, owner_id=1,
          start_at=at(m, 2026, 3, 3, 10))  # fmt: skip
    d.add(Activity, type_id=4, direction=2, responsible_id=11, owner_type=4, owner_id=3,
          start_at=at(m, 2026, 3, 4, 15))  # fmt: skip
    d.deal("WON", id=1, responsible_id=10, company_id=1, amount=Decimal("150000.50"),
           close_date=at(m, 2026, 3, 3).date(), created_at=at(m, 2026, 3, 2, 9))  # fmt: skip
    d.deal("WON", id=2, responsible_id=12, company_id=3, amount=Decimal("20000.00"),
           close_date=at(m, 2026, 3, 4).date(), created_at=at(m, 2026, 2, 2, 9))  # fmt: skip
    d.deal("PREPARATION", id=3, responsible_id=11, company_id=2, amount=Decimal("50000.00"),
           close_date=at(m, 2026, 3, 6).date(), probability=50,
           created_at=at(m, 2026, 3, 4, 9))  # fmt: skip
    d.deal("LOSE", id=4, responsible_id=11, company_id=2, amount=Decimal("10000.00"),
           close_date=at(m, 2026, 3, 4).date())  # fmt: skip
    d.deal("WON", id=5, responsible_id=10, company_id=4, amount=Decimal("5000.00"),
           close_date=at(m, 2026, 2, 10).date())  # fmt: skip
    d.lead("CONVERTED", id=1, responsible_id=10, source_id="WEB",
           created_at=at(m, 2026, 3, 2, 11))  # fmt: skip
    d.lead("JUNK", id=2, responsible_id=11, source_id="CALL", created_at=at(m, 2026, 3, 3, 11),
           closed_at=at(m, 2026, 3, 4, 12))  # fmt: skip
    d.lead("NEW", id=3, responsible_id=12, created_at=at(m, 2026, 3, 4, 11))
    d.add(Task, id=1, title="Отчёт", responsible_id=10, status=5, closed_at=at(m, 2026, 3, 3))
    d.add(Task, id=2, title="Позвонить <клиенту> [срочно]", responsible_id=11, status=2,
          deadline=at(m, 2026, 3, 4, 10))  # fmt: skip
    return d


def write(session: Any, data: SalesData, *, as_of: Any = AS_OF) -> None:
    data.write(session)
    if as_of is not None:
        upsert(session, SyncState, [{"entity": "calls", "last_id": 0, "last_success_at": as_of}])
        session.commit()


def settings(**overrides: Any) -> KpiSettings:
    plans = PlanBook(
        departments={
            1: {
                "week": {"revenue": Decimal(100000), "calls": Decimal(10)},
                "month": {"revenue": Decimal(400000), "calls": Decimal(40)},
                "day": {"revenue": Decimal(20000), "calls": Decimal(2)},
            }
        }
    )
    values: dict[str, Any] = {"plans": plans, "key_clients": KeyClientRule(ids=frozenset({1}))}
    return make_settings(MSK, **{**values, **overrides})


# --- what the chats accept -----------------------------------------------------------------

TELEGRAM_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote"}
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
BB_TAG = re.compile(r"\[(/?)(b|i|u|s|url)(=[^\[\]\s]*)?\]")


class _Telegram(HTMLParser):
    """Telegram's HTML rules: known tags only, properly nested, <a> with an href only."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.errors.append(f"tag <{tag}>")
        if tag == "a" and [k for k, _ in attrs] != ["href"]:
            self.errors.append(f"<a> attributes {attrs}")
        if tag == "a" and not str(dict(attrs)["href"]).startswith("http"):
            self.errors.append(f"href {attrs}")
        if tag != "a" and attrs:
            self.errors.append(f"<{tag}> attributes {attrs}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_text(markup: str) -> str:
    """The visible text of Telegram HTML; AssertionError if Telegram would refuse it."""
    raw = re.sub(r"<[^>]*>", "", markup)
    stray = ENTITY.sub("", raw)
    assert "&" not in stray and "<" not in stray and ">" not in stray, markup
    parser = _Telegram()
    parser.feed(markup)
    parser.close()
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed {parser.stack}"
    return "".join(parser.text)


def telegram_len(markup: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return len(telegram_text(markup).encode("utf-16-le")) // 2


def check_bb(markup: str) -> str:
    """The text of BB-code with only balanced known tags; AssertionError otherwise."""
    stack: list[str] = []
    for found in BB_TAG.finditer(markup):
        closing, tag = found[1], found[2]
        if closing:
            assert stack and stack.pop() == tag, f"unbalanced [/{tag}] in {markup!r}"
        else:
            stack.append(tag)
    assert not stack, f"unclosed {stack}"
    rest = BB_TAG.sub("", markup)
    assert "[" not in rest and "]" not in rest, rest
    return rest


def unescaped(text: str) -> str:
    return html.unescape(text)


def renamed(report: Any, names: dict[int, str]) -> Any:
    """A report object whose rows carry other employee names (for long-name tests)."""
    rows = tuple(
        replace(r, employee=names.get(r.employee_id, r.employee)) if hasattr(r, "employee") else r
        for r in report.rows
    )
    return replace(report, rows=rows)


def open_store(path: Path, *, data: SalesData | None = None, as_of: Any = AS_OF) -> Engine:
    """A migrated SQLite store at ``path`` holding ``data`` (by default ``store()``)."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with Session(engine) as session:
        write(session, store() if data is None else data, as_of=as_of)
    return engine
