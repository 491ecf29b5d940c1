"""Hand-computed task figures: completed by close date, overdue by deadline and now."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.periods import parse_period
from kpi.scope import company_scope
from kpi.tasks import TasksReport, tasks_report, to_json
from store.models import Task
from tests.kpi_data import MSK, PORTAL, Data, at, make_settings, team

NOW = at(MSK, 2026, 3, 20, 12)
WEEK = "2026-03-02..2026-03-08"


def scenario() -> Data:
    d = Data()
    team(d)
    m = MSK
    d.add(Task, id=1, responsible_id=10, status=5, closed_at=at(m, 2026, 3, 2))  # completed
    d.add(Task, id=2, responsible_id=10, status=5, closed_at=at(m, 2026, 3, 9))  # at the end
    d.add(Task, id=3, responsible_id=10, status=5, closed_at=at(m, 2026, 3, 1, 23, 59, 59))
    d.add(
        Task, id=4, title="Call back", responsible_id=11, status=3, deadline=at(m, 2026, 3, 4, 10)
    )
    d.add(Task, id=5, responsible_id=11, status=2, deadline=at(m, 2026, 3, 8, 23, 59, 59))
    d.add(
        Task,
        id=6,
        responsible_id=11,
        status=5,
        deadline=at(m, 2026, 3, 4),
        closed_at=at(m, 2026, 3, 10),
    )
    d.add(Task, id=7, responsible_id=12, status=6)  # deferred, no deadline
    d.add(Task, id=8, responsible_id=13, status=2, deadline=at(m, 2026, 3, 3))  # Gleb: outside
    d.add(Task, id=9, responsible_id=12, status=2, deadline=at(m, 2026, 3, 1, 23, 59, 59))
    d.add(Task, id=10, responsible_id=12, status=4, deadline=at(m, 2026, 3, 5, 12))
    return d


def run(engine: Engine, period: str, now: datetime) -> TasksReport:
    conf = make_settings(MSK)
    with Session(engine) as session:
        scenario().write(session)
        scope = company_scope(session, conf)
        return tasks_report(session, scope, parse_period(period, now=now, tz=MSK), conf, now=now)


def counts(report: TasksReport) -> dict[int | None, tuple[int, int]]:
    found = {row.employee_id: (row.completed, row.overdue) for row in report.rows}
    return found | {None: (report.total.completed, report.total.overdue)}


def test_closed_week(store_engine: Engine) -> None:
    report = run(store_engine, WEEK, NOW)
    assert counts(report) == {10: (1, 0), 11: (0, 2), 12: (0, 1), None: (1, 3)}
    assert [t.id for t in report.total.overdue_tasks] == [4, 10, 5]
    first = report.rows[1].overdue_tasks[0]
    assert (first.title, first.deadline) == ("Call back", at(MSK, 2026, 3, 4, 10))
    assert first.url == f"{PORTAL}/company/personal/user/11/tasks/task/view/4/"
    assert (report.previous_total.completed, report.previous_total.overdue) == (1, 1)


def test_running_week_counts_only_deadlines_before_now(store_engine: Engine) -> None:
    # Thursday noon: task 5 (Sunday) is not due yet, task 10 is due exactly now.
    report = run(store_engine, "week", at(MSK, 2026, 3, 5, 12))
    assert counts(report) == {10: (1, 0), 11: (0, 1), 12: (0, 0), None: (1, 1)}
    assert (report.previous_total.completed, report.previous_total.overdue) == (0, 0)


def test_json(sqlite_engine: Engine) -> None:
    payload = json.loads(json.dumps(to_json(run(sqlite_engine, WEEK, NOW))))
    assert payload["report"] == "tasks"
    assert payload["total"]["completed"] == 1
    assert payload["total"]["overdue"] == 3
    assert payload["rows"][1]["overdue_tasks"][0]["deadline"] == "2026-03-04T10:00:00+03:00"
