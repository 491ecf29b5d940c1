"""Plans as an Excel workbook: one sheet per period length, rows departments and people,
columns the metrics. Export writes each row's own targets (config and store merged; an empty
cell: none of its own, the department's applies). Import reads every cell first and, on any
error, changes nothing and lists each bad cell; else it records what differs.

In a cell: a number sets the target; empty leaves it as it is; "-" removes a target set
earlier (the config's value, if any, applies again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlmodel import Session, col

from app.setup_costs_xlsx import SHEET, export_costs, read_cost_sheet
from kpi.plan import PLAN_LENGTHS
from kpi.plans_store import effective_plans
from kpi.scope import sales_employees
from kpi.settings import METRICS, KpiSettings, PlanBook
from store.models import Department, User
from store.plan_models import CostChange, PlanChange, current_plans

LENGTHS = ("day", "week", "month", "quarter", "year")  # sheet order
HEAD = ("kind", "id", "name")
KINDS = ("department", "employee")
REMOVE = "-"


@dataclass(frozen=True)
class Target:
    kind: str
    id: int
    name: str


def targets(session: Session, settings: KpiSettings) -> list[Target]:
    depts = session.execute(
        select(col(Department.id), col(Department.name)).order_by(col(Department.id))
    )
    found = [Target("department", dept_id, name) for dept_id, name in depts]
    found += [Target("employee", e.id, e.name) for e in sales_employees(session, settings)]
    return found


def _own(book: PlanBook, target: Target) -> Mapping[str, Mapping[str, Decimal]]:
    table = book.departments if target.kind == "department" else book.employees
    return table.get(target.id, {})


def _cell(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def export(session: Session, settings: KpiSettings, path: Path, now: datetime) -> int:
    """Write the workbook; the number of targets written."""
    book = effective_plans(session, settings.plans)
    rows = targets(session, settings)
    workbook = Workbook()
    workbook.remove(workbook.active)
    written = 0
    for length in LENGTHS:
        sheet = workbook.create_sheet(length)
        sheet.append([*HEAD, *METRICS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for target in rows:
            own = _own(book, target).get(length, {})
            values = [_cell(own[m]) if m in own else None for m in METRICS]
            written += sum(v is not None for v in values)
            sheet.append([target.kind, target.id, target.name, *values])
        sheet.column_dimensions["C"].width = 32
        sheet.freeze_panes = "D2"
    written += export_costs(session, settings, workbook, now)
    workbook.save(path)
    return written


class PlanSheetError(Exception):
    """The workbook has bad cells; ``problems`` lists each as "sheet!CELL: what"."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Changes:
    plans: list[PlanChange]
    costs: list[CostChange]


def read_changes(session: Session, settings: KpiSettings, path: Path) -> Changes:
    """Every change the workbook asks for, after checking every cell; PlanSheetError if any
    cell is bad (then nothing is to change)."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    known = {(t.kind, t.id) for t in targets(session, settings)}
    known |= {("employee", uid) for uid in session.execute(select(col(User.id))).scalars()}
    book = effective_plans(session, settings.plans)
    stored = {
        (r.target_kind, r.target_id, r.length, r.metric)
        for r in current_plans(session)
        if r.value is not None
    }
    problems: list[str] = []
    changes: list[PlanChange] = []
    costs: list[CostChange] = []
    for sheet in workbook.worksheets:
        if sheet.title == SHEET:
            rows = list(sheet.iter_rows(values_only=True))
            costs = read_cost_sheet(session, settings, rows, problems)
            continue
        if sheet.title not in PLAN_LENGTHS:
            known_sheets = ", ".join((*LENGTHS, SHEET))
            problems.append(f"{sheet.title}: unknown sheet; sheets: {known_sheets}")
            continue
        rows = list(sheet.iter_rows(values_only=True))
        metrics = _header(sheet.title, rows[0] if rows else (), problems)
        for number, row in enumerate(rows[1:], start=2):
            _row(
                sheet.title,
                number,
                row,
                metrics=metrics,
                known=known,
                problems=problems,
                changes=changes,
            )
    workbook.close()
    if problems:
        raise PlanSheetError(problems)
    return Changes([c for c in changes if _differs(c, book, stored)], costs)


def _header(title: str, row: Sequence[Any], problems: list[str]) -> dict[int, str]:
    names = [str(v).strip() if v is not None else "" for v in row]
    if tuple(names[:3]) != HEAD:
        problems.append(f"{title}!A1: the first columns must be {', '.join(HEAD)}")
    metrics: dict[int, str] = {}
    for index, name in enumerate(names[3:], start=3):
        if not name:
            continue
        if name not in METRICS:
            where = f"{title}!{get_column_letter(index + 1)}1"
            problems.append(f"{where}: unknown metric {name!r}; metrics: {', '.join(METRICS)}")
        else:
            metrics[index] = name
    return metrics


def _row(
    title: str,
    number: int,
    row: Sequence[Any],
    *,
    metrics: Mapping[int, str],
    known: set[tuple[str, int]],
    problems: list[str],
    changes: list[PlanChange],
) -> None:
    if all(v is None or str(v).strip() == "" for v in row):
        return
    kind = str(row[0] or "").strip() if row else ""
    raw_id = row[1] if len(row) > 1 else None
    if kind not in KINDS:
        problems.append(f"{title}!A{number}: {kind!r} is not department or employee")
        return
    try:
        target_id = int(str(raw_id).strip())
    except ValueError:
        problems.append(f"{title}!B{number}: {raw_id!r} is not a portal id")
        return
    if (kind, target_id) not in known:
        problems.append(f"{title}!B{number}: no {kind} with id {target_id} on the portal")
        return
    for index, metric in metrics.items():
        value = row[index] if index < len(row) else None
        if value is None or str(value).strip() == "":
            continue
        where = f"{title}!{get_column_letter(index + 1)}{number}"
        if str(value).strip() == REMOVE:
            changes.append(PlanChange(kind, target_id, title, metric, None))
            continue
        target = _number(value)
        if target is None:
            problems.append(f"{where}: {value!r} is not a number not below 0")
        else:
            changes.append(PlanChange(kind, target_id, title, metric, target))


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return number.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _differs(change: PlanChange, book: PlanBook, stored: set[tuple[str, int, str, str]]) -> bool:
    key = (change.target_kind, change.target_id, change.length, change.metric)
    if change.value is None:  # removing: only what was set in the store can be removed
        return key in stored
    table = book.departments if change.target_kind == "department" else book.employees
    now = table.get(change.target_id, {}).get(change.length, {}).get(change.metric)
    return now is None or now != change.value
