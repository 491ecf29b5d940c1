"""The "channels" sheet of the plans workbook: what each lead source cost per month.

Rows are sources (code, name), columns months (YYYY-MM). Export shows the costs in force
(config and store merged) for every known source, for the months that have any cost and
this month. Import follows the plan sheets' rules: a number sets, empty leaves, "-"
removes a cost set earlier (the config's applies again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlmodel import Session, col

from kpi.channels import effective_costs
from kpi.settings import KpiSettings
from store.models import DictionaryEntry
from store.plan_models import ChannelCost, CostChange

SHEET = "channels"
HEAD = ("source_id", "source")
REMOVE = "-"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def export_costs(
    session: Session, settings: KpiSettings, workbook: Workbook, now: datetime
) -> int:
    costs = effective_costs(session, settings.channel_costs)
    names = dict(
        session.execute(
            select(col(DictionaryEntry.code), col(DictionaryEntry.name)).where(
                col(DictionaryEntry.kind) == "source"
            )
        ).all()
    )
    months = sorted({m for by_month in costs.values() for m in by_month} | {f"{now:%Y-%m}"})
    sheet = workbook.create_sheet(SHEET)
    sheet.append([*HEAD, *months])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    written = 0
    for code in sorted(set(names) | set(costs)):
        values = [costs.get(code, {}).get(m) for m in months]
        written += sum(v is not None for v in values)
        shown = [None if v is None else (int(v) if v == int(v) else float(v)) for v in values]
        sheet.append([code, names.get(code, ""), *shown])
    sheet.column_dimensions["B"].width = 28
    return written


def read_cost_sheet(
    session: Session, settings: KpiSettings, rows: Sequence[Sequence[Any]], problems: list[str]
) -> list[CostChange]:
    """The cost changes of the sheet; bad cells go to ``problems``."""
    header = [str(v).strip() if v is not None else "" for v in (rows[0] if rows else ())]
    if tuple(header[:2]) != HEAD:
        problems.append(f"{SHEET}!A1: the first columns must be {', '.join(HEAD)}")
        return []
    months: dict[int, str] = {}
    for index, name in enumerate(header[2:], start=2):
        if name and not _MONTH.match(name):
            problems.append(f"{SHEET}!{get_column_letter(index + 1)}1: {name!r} is not YYYY-MM")
        elif name:
            months[index] = name
    changes = []
    for number, row in enumerate(rows[1:], start=2):
        code = str(row[0]).strip() if row and row[0] is not None else ""
        if not code:
            if any(v is not None and str(v).strip() for v in row):
                problems.append(f"{SHEET}!A{number}: a source code is needed")
            continue
        for index, month in months.items():
            value = row[index] if index < len(row) else None
            if value is None or str(value).strip() == "":
                continue
            if str(value).strip() == REMOVE:
                changes.append(CostChange(code, month, None))
                continue
            amount = _amount(value)
            if amount is None:
                where = f"{SHEET}!{get_column_letter(index + 1)}{number}"
                problems.append(f"{where}: {value!r} is not an amount not below 0")
            else:
                changes.append(CostChange(code, month, amount))
    return [c for c in changes if _differs(session, settings, c)]


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
    except ArithmeticError:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount.quantize(Decimal("0.01"))


def _differs(session: Session, settings: KpiSettings, change: CostChange) -> bool:
    if change.amount is None:
        stored = session.execute(
            select(ChannelCost)
            .where(
                col(ChannelCost.source_id) == change.source_id,
                col(ChannelCost.month) == change.month,
            )
            .order_by(col(ChannelCost.id).desc())
            .limit(1)
        ).scalar_one_or_none()
        return stored is not None and stored.amount is not None
    now = effective_costs(session, settings.channel_costs).get(change.source_id, {})
    return now.get(change.month) != change.amount
