"""The "tasks" report: completed and overdue tasks per employee.

DESIGN.md: ``completed`` has status 5 and a close date in the period; ``overdue`` is not
completed, with a deadline inside the period and before ``now``. A task belongs to its
responsible user. ``overdue_tasks`` lists the overdue ones (oldest deadline first) with a
link to the task in the portal, for drill-down and reminders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Task

COMPLETED = 5


@dataclass(frozen=True)
class OverdueTask:
    id: int
    title: str
    deadline: datetime
    employee_id: int
    url: str


@dataclass(frozen=True)
class TasksRow:
    employee_id: int | None
    employee: str
    completed: int
    overdue: int
    overdue_tasks: tuple[OverdueTask, ...]


@dataclass(frozen=True)
class TasksReport:
    meta: ReportMeta
    rows: tuple[TasksRow, ...]
    total: TasksRow
    previous_total: TasksRow


def task_url(portal_url: str, responsible_id: int, task_id: int) -> str:
    return (
        f"{portal_url.rstrip('/')}/company/personal/user/{responsible_id}"
        f"/tasks/task/view/{task_id}/"
    )


def _completed(period: Period) -> ColumnElement[bool]:
    return and_(
        col(Task.status) == COMPLETED,
        col(Task.closed_at) >= period.start,
        col(Task.closed_at) < period.end,
    )


def _overdue(period: Period, now: datetime) -> ColumnElement[bool]:
    # Inside the period and before now: the earlier of the two ends bounds the deadline.
    until = min(period.end.astimezone(UTC), now.astimezone(UTC))
    return and_(
        col(Task.status) != COMPLETED,
        col(Task.deadline) >= period.start,
        col(Task.deadline) < until,
    )


def task_counts(
    session: Session, user_ids: Sequence[int], period: Period, *, now: datetime
) -> dict[int, tuple[int, int]]:
    """Per responsible user: (completed, overdue)."""
    result = dict.fromkeys(user_ids, (0, 0))
    if not result:
        return result
    completed, overdue = _completed(period), _overdue(period, now)
    query = (
        select(
            col(Task.responsible_id),
            func.sum(case((completed, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
        )
        .where(col(Task.responsible_id).in_(list(result)), completed | overdue)
        .group_by(col(Task.responsible_id))
    )
    for uid, done, late in session.execute(query):
        result[uid] = (int(done or 0), int(late or 0))
    return result


def overdue_tasks(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
) -> list[OverdueTask]:
    if not user_ids:
        return []
    query = (
        select(col(Task.id), col(Task.title), col(Task.deadline), col(Task.responsible_id))
        .where(col(Task.responsible_id).in_(list(user_ids)), _overdue(period, now))
        .order_by(col(Task.deadline), col(Task.id))
    )
    return [
        OverdueTask(
            tid,
            title,
            deadline.astimezone(period.tz),
            uid,
            task_url(settings.portal_url, uid, tid),
        )
        for tid, title, deadline, uid in session.execute(query)
    ]


def _row(
    uid: int | None, name: str, counts: tuple[int, int], overdue: Sequence[OverdueTask]
) -> TasksRow:
    return TasksRow(uid, name, counts[0], counts[1], tuple(overdue))


def tasks_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> TasksReport:
    ids = scope.employee_ids
    counts = task_counts(session, ids, period, now=now)
    late = overdue_tasks(session, ids, period, settings, now=now)
    rows = tuple(
        _row(e.id, e.name, counts[e.id], [t for t in late if t.employee_id == e.id])
        for e in scope.employees
    )
    prev = previous(period, now=now)
    prev_counts = task_counts(session, ids, prev, now=now)
    return TasksReport(
        meta=ReportMeta("tasks", scope, period, prev, data_as_of(session)),
        rows=rows,
        total=_row(None, TOTAL_NAME, _sum(counts.values()), late),
        previous_total=_row(None, TOTAL_NAME, _sum(prev_counts.values()), ()),
    )


def _sum(values: Any) -> tuple[int, int]:
    pairs = list(values)
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def task_json(task: OverdueTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "deadline": task.deadline.isoformat(),
        "employee_id": task.employee_id,
        "url": task.url,
    }


def row_json(row: TasksRow, *, details: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "completed": row.completed,
        "overdue": row.overdue,
    }
    if details:
        data["overdue_tasks"] = [task_json(t) for t in row.overdue_tasks]
    return data


def to_json(report: TasksReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
        "previous_total": row_json(report.previous_total, details=False),
    }
