"""The jobs' alerts in English: what a team whose ``[locale] language`` is "en" receives.

The jobs run for real (``run_job`` on a small store, the team of ``tests.kpi_data``) inside
``locales.use("en")``, the way the process default makes them speak. No Cyrillic may be left
once the fixture's own Russian names (its departments) are taken out; the sentences read as
English, with English dates and times.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

import locales
from jobs.runner import run_job
from jobs.texts import live_callback_note, live_missed_alert, render
from kpi.missed_live import Card
from kpi.settings import PlanBook
from reports.text import Fmt
from store.models import Call, Task
from tests.kpi_data import MSK, Data, at, make_settings, team
from tests.unit.test_jobs_fakes import Clock, make_deps, sent_by, stamp

ANNA, BORIS, OLGA = "telegram:1010", "telegram:1011", "bitrix:30"
CYRILLIC = re.compile(r"[А-Яа-яЁё]+")
FIXTURE_NAMES = ("Продажи Москва", "Продажи", "Бухгалтерия")  # tests.kpi_data's departments
PLANS = PlanBook(departments={1: {"month": {"calls": Decimal(100)}}})


def day(hour: int, minute: int = 0, *, date: int = 17) -> datetime:
    return at(MSK, 2026, 3, date, hour, minute)


def russian_in(text: str) -> list[str]:
    for name in FIXTURE_NAMES:
        text = text.replace(name, "")
    return sorted(set(CYRILLIC.findall(text)))


def write(engine: Engine, data: Data) -> None:
    with Session(engine) as session:
        data.write(session)


def missed(data: Data, user: int | None, phone: str, when: datetime) -> None:
    data.add(Call, user_id=user, call_type=2, phone_raw=phone, failed_code="304", start_at=when)


async def test_missed_call_alerts_are_english(sqlite_engine: Engine) -> None:
    data = Data()
    team(data)
    missed(data, 10, "79161234567", day(10))  # Anna never calls back: her, then Olga
    missed(data, None, "74951234567", day(10, 10))  # nobody took it: the sales heads
    missed(data, 10, "", day(10, 5))  # a hidden number
    write(sqlite_engine, data)
    clock = Clock(day(12, 20))
    stamp(sqlite_engine, clock())
    deps = make_deps(sqlite_engine, clock, settings=make_settings(plans=PLANS))
    with locales.use("en"):
        await run_job("missed", deps, now=clock(), scheduled=True)
    sender = sent_by(deps)
    [anna] = sender.texts(ANNA)
    assert "Client not called back" in anna, anna
    assert "Missed call from <b>+7 916 123-45-67</b> at 10:00" in anna, anna
    assert "2 h 20 min ago: please call back." in anna, anna
    olga = "\n".join(sender.texts(OLGA))
    assert "<b>Anna Orlova</b> hasn't called <b>+7 916 123-45-67</b> back" in olga, olga
    assert "Nobody answered or called back <b>+7 495 123-45-67</b>" in olga, olga
    assert "called at 10:10, 2 h 10 min ago." in olga, olga
    for text in sender.texts(ANNA) + sender.texts(OLGA):
        assert russian_in(text) == [], text


async def test_an_overdue_digest_is_english_with_english_dates(sqlite_engine: Engine) -> None:
    data = Data()
    team(data)
    data.add(
        Task, id=1, title="Invoice for Daisy Ltd", responsible_id=10, deadline=day(10, date=10)
    )
    data.add(Task, id=2, title="Call Buttercup", responsible_id=10, deadline=day(9, date=16))
    write(sqlite_engine, data)
    stamp(sqlite_engine, day(9, 30))
    deps = make_deps(sqlite_engine, Clock(day(9, 30)))
    with locales.use("en"):
        result = await run_job("overdue", deps, now=day(9, 30), scheduled=True)
    assert result.sent == (("2026-03-17", ANNA),)
    [digest] = sent_by(deps).texts(ANNA)
    assert "Overdue tasks: 2" in digest, digest
    assert "Invoice for Daisy Ltd</a>, due Mar 10, 10:00" in digest, digest
    assert "Call Buttercup</a>, due Mar 16, 09:00" in digest, digest
    assert russian_in(digest) == [], digest


async def test_a_pace_note_and_its_summary_are_english(sqlite_engine: Engine) -> None:
    data = Data()
    team(data)
    write(sqlite_engine, data)
    stamp(sqlite_engine, day(13))
    deps = make_deps(sqlite_engine, Clock(day(13)), settings=make_settings(plans=PLANS))
    with locales.use("en"):
        await run_job("pace", deps, now=day(13), scheduled=True)
    sender = sent_by(deps)
    [note] = sender.texts(ANNA)
    assert "Pace at 13:00 · March 2026" in note, note
    assert (
        "You're behind pace:" in note
        and "Calls: <b>0</b> of 52 expected by now (plan 100)" in (note)
    )
    [olga] = sender.texts(OLGA)
    assert "Behind pace: 3 of 3" in olga and "• Anna Orlova: calls 0 of 52" in olga, olga
    for text in (note, olga):
        assert russian_in(text) == [], text


def test_a_live_alert_and_its_callback_note_are_english() -> None:
    fmt = Fmt(MSK, day(10, 1))
    card = Card("company", 7, "Daisy Ltd", "https://portal.example/crm/company/details/7/")
    with locales.use("en"):
        html, bb = render(
            live_missed_alert("79161234567", day(10), card, in_crm=True, nobody=True, fmt=fmt)
        )
        unknown, _ = render(
            live_missed_alert("", day(10), None, in_crm=False, nobody=False, fmt=fmt)
        )
        note, _ = render(live_callback_note("79161234567", card, timedelta(seconds=40), "Anna"))
    assert "Nobody picked up · 10:00" in html and "Company: " in html, html
    assert "Call back or hand it to a rep." in bb, bb
    assert "hidden number" in unknown and "Number not in the CRM" in unknown, unknown
    assert "Anna called back in 40 sec" in note, note
    for text in (html, bb, unknown, note):
        assert russian_in(text) == [], text
