"""Tables to an .xlsx workbook: a "Сводка" sheet, then one sheet per table.

Numbers are written as numbers with a format (money "#,##0.00", shares as percent), times
as local wall-clock datetimes (Excel has no zones). Excel writes a number's separators the
way the reader's Excel is set up; dates are shown in the language in force ("21.11.2025",
"Nov 21, 2025"), like the captions'. The bytes are the same for the same
input: the document's created/modified stamps and the zip entries' times are fixed to
the data's time instead of the clock.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from locales import _, language
from reports.tables import Kind, Table

FORMATS: dict[Kind, str] = {
    "int": "#,##0",
    "points": "#,##0.0",
    "money": "#,##0.00",
    "number": "#,##0.##",
    "share": "0.0%",
    "datetime": "dd.mm.yyyy hh:mm",
    "date": "dd.mm.yyyy",
}
# English dates as reports.text writes them ("Nov 21, 2025"): day-first digits read wrong
# in the US, month-first in the UK.
_EN_FORMATS: dict[Kind, str] = {"datetime": "mmm d, yyyy hh:mm", "date": "mmm d, yyyy"}
BOLD = Font(bold=True)
LINK = Font(color="0563C1", underline="single")
MAX_WIDTH = 60
# Excel's and zip's oldest date; used when the store has never synced.
EPOCH = datetime(1980, 1, 1)  # noqa: DTZ001 - the zip format's own naive epoch
_BAD_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def cell_value(value: Any, kind: Kind, tz: ZoneInfo) -> Any:
    """A Python value as Excel stores it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return int(value) if kind == "int" else float(value)
    if isinstance(value, bool | int | float | date):
        return value
    return str(value)


def number_format(kind: Kind) -> str | None:
    """The cell format of a column kind in the language in force; None for text."""
    if language() == "en" and kind in _EN_FORMATS:
        return _EN_FORMATS[kind]
    return FORMATS.get(kind)


def _width(value: Any, kind: Kind) -> int:
    if value is None:
        return 2
    if kind in ("datetime", "date"):
        return 16
    if isinstance(value, float | int | Decimal):
        return len(f"{value:,.2f}") + 1
    return len(str(value)) + 1


def _sheet(wb: Any, tab: Table, tz: ZoneInfo, used: set[str]) -> None:
    name = tab.title.translate(_BAD_SHEET_CHARS)[:31] or _("Лист")
    base, n = name, 1
    while name.lower() in used:
        n += 1
        name = f"{base[: 31 - len(str(n)) - 1]} {n}"
    used.add(name.lower())
    ws = wb.create_sheet(name)
    ws.append(list(tab.headers))
    for cell in ws[1]:
        cell.font = BOLD
    widths = [len(h) + 2 for h in tab.headers]
    for row in tab.rows:
        ws.append([cell_value(v, k, tz) for v, k in zip(row, tab.kinds, strict=True)])
        _no_formulas(ws[ws.max_row])
        for col, (value, kind) in enumerate(zip(row, tab.kinds, strict=True)):
            widths[col] = max(widths[col], _width(value, kind))
    for col, kind in enumerate(tab.kinds, start=1):
        fmt = number_format(kind)
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if fmt is not None:
                cell.number_format = fmt
            if kind == "url" and cell.value:
                cell.hyperlink = cell.value
                cell.font = LINK
        ws.column_dimensions[get_column_letter(col)].width = min(widths[col - 1], MAX_WIDTH)
    if tab.total and tab.rows:
        for cell in ws[ws.max_row]:
            cell.font = BOLD
    ws.freeze_panes = "A2"


def _no_formulas(cells: Any) -> None:
    for cell in cells:
        if cell.data_type == "f":
            # a company called "=HYPERLINK(...)" is a title, not a formula to run
            cell.data_type = "s"


def _summary(wb: Any, pairs: Sequence[tuple[str, Any]], tz: ZoneInfo) -> str:
    """The first sheet: what the workbook is (pairs given by the caller); its name."""
    ws = wb.active
    ws.title = _("Сводка")
    for key, value in pairs:
        ws.append([key, cell_value(value, "text", tz)])
        _no_formulas(ws[ws.max_row])
        if isinstance(value, datetime):
            ws.cell(ws.max_row, 2).number_format = number_format("datetime")
        ws.cell(ws.max_row, 1).font = BOLD
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = min(
        MAX_WIDTH, max((len(str(v)) for _key, v in pairs), default=10) + 2
    )
    return str(ws.title)


def workbook_bytes(
    summary: Sequence[tuple[str, Any]],
    tables: Sequence[Table],
    *,
    tz: ZoneInfo,
    stamp: datetime | None,
) -> bytes:
    """The .xlsx file; ``stamp`` (aware, the data's time) dates the document."""
    wb = Workbook()
    used = {_summary(wb, summary, tz).lower()}
    for tab in tables:
        _sheet(wb, tab, tz, used)
    fixed = EPOCH if stamp is None else max(stamp.astimezone(UTC).replace(tzinfo=None), EPOCH)
    wb.properties.creator = "crm-pulse"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    # ExcelWriter, not Workbook.save: save() stamps "modified" with the clock.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return _restamp(raw.getvalue(), fixed)


def _restamp(data: bytes, moment: datetime) -> bytes:
    """The same archive with every entry dated ``moment`` (zip entries carry the clock)."""
    stamp = moment.timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
