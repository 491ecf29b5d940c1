"""Live missed-call alerts on a store of 300,000 calls (SQLite and PostgreSQL). Run by
`make bench`.

Prints and checks: one ``tell_missed_calls`` run that finds one new missed call among the
last hour's (about a hundred recent missed calls, most of them told already, each told
one waiting for its callback note) takes p95 under 0.5 s: it runs after every applied
call event, inside the 15 s from the call's end to its alert.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.live_missed import tell_missed_calls
from store.models import Call
from tests.kpi_data import MSK, Data, at, team
from tests.unit.test_jobs_fakes import Clock, make_deps

CALLS = 300_000
RECENT = 60
ROUNDS = 20
NOW = at(MSK, 2026, 3, 17, 12)


def _call(n: int, phone: str, **values: Any) -> dict[str, Any]:
    row = {"id": n, "call_id": f"c{n}", "phone_raw": phone, "phone": phone, "line": "",
           "failed_reason": "", "duration": 30, "call_type": 2, "failed_code": "304"}  # fmt: skip
    return {**row, **values}


def _fill(engine: Engine) -> None:
    with Session(engine) as session:
        data = Data()
        team(data)
        data.write(session)
    rng = random.Random(7)
    rows = [
        _call(
            n,
            f"79{rng.randrange(10**8, 10**9)}",
            user_id=rng.choice([10, 11, 12, None]),
            call_type=rng.choice([1, 2, 2, 3]),
            start_at=NOW - timedelta(seconds=rng.randrange(90 * 86400)),
            failed_code=rng.choice(["200", "200", "304"]),
        )
        for n in range(1, CALLS + 1)
    ]
    with engine.begin() as conn:
        for n in range(0, len(rows), 20_000):
            conn.execute(insert(Call.__table__), rows[n : n + 20_000])  # type: ignore[attr-defined]


async def test_one_run_with_a_new_call_is_quick(store_engine: Engine) -> None:
    _fill(store_engine)
    clock = Clock(at(MSK, 2026, 3, 17, 9))
    deps = make_deps(store_engine, clock)
    await tell_missed_calls(deps)  # the feature starts at 09:00
    recent = [
        _call(
            400_000 + i,
            f"7916{i:07d}",
            user_id=10 if i % 2 else None,
            duration=0,
            start_at=NOW - timedelta(minutes=RECENT - i),
        )  # fmt: skip
        for i in range(RECENT)
    ]
    with store_engine.begin() as conn:
        conn.execute(insert(Call.__table__), recent)  # type: ignore[attr-defined]
    clock.set(NOW)
    first = time.perf_counter()
    told = len((await tell_missed_calls(deps)).told)
    first = time.perf_counter() - first
    seconds = []
    for k in range(ROUNDS):
        new = _call(500_000 + k, f"7925{k:07d}", user_id=10, duration=0, start_at=NOW)
        with store_engine.begin() as conn:
            conn.execute(insert(Call.__table__), [new])  # type: ignore[attr-defined]
        started = time.perf_counter()
        report = await tell_missed_calls(deps)
        seconds.append(time.perf_counter() - started)
        assert [t.call_id for t in report.told] == [500_000 + k]
    p50, p95 = statistics.median(seconds), statistics.quantiles(seconds, n=20)[-1]
    print(
        f"\nlive missed-call run on {CALLS:,} calls ({store_engine.dialect.name}): "
        f"first run {told} alerts in {first * 1000:.0f} ms; "
        f"a run with one new call p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    assert p95 < 0.5
