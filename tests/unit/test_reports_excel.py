"""Excel export: a summary and one sheet per table, real numbers, stable bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.periods import parse_period
from kpi.scope import company_scope
from reports.build import REPORT_NAMES, Report, build_report, report_xlsx
from tests.kpi_data import MSK, at
from tests.unit import reports_fixtures as rf

SHEETS = {
    "rating": ["Сводка", "Рейтинг"],
    "coverage": ["Сводка", "Охват", "Клиенты без внимания"],
    "calls": ["Сводка", "Звонки", "По часам", "По дням", "По клиентам"],
    "missed": ["Сводка", "Пропущенные", "Не перезвонили"],
    "kpi": ["Сводка", "KPI"],
    "plan": ["Сводка", "План", "По дням"],
    "funnel": ["Сводка", "Воронка"],
    "conversion": ["Сводка", "По источникам", "По типам", "По сотрудникам"],
    "lost": ["Сводка", "Причины", "По сотрудникам"],
    "abc": ["Сводка", "ABC-XYZ", "Матрица"],
    "tasks": ["Сводка", "Задачи", "Просроченные задачи"],
    "streaks": ["Сводка", "Серии"],
    "channels": ["Сводка", "Каналы"],
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("excel") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def reports(engine: Engine) -> dict[str, Report]:
    conf = rf.settings()
    week = parse_period("week", now=rf.NOW, tz=MSK)
    with Session(engine) as session:
        scope = company_scope(session, conf)
        return {
            name: build_report(session, conf, name, week, scope, now=rf.NOW, render=False)
            for name in REPORT_NAMES
        }


def wall(*parts: int) -> datetime:
    """A Moscow wall time without its zone, as Excel keeps it."""
    return at(MSK, *parts).replace(tzinfo=None)


def sheet_rows(data: bytes, title: str) -> list[tuple[object, ...]]:
    wb = load_workbook(io.BytesIO(data))
    return list(wb[title].iter_rows(values_only=True))


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_report_opens_with_its_sheets(name: str, reports: dict[str, Report]) -> None:
    data = report_xlsx(reports[name])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == SHEETS[name]
    for ws in wb.worksheets[1:]:
        assert all(cell.font.b for cell in ws[1]), f"{ws.title}: bold header"
        assert ws.max_row >= 1
    summary = dict(wb["Сводка"].iter_rows(values_only=True))
    assert summary["Период"] == "неделя 2–8 марта"
    assert summary["Начало"] == wall(2026, 3, 2)  # naive local wall time
    assert summary["Данные на"] == wall(2026, 3, 5, 11, 56)
    assert summary["Выборка"] == "Компания: Компания"


def test_numbers_are_numbers(reports: dict[str, Report]) -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(reports["rating"])))
    ws = wb["Рейтинг"]
    header = [c.value for c in ws[1]]
    col = {name: n for n, name in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2))
    anna = next(r for r in rows if r[col["Сотрудник"]].value == "Anna Orlova")
    revenue = anna[col["Выручка"]]
    assert revenue.value == pytest.approx(150000.50)
    assert isinstance(revenue.value, float)
    assert revenue.number_format == "#,##0.00"
    assert anna[col["Место"]].value == 1
    assert isinstance(anna[col["Баллы"]].value, int | float)
    total = rows[-1]
    assert total[col["Сотрудник"]].value == "Итого"
    assert total[col["Сотрудник"]].font.b
    assert total[col["Выручка"]].value == pytest.approx(170000.50)
    for row in rows:
        for cell in row:
            assert not (isinstance(cell.value, str) and cell.value.replace(".", "").isdigit())


def test_shares_dates_and_links(reports: dict[str, Report]) -> None:
    data = report_xlsx(reports["coverage"])
    wb = load_workbook(io.BytesIO(data))
    share = wb["Охват"]["E2"]
    assert share.number_format == "0.0%"
    assert 0 <= float(share.value) <= 1
    listing = wb["Клиенты без внимания"]
    titles = [r[0].value for r in listing.iter_rows(min_row=2)]
    assert rf.EVIL in titles
    link = listing["D2"]
    assert link.hyperlink is not None and link.hyperlink.target == link.value
    missed = load_workbook(io.BytesIO(report_xlsx(reports["missed"])))["Не перезвонили"]
    assert missed["C2"].value == wall(2026, 3, 4, 12, 0)
    assert missed["C2"].number_format == "dd.mm.yyyy hh:mm"
    by_day = load_workbook(io.BytesIO(report_xlsx(reports["calls"])))["По дням"]
    assert by_day["A2"].number_format == "dd.mm.yyyy"


def test_a_title_is_never_a_formula(reports: dict[str, Report]) -> None:
    report = reports["coverage"]
    evil = '=HYPERLINK("http://evil","x")'
    items = tuple(replace(x, title=evil) for x in report.lists["uncovered"])
    data = report_xlsx(replace(report, lists={"uncovered": items}))
    ws = load_workbook(io.BytesIO(data))["Клиенты без внимания"]
    assert ws["A2"].value == evil
    assert ws["A2"].data_type == "s"


def test_bytes_are_stable(reports: dict[str, Report]) -> None:
    first = report_xlsx(reports["tasks"])
    assert report_xlsx(reports["tasks"]) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        stamps = {info.date_time for info in archive.infolist()}
        core = archive.read("docProps/core.xml").decode()
    assert stamps == {(2026, 3, 5, 8, 56, 0)}  # the data's time (UTC), not the clock
    assert "2026-03-05T08:56:00Z" in core


def test_no_data_yet_still_exports(reports: dict[str, Report]) -> None:
    report = reports["tasks"]
    bare = replace(report, meta=replace(report.meta, data_as_of=None))
    wb = load_workbook(io.BytesIO(report_xlsx(bare)))
    assert dict(wb["Сводка"].iter_rows(values_only=True))["Данные на"] == "не загружены"
