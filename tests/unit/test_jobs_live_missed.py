"""Live missed-call alerts: each missed call reaches the right chat once, at once.

The team (``tests.kpi_data.team``, people from ``tests.unit.test_jobs_fakes``): Anna 10
(dept 1, Telegram 1010), Boris 11 (dept 2, Telegram, head of dept 2), Vera 12 (dept 2, no
chat), Gleb 13 (dept 3, not sales, Telegram); Olga 30 heads the sales department 1 and is
reached in her Bitrix24 dialog. Tuesday 2026-03-17, Moscow; quiet hours 21:00-08:00.
Each test opens the feature at 09:00 (the ledger's "since" marker) before any call.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.deps import JobDeps
from jobs.live_missed import LiveMissedReport, tell_missed_calls
from jobs.people import People, Person
from jobs.runner import run_job
from jobs.settings import ScheduleSettings
from store.db import make_engine
from store.models import Call, Company, Contact, Lead
from store.upsert import upsert
from tests.kpi_data import MSK, PORTAL, Data, at, make_settings, team
from tests.unit.test_jobs_fakes import Clock, FakeSender, make_deps, people, sent_by, stamp

ANNA, BORIS, OLGA = "telegram:1010", "telegram:1011", "bitrix:30"
ROMASHKA = f"{PORTAL}/crm/company/details/5/"


def day(hour: int, minute: int = 0, second: int = 0, *, date: int = 17) -> datetime:
    return at(MSK, 2026, 3, date, hour, minute, second)


def store(engine: Engine, *calls: dict[str, Any]) -> None:
    """The team and its clients once, then calls as they arrive (ids given by the test)."""
    with Session(engine) as session:
        if session.get(Company, 5) is None:
            data = Data()
            team(data)
            data.add(Company, id=5, title="ООО Ромашка")
            data.add(Contact, id=7, first_name="Иван", last_name="Петров", company_id=5)
            data.add(Contact, id=8, first_name="Мария", last_name="Лесная")
            data.write(session)
            upsert(session, Lead, [{"id": 3, "title": "Заявка с сайта"}])
            session.commit()
        if calls:
            rows = []
            for values in calls:
                row = Data().add(Call, **values)
                rows.append(row)
            upsert(session, Call, rows)
            session.commit()


def missed(
    call_id: int, user: int | None, phone: str, when: datetime, **kw: Any
) -> dict[str, Any]:
    return {"id": call_id, "user_id": user, "call_type": 2, "phone_raw": phone,
            "failed_code": "304", "start_at": when, **kw}  # fmt: skip


def talked(call_id: int, user: int, phone: str, when: datetime, seconds: int) -> dict[str, Any]:
    return {"id": call_id, "user_id": user, "call_type": 1, "phone_raw": phone,
            "duration": seconds, "start_at": when}  # fmt: skip


async def opened(engine: Engine, clock: Clock, **kw: Any) -> JobDeps:
    """Deps whose first live run (the feature's start) was at 09:00."""
    deps = make_deps(engine, clock, **kw)
    store(engine)
    first = await tell_missed_calls(deps, now=day(9))
    assert first.told == () and first.skipped == ""
    return deps


async def tell(deps: JobDeps, clock: Clock, moment: datetime) -> LiveMissedReport:
    clock.set(moment)
    return await tell_missed_calls(deps)


def told(report: LiveMissedReport) -> list[tuple[str, int, str]]:
    return sorted((t.kind, t.call_id, t.chat) for t in report.told)


async def test_a_missed_call_is_told_once_to_whoever_it_belongs_to(store_engine: Engine) -> None:
    clock = Clock(day(9))
    deps = await opened(store_engine, clock)
    store(
        store_engine,
        missed(1, 10, "8 (916) 123-45-67", day(10), crm_entity_type="CONTACT", crm_entity_id=7),
        missed(2, None, "74951234567", day(10), crm_entity_type="LEAD", crm_entity_id=3),
        missed(3, 99, "79031112233", day(10)),  # a user the store does not know yet
        missed(4, 13, "79990001122", day(10)),  # Gleb is not in sales: not ours to tell
        missed(5, 10, "", day(10)),  # a hidden number cannot be called back
        {**missed(6, 10, "79250000001", day(10)), "failed_code": "200"},  # taken: not missed
    )
    report = await tell(deps, clock, day(10, 0, 20))
    assert told(report) == [("alert", 1, ANNA), ("alert", 2, OLGA), ("alert", 3, OLGA)]
    assert report.latencies() == [20.0, 20.0, 20.0]
    sender = sent_by(deps)
    [anna] = sender.texts(ANNA)
    assert "📵 Пропущенный звонок · 10:00" in anna and "<b>+7 916 123-45-67</b>" in anna
    assert f'Компания: <a href="{ROMASHKA}">ООО Ромашка</a>' in anna  # the contact's company
    assert "Перезвоните клиенту." in anna
    olga = [s.payload[1] for s in sender.to(OLGA)]  # Bitrix24 BB-code
    assert "Никто не взял трубку" in olga[0] and "+7 495 123-45-67" in olga[0]
    assert f"[url={PORTAL}/crm/lead/details/3/]Заявка с сайта[/url]" in olga[0]
    assert "Номера нет в CRM" in olga[1] and "поручите звонок сотруднику" in olga[1]
    # the same function called again (an event, then the sync) tells nothing new
    assert (await tell(deps, clock, day(10, 1))).told == ()
    assert len(sender.sent) == 3


async def test_no_telegram_means_the_bitrix24_dialog_and_no_chat_means_one_log_line(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(day(9))
    deps = await opened(store_engine, clock)
    deps.people = People.of([*people().by_id.values(), Person(10, bitrix_dialog="10")])
    store(
        store_engine,
        missed(1, 10, "79161234567", day(10), crm_entity_type="COMPANY", crm_entity_id=5),
        missed(2, 12, "79031112233", day(10)),  # Vera: no Telegram, no dialog
    )
    with caplog.at_level(logging.WARNING, logger="jobs.live_missed_plan"):
        report = await tell(deps, clock, day(10, 1))
        again = await tell(deps, clock, day(10, 2))
    assert told(report) == [("alert", 1, "bitrix:10")]
    assert report.unreachable == (2,) and again.unreachable == (2,)
    [bb] = [s.payload[1] for s in sent_by(deps).to("bitrix:10")]
    assert f"[url={ROMASHKA}]ООО Ромашка[/url]" in bb and "[b]+7 916 123-45-67[/b]" in bb
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "missed call 2 (user 12)" in lines[0] and "/link" in lines[0]


async def test_two_processes_at_once_tell_each_call_once(store_url: str) -> None:
    engines = [make_engine(store_url), make_engine(store_url)]
    try:
        clock = Clock(day(9))
        first = await opened(engines[0], clock)
        second = make_deps(engines[1], clock)  # its own owner token, locks and sender
        calls = [missed(n, 10 if n % 2 else None, f"7916000{n:04d}", day(10)) for n in range(1, 7)]
        store(engines[0], *calls)
        clock.set(day(10, 1))
        reports = await asyncio.gather(
            tell_missed_calls(first), tell_missed_calls(second), tell_missed_calls(first)
        )
        sent = sorted(s.to for d in (first, second) for s in sent_by(d).sent)
        assert sent == [OLGA] * 3 + [ANNA] * 3
        assert sum(len(r.told) for r in reports) == 6
        # a restart: a new process on the same store tells nothing again
        restarted = make_deps(engines[1], clock)
        assert (await tell(restarted, clock, day(10, 5))).told == ()
    finally:
        for engine in engines:
            engine.dispose()


async def test_quiet_hours_and_days_off_are_never_told_live(store_engine: Engine) -> None:
    clock = Clock(day(9))
    kpi = make_settings(callback_window=timedelta(hours=24))  # long: only quiet hours stop it
    deps = await opened(store_engine, clock, settings=kpi)
    store(store_engine, missed(1, 10, "79161234567", day(20, 58)))
    # seen first at 21:00:30: inside quiet hours nothing goes out
    assert (await tell(deps, clock, day(21, 0, 30))).skipped == "quiet hours"
    # in the morning the night lies between the call and now: the morning post has it
    store(store_engine, missed(2, 10, "79031112233", day(23)))
    assert (await tell(deps, clock, day(8, 5, date=18))).told == ()
    # quiet hours switched off (and the usual hour's window): an evening call is told
    deps.schedule = replace(deps.schedule, quiet_hours=None)
    deps.kpi = replace(deps.kpi, callback_window=timedelta(hours=1))
    store(store_engine, missed(3, 10, "79998887766", day(22, date=18)))
    report = await tell(deps, clock, day(22, 1, date=18))
    assert told(report) == [("alert", 3, ANNA)]
    # Saturday is a day off
    saturday = day(12, date=21)
    store(store_engine, missed(4, 10, "79250000001", saturday))
    assert (await tell(deps, clock, saturday + timedelta(minutes=1))).skipped == (
        "not a working day"
    )
    assert sent_by(deps).recipients() == [ANNA]


async def test_the_callback_is_noted_once_in_the_same_dialog(store_engine: Engine) -> None:
    clock = Clock(day(9))
    deps = await opened(store_engine, clock)
    store(
        store_engine,
        missed(1, 10, "79161234567", day(10), crm_entity_type="COMPANY", crm_entity_id=5),
        missed(2, None, "74951234567", day(10)),
    )
    assert len((await tell(deps, clock, day(10, 0, 30))).told) == 2
    # Vera calls Anna's client back at 10:07 (40 s); Olga herself is not an employee, so the
    # nobody-took-it call is answered by Anna at 10:12:30
    store(
        store_engine,
        talked(3, 12, "89161234567", day(10, 7), 40),
        talked(4, 10, "+7 495 123-45-67", day(10, 12, 30), 60),
    )
    report = await tell(deps, clock, day(10, 13, 45))
    assert told(report) == [("callback", 1, ANNA), ("callback", 2, OLGA)]
    by_call = {t.call_id: t.latency for t in report.told}
    assert by_call == {1: timedelta(minutes=6, seconds=5), 2: timedelta(seconds=15)}
    assert report.latencies() == [] and sorted(report.latencies("callback")) == [15.0, 365.0]
    sender = sent_by(deps)
    note = sender.texts(ANNA)[-1]
    assert note == (
        "✅ <b>+7 916 123-45-67</b> · ООО Ромашка: Vera Sidorova перезвонил(а) через 7 мин"
    )
    [_, olga] = [s.payload[1] for s in sender.to(OLGA)]
    assert "Anna Orlova перезвонил(а) через 12 мин" in olga
    assert (await tell(deps, clock, day(10, 20))).told == ()
    assert len(sender.sent) == 4


async def test_only_told_calls_get_a_note_and_a_called_back_call_no_alert(
    store_engine: Engine,
) -> None:
    clock = Clock(day(9))
    deps = await opened(store_engine, clock)
    store(
        store_engine,
        missed(1, 12, "79161234567", day(10)),  # Vera has no chat: never told
        missed(2, 10, "79031112233", day(10, 5)),
        talked(3, 10, "79031112233", day(10, 6), 30),  # called back before anyone looked
        missed(4, 10, "79250000001", day(10, 7)),
    )
    report = await tell(deps, clock, day(10, 8))
    assert told(report) == [("alert", 4, ANNA)]
    store(
        store_engine,
        talked(5, 11, "79161234567", day(10, 9), 30),
        talked(6, 10, "79250000001", day(10, 9, 30), 30),  # Anna calls back herself
    )
    later = await tell(deps, clock, day(10, 10))
    assert told(later) == [("callback", 4, ANNA)]
    assert sent_by(deps).texts(ANNA)[-1].endswith(": перезвонили через 2 мин")


async def test_calls_before_the_start_or_past_the_window_are_not_told(
    store_engine: Engine,
) -> None:
    clock = Clock(day(10))
    deps = make_deps(store_engine, clock)
    store(
        store_engine,
        missed(1, 10, "79161234567", day(9, 50)),
        missed(9, 10, "79990001122", day(9, 59, 30)),  # rang as the process started
    )
    # the first run on this store: an older call is history, not news
    assert told(await tell(deps, clock, day(10))) == [("alert", 9, ANNA)]
    # calls missed while no process ran are told by the next one, within the window
    store(
        store_engine,
        missed(2, 10, "79031112233", day(10, 5)),
        missed(3, 10, "79250000001", day(10, 30)),
    )
    restarted = make_deps(store_engine, clock, sender=FakeSender())
    report = await tell(restarted, clock, day(11, 10))
    assert told(report) == [("alert", 3, ANNA)]  # 10:05 is over an hour old: the chase's
    assert sent_by(restarted).recipients() == [ANNA]


async def test_a_refused_send_is_tried_again_and_switched_off_tells_nothing(
    store_engine: Engine,
) -> None:
    clock = Clock(day(9))
    deps = await opened(store_engine, clock)
    store(store_engine, missed(1, 10, "79161234567", day(10)))
    sender = sent_by(deps)
    sender.fail.add(ANNA)
    failed = await tell(deps, clock, day(10, 1))
    assert failed.told == () and failed.failed == (("call:1", ANNA),)
    sender.fail.clear()
    assert told(await tell(deps, clock, day(10, 2))) == [("alert", 1, ANNA)]
    off = make_deps(store_engine, clock, schedule=ScheduleSettings(disabled=frozenset({"missed"})))
    store(store_engine, missed(2, 10, "79031112233", day(10, 3)))
    assert (await tell(off, clock, day(10, 4))).skipped == "switched off"


async def test_the_scheduled_sync_tells_the_calls_it_brought(sqlite_engine: Engine) -> None:
    clock = Clock(day(9))
    deps = await opened(sqlite_engine, clock)

    async def sync(full: bool) -> Any:  # the portal had a missed call for Anna
        store(sqlite_engine, missed(1, 10, "79161234567", day(10, 4, 50)))
        stamp(sqlite_engine, clock())
        return type("Report", (), {"ok": True})()

    deps.sync = sync
    clock.set(day(10, 5, 3))
    result = await run_job("sync", deps, now=clock(), scheduled=True)
    assert result.summary() == "sync: done"
    assert sent_by(deps).recipients() == [ANNA]
